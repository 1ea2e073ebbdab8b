"""A small hand-made Canvas sync with the awkward cases the store must handle."""

from __future__ import annotations

import copy
from typing import Any

HOSTILE_NAME = "O'Brien \"Bob\" <script>alert('x')</script> 🎓 Ødegård 王小明"
HOSTILE_COURSE = "Biology & <b>Chem</b> ‘101’ — العلوم"


def _user(user_id: int, name: str) -> dict[str, Any]:
    return {
        "id": user_id, "name": name, "sortable_name": name, "short_name": name.split()[0],
        "login_id": f"u{user_id}@school.test", "sis_user_id": f"SIS{user_id}",
        "created_at": "2025-01-01T00:00:00Z",
    }


def _enrollment(
    enrollment_id: int, course_id: int, section_id: int, user: dict[str, Any],
    *, type_: str = "StudentEnrollment", state: str = "active",
    score: float | None = 80.0, grade: str | None = None,
) -> dict[str, Any]:
    grades = None if type_ == "TeacherEnrollment" else {
        "html_url": "https://canvas.test/grades", "current_score": score,
        "final_score": None if score is None else score - 10, "current_grade": grade,
        "final_grade": grade, "unposted_current_score": score,
    }
    return {
        "id": enrollment_id, "course_id": course_id, "course_section_id": section_id,
        "user_id": user["id"], "type": type_, "role": type_, "enrollment_state": state,
        "last_activity_at": "2026-10-01T08:30:00Z", "total_activity_time": 1200,
        "grades": grades, "user": user,
    }


def _submission(
    submission_id: int, assignment_id: int, user_id: int, score: float | None, **extra: Any
) -> dict[str, Any]:
    row = {
        "id": submission_id, "assignment_id": assignment_id, "user_id": user_id,
        "workflow_state": "graded" if score is not None else "unsubmitted", "score": score,
        "grade": None if score is None else f"{score:g}",
        "submitted_at": "2026-09-10T21:59:00Z" if score is not None else None,
        "graded_at": "2026-09-11T10:00:00+02:00" if score is not None else None,
        "attempt": 1 if score is not None else None, "late": False, "missing": False,
        "excused": False if score is not None else None, "seconds_late": 0,
        "late_policy_status": None, "preview_url": "https://canvas.test/preview",
    }
    row.update(extra)
    return row


def make_canvas_data() -> dict[str, list[dict[str, Any]]]:
    """Return raw Canvas JSON for two courses.

    Course 101 (letter grades): students 5001 (hostile name, in two sections), 5002 (late,
    missing), 5003 (inactive); a teacher (5900) and the test student (5999), who must be
    left out. Course 102: students 5001 and 5004, an excused submission, extra credit.
    """
    alice = _user(5001, HOSTILE_NAME)
    bob = _user(5002, "Bob Builder")
    carol = _user(5003, "Carol Inactive")
    dan = _user(5004, "Dan Two")
    teacher = _user(5900, "Ms Teacher")
    test_student = _user(5999, "Test Student")
    data: dict[str, list[dict[str, Any]]] = {
        "courses": [
            {
                "id": 101, "name": HOSTILE_COURSE, "course_code": "BIO-101",
                "workflow_state": "available", "account_id": 1,
                "start_at": "2026-08-20T08:00:00+02:00", "end_at": None,
                "time_zone": "America/Denver", "total_students": 3,
                "apply_assignment_group_weights": False,
                "term": {"id": 7, "name": "Fall 2026", "start_at": None, "end_at": None},
                "enrollments": [{"type": "teacher"}],
            },
            {
                "id": 102, "name": "History", "course_code": "HIS-102",
                "workflow_state": "completed", "account_id": 1, "start_at": None,
                "end_at": "2026-06-30T22:00:00Z", "time_zone": "Europe/Oslo",
                "total_students": 2, "apply_assignment_group_weights": True,
                "term": {"id": 1, "name": "Default Term", "start_at": None, "end_at": None},
            },
        ],
        "sections": [
            {"id": 201, "course_id": 101, "name": "Morning", "nonxlist_course_id": None},
            {"id": 202, "course_id": 101, "name": "Afternoon <i>", "nonxlist_course_id": None},
            {"id": 203, "course_id": 102, "name": "History", "sis_section_id": "H1"},
        ],
        "enrollments": [
            _enrollment(301, 101, 201, alice, score=91.5, grade="A-"),
            _enrollment(302, 101, 202, alice, score=91.5, grade="A-"),
            _enrollment(303, 101, 201, bob, score=55.0, grade="F"),
            _enrollment(304, 101, 202, carol, state="inactive", score=None, grade=None),
            _enrollment(305, 101, 201, teacher, type_="TeacherEnrollment"),
            _enrollment(306, 101, 201, test_student, type_="StudentViewEnrollment", score=0.0),
            _enrollment(307, 102, 203, alice, score=104.0),
            _enrollment(308, 102, 203, dan, score=70.25),
        ],
        "assignment_groups": [
            {"id": 401, "course_id": 101, "name": "Labs", "position": 1, "group_weight": 0,
             "rules": {}},
            {"id": 402, "course_id": 102, "name": "Essays", "position": 1,
             "group_weight": 62.5, "rules": {"drop_lowest": 1}},
        ],
        "assignments": [
            {"id": 501, "course_id": 101, "assignment_group_id": 401, "name": "Lab <1>",
             "points_possible": 10, "due_at": "2026-09-11T05:59:00Z", "published": True,
             "grading_type": "points", "omit_from_final_grade": False, "position": 1,
             "submission_types": ["online_upload"]},
            {"id": 502, "course_id": 101, "assignment_group_id": 401, "name": "Lab 2 🧪",
             "points_possible": 0, "due_at": None, "published": True,
             "grading_type": "pass_fail", "omit_from_final_grade": True, "position": 2},
            {"id": 503, "course_id": 102, "assignment_group_id": 402, "name": "Essay",
             "points_possible": 20.0, "due_at": "2026-05-01T21:59:00+00:00", "published": True,
             "grading_type": "letter_grade", "omit_from_final_grade": False, "position": 1},
        ],
        "submissions": [
            _submission(601, 501, 5001, 9.5),
            _submission(602, 501, 5002, None, missing=True, workflow_state="unsubmitted"),
            _submission(603, 501, 5003, None),
            _submission(604, 501, 5999, 10.0),  # the test student: left out
            _submission(605, 502, 5001, 0.0, grade="complete"),
            _submission(606, 502, 5002, 0.0, late=True, seconds_late=3600),
            _submission(607, 503, 5001, 22.0, grade="A+"),  # extra credit
            _submission(608, 503, 5004, None, excused=True, workflow_state="graded"),
        ],
    }
    return copy.deepcopy(data)
