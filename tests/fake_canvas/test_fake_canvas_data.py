"""The fake Canvas datasets: the demo set's special cases, coherent grades, the synthetic set's
size, speed and determinism, and the mutation helpers."""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from datetime import datetime
from typing import Any

import pytest

from tracker_db.fake_canvas import (
    HOSTILE_NAMES,
    CanvasDataset,
    build_demo_dataset,
    build_synthetic_dataset,
)
from tracker_db.fake_canvas.dataset import DEFAULT_SCHEME, letter_for

SYNC_STATES = {"state[]": ["active", "invited", "inactive", "completed"]}
TEACHER_COURSES = [101, 102, 103, 104, 106]


@pytest.fixture(scope="module")
def ds() -> CanvasDataset:
    return build_demo_dataset(seed=7)


def _canvas_scores(
    assignments: list[dict[str, Any]],
    groups: list[dict[str, Any]],
    weighted: bool,
    submissions: list[dict[str, Any]],
) -> tuple[float | None, float | None]:
    """Recompute current/final scores from served JSON, independently of the fake's code."""
    counted = {
        a["id"]: a
        for a in assignments
        if a["published"]
        and not a["omit_from_final_grade"]
        and a["points_possible"] is not None
        and a["grading_type"] != "not_graded"
    }
    per_group: dict[int, list[float]] = {g["id"]: [0.0, 0.0, 0.0, 0.0] for g in groups}
    for sub in submissions:
        assignment = counted.get(sub["assignment_id"])
        if assignment is None or sub["excused"]:
            continue
        acc = per_group[assignment["assignment_group_id"]]
        points = float(assignment["points_possible"])
        graded = sub["workflow_state"] == "graded" and sub["score"] is not None
        acc[2] += sub["score"] if graded else 0.0
        acc[3] += points
        if graded:
            acc[0] += sub["score"]
            acc[1] += points

    def combine(s: int, p: int) -> float | None:
        if not weighted:
            total_p = sum(a[p] for a in per_group.values())
            total_s = sum(a[s] for a in per_group.values())
            return round(100 * total_s / total_p, 2) if total_p else None
        weights = {g["id"]: g["group_weight"] for g in groups}
        used = [(weights[g], a[s] / a[p]) for g, a in per_group.items() if a[p] > 0]
        weight_sum = sum(w for w, _ in used)
        return round(100 * sum(w * r for w, r in used) / weight_sum, 2) if weight_sum else None

    return combine(0, 1), combine(2, 3)


# ---------------------------------------------------------------------------- demo dataset


def test_demo_courses_terms_and_roles(ds: CanvasDataset) -> None:
    assert ds.token_user_id == 5001
    teacher = ds.courses_for_teacher()
    assert [c["id"] for c in teacher] == TEACHER_COURSES
    by_id = {c["id"]: c for c in teacher}
    assert by_id[103]["term"] == {"id": 1, "name": "Default Term", "start_at": None, "end_at": None}
    assert by_id[104]["workflow_state"] == "completed"
    assert by_id[106]["workflow_state"] == "unpublished"
    # The student-only course exists but is not the teacher's.
    assert ds.self_enrollments(ds.courses[105])[0]["type"] == "student"
    assert not ds.is_teacher(ds.courses[105])
    # The empty course: no students, no assignments, no submissions.
    assert ds.student_enrollments(106) == []
    assert ds.assignments(106) == []
    assert ds.submissions(106) == []
    assert len(ds.sections(106)) == 1
    # The time zone and the offsets of a course's timestamps are both there.
    assert by_id[101]["time_zone"] == "America/Denver"


def test_demo_hostile_names_everywhere(ds: CanvasDataset) -> None:
    names = {e["user"]["name"] for e in ds.student_enrollments(101)}
    assert set(HOSTILE_NAMES) <= names
    assert any("'" in n and '"' in n for n in names)
    assert "<script>alert(1)</script>" in names
    assert any("<b>" in n for n in names)
    assert any(re.search("[\U0001f300-\U0001faff]", n) for n in names)  # emoji
    assert any(re.search("[\u4e00-\u9fff]", n) for n in names)  # Chinese
    assert any(re.search("[\u0600-\u06ff]", n) for n in names)  # Arabic
    assert any(re.search("[\u0400-\u04ff]", n) for n in names)  # Cyrillic
    course_names = [c["name"] for c in ds.courses_for_teacher()]
    assert any("<script>" in n for n in course_names)
    assert any('"' in n and "'" in n for n in course_names)
    assert any(
        re.search("[\u0400-\u04ff]", n) and re.search("[\u4e00-\u9fff]", n) for n in course_names
    )
    assignment_names = [a["name"] for c in TEACHER_COURSES for a in ds.assignments(c)]
    assert any("<b>" in n for n in assignment_names)
    assert any("<script>" in n for n in assignment_names)
    assert any(re.search("[\u4e00-\u9fff]", n) for n in assignment_names)


def test_demo_enrollment_special_cases(ds: CanvasDataset) -> None:
    rows = ds.student_enrollments(101)
    states = Counter(e["enrollment_state"] for e in rows)
    assert states["inactive"] >= 1 and states["completed"] >= 1 and states["invited"] >= 1
    per_user = Counter(e["user_id"] for e in rows)
    doubles = [uid for uid, n in per_user.items() if n == 2]
    assert len(doubles) >= 3
    for uid in doubles:
        sections = {e["course_section_id"] for e in rows if e["user_id"] == uid}
        ids = {e["id"] for e in rows if e["user_id"] == uid}
        assert len(sections) == 2 and len(ids) == 2
    deleted = ds.enrollments(101, states=["deleted"])
    assert deleted and deleted[0]["user_id"] not in per_user
    everyone = ds.enrollments(101, states=["active"])
    kinds = {e["type"] for e in everyone}
    assert {"TeacherEnrollment", "TaEnrollment", "StudentViewEnrollment"} <= kinds
    test_student = next(e for e in everyone if e["type"] == "StudentViewEnrollment")
    assert test_student["user"]["name"] == "Test Student"
    invited = next(e for e in rows if e["enrollment_state"] == "invited")
    assert invited["last_activity_at"] is None
    assert all(e["enrollment_state"] == "completed" for e in ds.student_enrollments(104)[:-1])
    cross_listed = [s for s in ds.sections(101) if s["nonxlist_course_id"]]
    assert cross_listed
    for e in rows:
        assert set(e["user"]) >= {
            "id",
            "name",
            "sortable_name",
            "short_name",
            "sis_user_id",
            "login_id",
        }
        assert set(e["grades"]) >= {
            "current_score",
            "final_score",
            "current_grade",
            "final_grade",
            "unposted_current_score",
            "unposted_final_score",
            "unposted_current_grade",
            "unposted_final_grade",
            "html_url",
        }


def test_demo_assignment_special_cases(ds: CanvasDataset) -> None:
    assignments = [a for c in TEACHER_COURSES for a in ds.assignments(c)]
    assert any(a["points_possible"] == 0 for a in assignments)
    assert any(a["points_possible"] is None for a in assignments)
    assert any(not a["published"] and a["workflow_state"] == "unpublished" for a in assignments)
    assert any(a["omit_from_final_grade"] for a in assignments)
    assert any(a["due_at"] is None for a in assignments)
    kinds = {a["grading_type"] for a in assignments}
    assert {"points", "percent", "letter_grade", "gpa_scale", "pass_fail", "not_graded"} <= kinds
    for course_id in (101, 102, 103, 104):
        assert 10 <= len(ds.assignments(course_id)) <= 20
        assert 30 <= len({e["user_id"] for e in ds.student_enrollments(course_id)}) <= 45
    assert ds.courses[102].course["apply_assignment_group_weights"] is True
    assert [g["group_weight"] for g in ds.assignment_groups(102)] == [40.0, 35.5, 24.5]


def test_demo_submission_special_cases(ds: CanvasDataset) -> None:
    subs = [s for c in TEACHER_COURSES for s in ds.submissions(c)]
    assert 2000 <= len(subs) <= 5000
    assert len({s["id"] for s in subs}) == len(subs)
    assert any(s["excused"] is True for s in subs)
    assert any(s["late"] and s["seconds_late"] > 0 for s in subs)
    assert any(s["missing"] and s["workflow_state"] == "unsubmitted" for s in subs)
    assert any(s["late_policy_status"] == "missing" and s["score"] == 0 for s in subs)
    assert any(s["workflow_state"] == "pending_review" for s in subs)
    assert any(s["workflow_state"] == "submitted" and s["score"] is None for s in subs)
    placeholders = [s for s in subs if s["workflow_state"] == "unsubmitted"]
    assert placeholders and all(s["submitted_at"] is None for s in placeholders)
    assert any(s["excused"] is None for s in placeholders)
    assert any(s["entered_score"] != s["score"] for s in subs)  # late deduction
    assignments = {a["id"]: a for c in TEACHER_COURSES for a in ds.assignments(c)}
    over = [
        s
        for s in subs
        if s["score"] is not None
        and assignments[s["assignment_id"]]["points_possible"]
        and s["score"] > assignments[s["assignment_id"]]["points_possible"]
    ]
    assert over  # extra credit above 100 %
    assert any(s["score"] and assignments[s["assignment_id"]]["points_possible"] == 0 for s in subs)
    grades = {s["grade"] for s in subs if s["grade"]}
    assert {"complete", "incomplete"} & grades
    assert any(g.endswith("%") for g in grades)
    assert any(g in {"A", "A-", "B+", "B", "C"} for g in grades)
    stamps = [s["graded_at"] for s in subs if s["graded_at"]]
    assert any(t.endswith("+01:00") for t in stamps)
    assert sum(t.endswith("Z") for t in stamps) > len(stamps) / 2
    assert any(isinstance(s["score"], int) for s in subs)  # 7 rather than 7.0
    assert any(isinstance(s["score"], float) for s in subs)
    for s in subs:
        for stamp in (s["submitted_at"], s["graded_at"]):
            if stamp:
                datetime.fromisoformat(stamp)


def test_demo_letter_grades_only_with_a_scheme(ds: CanvasDataset) -> None:
    graded = [e for e in ds.student_enrollments(102) if e["grades"]["current_score"] is not None]
    assert len(graded) > 30
    assert all(e["grades"]["current_grade"] in dict(DEFAULT_SCHEME) for e in graded)
    for course_id in (101, 103, 104):
        assert {e["grades"]["current_grade"] for e in ds.student_enrollments(course_id)} == {None}


def test_ids_are_unique_per_resource(ds: CanvasDataset) -> None:
    courses = list(ds.courses.values())
    for kind, rows in (
        ("sections", [s for c in courses for s in c.sections]),
        ("enrollments", [e for c in courses for e in c.enrollments]),
        ("groups", [g for c in courses for g in c.assignment_groups]),
        ("assignments", [a for c in courses for a in c.assignments]),
        ("submissions", [s for c in courses for s in ds.submissions(c.id)]),
    ):
        ids = [r["id"] for r in rows]
        assert len(ids) == len(set(ids)), kind
    assert min(c.id for c in courses) == 101
    assert min(a["id"] for c in courses for a in c.assignments) == 90001


@pytest.mark.parametrize("course_id", [101, 102, 103, 104])
def test_grades_are_coherent_with_served_data(demo: Any, course_id: int) -> None:
    course = demo.get(f"/courses/{course_id}").json()
    assignments, _ = demo.walk(f"/courses/{course_id}/assignments", {"per_page": 100})
    groups, _ = demo.walk(f"/courses/{course_id}/assignment_groups", {"per_page": 100})
    subs, _ = demo.walk(
        f"/courses/{course_id}/students/submissions", {"student_ids[]": "all", "per_page": 100}
    )
    enrollments, _ = demo.walk(
        f"/courses/{course_id}/enrollments",
        {"type[]": "StudentEnrollment", **SYNC_STATES, "per_page": 100},
    )
    by_user: dict[int, list[dict[str, Any]]] = {}
    for sub in subs:
        by_user.setdefault(sub["user_id"], []).append(sub)
    weighted = course["apply_assignment_group_weights"]
    checked = 0
    for e in enrollments:
        if e["user_id"] not in by_user:
            continue
        current, final = _canvas_scores(assignments, groups, weighted, by_user[e["user_id"]])
        assert e["grades"]["current_score"] == pytest.approx(current, abs=0.011)
        assert e["grades"]["final_score"] == pytest.approx(final, abs=0.011)
        if course["grading_standard_id"]:
            assert e["grades"]["current_grade"] == letter_for(current, DEFAULT_SCHEME)
        checked += 1
    assert checked >= 30


def test_demo_is_deterministic() -> None:
    one = build_demo_dataset(seed=7)
    two = build_demo_dataset(seed=7)
    other = build_demo_dataset(seed=8)
    assert json.dumps(one.submissions(101)) == json.dumps(two.submissions(101))
    assert json.dumps(one.student_enrollments(102)) == json.dumps(two.student_enrollments(102))
    assert json.dumps(one.submissions(101)) != json.dumps(other.submissions(101))


# ---------------------------------------------------------------------------- synthetic dataset


def test_synthetic_counts_over_http(client_for: Any) -> None:
    from tracker_db.fake_canvas import FakeCanvas

    ds = build_synthetic_dataset(
        courses=4, students_per_course=12, assignments_per_course=7, seed=5
    )
    counts = ds.expected_counts()
    assert counts["courses"] == 4
    assert counts["student_enrollments"] == 4 * 12
    assert counts["assignments"] == 4 * 7
    assert counts["submissions"] == 4 * 12 * 7
    with FakeCanvas(ds, token="test-token") as fake:
        client = client_for(fake)
        courses, _ = client.walk("/courses", {"enrollment_type": "teacher", "per_page": 100})
        total = 0
        for course in courses:
            rows, _ = client.walk(
                f"/courses/{course['id']}/students/submissions",
                {"student_ids[]": "all", "per_page": 100},
            )
            assert len({(r["user_id"], r["assignment_id"]) for r in rows}) == len(rows)
            total += len(rows)
            enrollments, _ = client.walk(
                f"/courses/{course['id']}/enrollments",
                {"type[]": "StudentEnrollment", "per_page": 100},
            )
            assert len(enrollments) == 12
        assert total == 4 * 12 * 7


def test_synthetic_rows_have_canvas_shape_and_coherent_grades() -> None:
    ds = build_synthetic_dataset(
        courses=3, students_per_course=20, assignments_per_course=12, seed=2
    )
    expected_fields = {
        "id", "assignment_id", "user_id", "workflow_state", "score", "grade", "submitted_at",
        "graded_at", "attempt", "late", "missing", "excused", "seconds_late",
        "late_policy_status", "entered_score", "entered_grade",
    }  # fmt: skip
    for course in ds.courses.values():
        subs = ds.submissions(course.id)
        assert all(expected_fields <= set(s) for s in subs)
        states = Counter(s["workflow_state"] for s in subs)
        assert states["graded"] > states["unsubmitted"] > 0
        by_user: dict[int, list[dict[str, Any]]] = {}
        for sub in subs:
            by_user.setdefault(sub["user_id"], []).append(sub)
        weighted = course.course["apply_assignment_group_weights"]
        for e in ds.student_enrollments(course.id):
            current, final = _canvas_scores(
                course.assignments, course.assignment_groups, weighted, by_user[e["user_id"]]
            )
            assert e["grades"]["current_score"] == pytest.approx(current, abs=0.011)
            assert e["grades"]["final_score"] == pytest.approx(final, abs=0.011)


def test_synthetic_is_deterministic_by_seed() -> None:
    def fingerprint(seed: int) -> str:
        ds = build_synthetic_dataset(3, 10, 6, seed=seed)
        return json.dumps(
            [(ds.student_enrollments(c), ds.submissions(c), ds.assignments(c)) for c in ds.courses]
        )

    assert fingerprint(1) == fingerprint(1)
    assert fingerprint(1) != fingerprint(2)


def test_synthetic_program_scale_builds_fast() -> None:
    started = time.perf_counter()
    ds = build_synthetic_dataset(courses=200, students_per_course=100, assignments_per_course=50)
    elapsed = time.perf_counter() - started
    assert elapsed < 15, elapsed
    counts = ds.expected_counts()
    assert counts["courses"] == 200
    assert counts["student_enrollments"] == 20_000
    assert counts["assignments"] == 10_000
    assert counts["submissions"] == 1_000_000


# ---------------------------------------------------------------------------- mutations


def test_change_scores_keeps_grades_coherent() -> None:
    ds = build_demo_dataset(seed=7)
    before = {c: {s["id"]: s["score"] for s in ds.submissions(c)} for c in TEACHER_COURSES}
    changed = ds.change_scores(0.1, seed=1)
    after = {c: {s["id"]: s["score"] for s in ds.submissions(c)} for c in TEACHER_COURSES}
    differing = sum(before[c][i] != after[c][i] for c in TEACHER_COURSES for i in before[c])
    assert changed == differing > 100
    for course_id in (101, 102):
        course = ds.courses[course_id]
        by_user: dict[int, list[dict[str, Any]]] = {}
        for sub in ds.submissions(course_id):
            by_user.setdefault(sub["user_id"], []).append(sub)
        weighted = course.course["apply_assignment_group_weights"]
        for e in ds.student_enrollments(course_id):
            current, _ = _canvas_scores(
                course.assignments, course.assignment_groups, weighted, by_user[e["user_id"]]
            )
            assert e["grades"]["current_score"] == pytest.approx(current, abs=0.011)
    assert ds.change_scores(0.0) == 0


def test_change_scores_on_synthetic_materialises_only_changed_cells() -> None:
    ds = build_synthetic_dataset(5, 20, 10, seed=3)
    changed = ds.change_scores(0.05, seed=9)
    assert changed > 0
    explicit = sum(len(c.submissions.rows) for c in ds.courses.values())
    assert explicit == changed


def test_set_score_drop_and_reenroll() -> None:
    ds = build_demo_dataset(seed=7)
    course = ds.courses[101]
    assignment = next(
        a for a in course.assignments if a["published"] and a["points_possible"] == 10
    )
    student = ds.student_enrollments(101)[0]["user_id"]
    row = ds.set_score(101, assignment["id"], student, 12.5)
    assert (row["score"], row["grade"], row["workflow_state"]) == (12.5, "12.5", "graded")
    served = next(
        s
        for s in ds.submissions(101)
        if (s["user_id"], s["assignment_id"]) == (student, assignment["id"])
    )
    assert served["score"] == 12.5
    with pytest.raises(KeyError):
        ds.set_score(101, 1, student, 1)

    assert ds.drop_student(101, student, "inactive") >= 1
    assert {
        e["enrollment_state"] for e in ds.student_enrollments(101) if e["user_id"] == student
    } == {"inactive"}
    assert student in {s["user_id"] for s in ds.submissions(101)}  # inactive keeps submissions
    ds.drop_student(101, student, "completed")
    assert student in {e["user_id"] for e in ds.student_enrollments(101)}
    ds.drop_student(101, student, "deleted")
    assert student not in {e["user_id"] for e in ds.student_enrollments(101)}
    assert student not in {s["user_id"] for s in ds.submissions(101)}
    ds.reenroll_student(101, student)
    assert student in {s["user_id"] for s in ds.submissions(101)}
    with pytest.raises(ValueError):
        ds.drop_student(101, student, "vanished")
    with pytest.raises(KeyError):
        ds.drop_student(101, 5001, "deleted")  # the teacher is not a student


def test_add_and_delete_assignment_update_counts_and_grades() -> None:
    ds = build_demo_dataset(seed=7)
    counts = ds.expected_counts()
    users = len(ds.visible_submission_users(ds.courses[103]))
    final_before = {e["id"]: e["grades"]["final_score"] for e in ds.student_enrollments(103)}
    new_id = ds.add_assignment(103, "Новое задание 🆕", points_possible=20)
    assert ds.expected_counts()["submissions"] == counts["submissions"] + users
    assert ds.expected_counts()["assignments"] == counts["assignments"] + 1
    # An unsubmitted assignment counts as zero in final_score only.
    finals = {e["id"]: e["grades"]["final_score"] for e in ds.student_enrollments(103)}
    assert any(finals[i] < final_before[i] for i in finals if final_before[i])
    ds.delete_assignment(103, new_id)
    assert ds.expected_counts() == counts
    assert new_id not in {s["assignment_id"] for s in ds.submissions(103)}
    with pytest.raises(KeyError):
        ds.delete_assignment(103, new_id)


def test_rename_student_changes_every_enrollment() -> None:
    ds = build_demo_dataset(seed=7)
    uid = next(
        u
        for u in {e["user_id"] for e in ds.student_enrollments(101)}
        if sum(e["user_id"] == u for e in ds.student_enrollments(101)) == 2
    )
    ds.rename_student(uid, "Renée O'Neil-Ωmega")
    rows = [e for e in ds.student_enrollments(101) if e["user_id"] == uid]
    assert len(rows) == 2
    assert {e["user"]["name"] for e in rows} == {"Renée O'Neil-Ωmega"}
    assert rows[0]["user"]["sortable_name"] == "O'Neil-Ωmega, Renée"


def test_fast_page_serialisation_matches_row_dicts() -> None:
    ds = build_synthetic_dataset(3, 17, 9, seed=3, test_students=True)
    ds.change_scores(0.1, seed=2)  # some cells become explicit rows
    ds.add_assignment(102, "Extra ✨")
    for course in ds.courses.values():
        table = course.submissions
        users = ds.visible_submission_users(course)
        assignments = ds.published_assignment_ids(course)
        full = [
            json.dumps(r, ensure_ascii=False, separators=(",", ":"))
            for r in table.iter_rows(users, assignments)
        ]
        assert len(full) == len(users) * len(assignments)
        for limit in (1, 7, 9, 100, 1000):
            after = None
            got: list[str] = []
            while True:
                parts, last, more = table.page_json(users, assignments, after, limit)
                assert len(parts) <= limit
                got += parts
                if not more:
                    break
                after = last
            assert got == full, limit
