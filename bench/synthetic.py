"""Canvas-shaped synthetic sync data for the store benchmarks (no server involved)."""

from __future__ import annotations

import random
from typing import Any


def build_canvas_api_data(
    courses: int = 200, students: int = 100, assignments: int = 50, seed: int = 1
) -> dict[str, list[dict[str, Any]]]:
    """Return raw Canvas JSON lists as ``full_canvas_sync`` takes them.

    Each course has its own ``students`` students (ids unique per course) and ``assignments``
    assignments; every student has one submission per assignment.
    """
    rng = random.Random(seed)
    data: dict[str, list[dict[str, Any]]] = {
        "courses": [], "sections": [], "enrollments": [], "assignment_groups": [],
        "assignments": [], "submissions": [],
    }
    submission_id = 7_000_000
    for c in range(courses):
        course_id = 1000 + c
        data["courses"].append({
            "id": course_id, "name": f"Course {c}", "course_code": f"C{c}",
            "workflow_state": "available", "account_id": 1, "time_zone": "Europe/Oslo",
            "start_at": "2026-08-20T08:00:00Z", "end_at": None, "total_students": students,
            "term": {"id": 7, "name": "Fall 2026"}, "apply_assignment_group_weights": False,
        })
        section_id = 500_000 + c
        data["sections"].append({"id": section_id, "course_id": course_id, "name": "Main"})
        group_id = 300_000 + c
        data["assignment_groups"].append({
            "id": group_id, "course_id": course_id, "name": "Assignments", "position": 1,
            "group_weight": 100.0, "rules": {},
        })
        assignment_ids = [2_000_000 + c * assignments + a for a in range(assignments)]
        for position, assignment_id in enumerate(assignment_ids, 1):
            data["assignments"].append({
                "id": assignment_id, "course_id": course_id, "name": f"Task {position}",
                "assignment_group_id": group_id, "position": position, "points_possible": 10.0,
                "grading_type": "points", "due_at": "2026-09-01T21:59:00Z", "published": True,
                "workflow_state": "published", "omit_from_final_grade": False,
                "submission_types": ["online_upload"],
            })
        for s in range(students):
            user_id = 100_000 + c * students + s
            score = round(rng.uniform(40, 100), 2)
            data["enrollments"].append({
                "id": 900_000 + c * students + s, "course_id": course_id,
                "course_section_id": section_id, "user_id": user_id,
                "type": "StudentEnrollment", "role": "StudentEnrollment",
                "enrollment_state": "active", "last_activity_at": "2026-10-01T12:00:00Z",
                "total_activity_time": 3600,
                "grades": {"current_score": score, "final_score": score * 0.9,
                           "current_grade": None, "final_grade": None},
                "user": {"id": user_id, "name": f"Student {user_id}",
                         "sortable_name": f"{user_id}, Student", "short_name": f"S{user_id}",
                         "login_id": f"s{user_id}", "sis_user_id": None},
            })
            for assignment_id in assignment_ids:
                submission_id += 1
                graded = rng.random() < 0.8
                data["submissions"].append({
                    "id": submission_id, "assignment_id": assignment_id, "user_id": user_id,
                    "workflow_state": "graded" if graded else "unsubmitted",
                    "score": float(rng.randint(0, 10)) if graded else None,
                    "grade": None, "submitted_at": "2026-09-01T20:00:00Z" if graded else None,
                    "graded_at": "2026-09-02T08:00:00+02:00" if graded else None,
                    "attempt": 1 if graded else None, "late": False, "missing": not graded,
                    "excused": False if graded else None, "seconds_late": 0,
                    "late_policy_status": None,
                })
    return data


def change_scores(data: dict[str, list[dict[str, Any]]], fraction: float, seed: int) -> int:
    """Change the score of ``fraction`` of all submissions in place; return how many."""
    rng = random.Random(seed)
    subs = data["submissions"]
    picked = rng.sample(range(len(subs)), int(len(subs) * fraction))
    for i in picked:
        old = subs[i]["score"]
        subs[i] = {**subs[i], "score": (old or 0.0) + 0.5, "workflow_state": "graded"}
    return len(picked)
