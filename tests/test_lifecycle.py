"""Layer 0 through the real sync: objects that leave Canvas, come back, and are reviewed."""

from __future__ import annotations

import pytest

from tests.db_snapshot import rebuilt_summaries, snapshot
from tracker_db.canvas.client import RetryPolicy
from tracker_db.edits import (
    add_student_note,
    create_curriculum,
    set_assignment_metadata,
    set_course_metadata,
    set_student_tags,
)
from tracker_db.errors import CanvasAPIError, DataValidationError, SyncError
from tracker_db.fake_canvas import FakeCanvas, build_demo_dataset
from tracker_db.read_models.removals import list_removals
from tracker_db.read_models.reporting import get_curriculum_students
from tracker_db.read_models.student_record import get_student_notes, get_student_progress_history
from tracker_db.review import (
    archive_object,
    delete_permanently,
    keep_inactive,
    plan_permanent_delete,
)
from tracker_db.store import lifecycle
from tracker_db.sync.from_canvas import sync_from_canvas

TOKEN = "lifecycle-token"
FAST = RetryPolicy(backoff_base=0.01, backoff_cap=0.05, max_pause=0.05)


@pytest.fixture
def fake():
    with FakeCanvas(build_demo_dataset(seed=7), token=TOKEN) as server:
        yield server


def _sync(fake):
    return sync_from_canvas(fake.base_url, TOKEN)


def _status(cur, object_type: str, object_id: int) -> dict:
    rows = cur.execute(
        "SELECT active, removal_reason, pending_review, archived, last_seen_sync, "
        "last_known_name FROM lifecycle.object_status WHERE object_type = ? AND object_id = ?",
        [object_type, object_id],
    ).fetchall()
    assert len(rows) == 1, (object_type, object_id, rows)
    keys = ("active", "removal_reason", "pending_review", "archived", "last_seen_sync", "name")
    return dict(zip(keys, rows[0], strict=True))


def _one_course_student(fake) -> tuple[int, int]:
    """A course and an active student enrolled in no other teacher course."""
    ds = fake.dataset
    courses = [c["id"] for c in ds.courses_for_teacher()]
    seen: dict[int, list[int]] = {}
    for course_id in courses:
        for e in ds.student_enrollments(course_id):
            if e["enrollment_state"] == "active":
                seen.setdefault(e["user_id"], []).append(course_id)
    for user_id, in_courses in sorted(seen.items()):
        if len(set(in_courses)) == 1 and in_courses.count(in_courses[0]) == 1:
            return in_courses[0], user_id
    raise AssertionError("the demo data has no single-course student")


def _count(cur, sql: str, params: list) -> int:
    return cur.execute(f"SELECT count(*) FROM {sql}", params).fetchone()[0]


def test_dropped_student_and_deleted_assignment_are_removed_with_data_intact(fake, cur):
    course_id, student_id = _one_course_student(fake)
    assignment_id = fake.dataset.assignments(course_id)[0]["id"]
    _sync(fake)
    add_student_note(student_id, "Moved school?")
    set_assignment_metadata(assignment_id, difficulty=4)
    curriculum = create_curriculum("Demo", course_ids=[course_id])
    history_before = _count(cur, "history.assignment_scores WHERE student_id = ?", [student_id])
    assert history_before > 0

    fake.dataset.drop_student(course_id, student_id, state="deleted")
    fake.dataset.delete_assignment(course_id, assignment_id)
    _sync(fake)

    student = _status(cur, "student", student_id)
    assert (student["active"], student["removal_reason"], student["pending_review"]) == (
        False, "absent", True,
    )
    assert student["last_seen_sync"] == 1 and student["name"]
    assignment = _status(cur, "assignment", assignment_id)
    assert (assignment["active"], assignment["removal_reason"]) == (False, "absent")
    assert assignment["pending_review"] is True
    # Notes and history are untouched.
    assert get_student_notes(student_id)["body"].to_list() == ["Moved school?"]
    assert _count(cur, "history.assignment_scores WHERE student_id = ?", [student_id]) == (
        history_before
    )
    # Default views hide the student; the toggle shows them, with their last known grade.
    assert student_id not in get_curriculum_students(curriculum)["student_id"].to_list()
    shown = get_curriculum_students(curriculum, include_inactive=True)
    row = shown.filter(shown["student_id"] == student_id).row(0, named=True)
    assert row["enrollment_state"] == "removed: absent" and row["name"] == student["name"]
    # The review list names what each removal carries.
    removals = {
        (r["object_type"], r["object_id"]): r
        for r in list_removals().to_dicts()
    }
    assert removals[("student", student_id)]["notes"] == 1
    assert removals[("student", student_id)]["history_rows"] > 0
    assert removals[("assignment", assignment_id)]["has_metadata"] is True
    enrollment = cur.execute(
        "SELECT active, removal_reason FROM lifecycle.enrollment_status "
        "WHERE course_id = ? AND student_id = ?", [course_id, student_id],
    ).fetchone()
    assert enrollment == (False, "absent")


def test_a_student_who_comes_back_is_reactivated_with_history_connected(fake, cur):
    course_id, student_id = _one_course_student(fake)
    _sync(fake)
    fake.dataset.drop_student(course_id, student_id, state="deleted")
    _sync(fake)
    archive_object("student", student_id)
    fake.dataset.reenroll_student(course_id, student_id)
    result = _sync(fake)

    student = _status(cur, "student", student_id)
    assert (student["active"], student["removal_reason"], student["pending_review"],
            student["archived"]) == (True, None, False, False)
    assert student["last_seen_sync"] == result.sync_id
    history = get_student_progress_history(student_id, course_id)
    assert history["sync_id"].to_list()[0] == 1  # the first sync's row is still there
    assert cur.execute(
        "SELECT active, removal_reason FROM lifecycle.enrollment_status "
        "WHERE course_id = ? AND student_id = ?", [course_id, student_id],
    ).fetchone() == (True, None)


def test_an_inactive_enrollment_is_a_removal_with_its_reason(fake, cur):
    course_id, student_id = _one_course_student(fake)
    _sync(fake)
    fake.dataset.drop_student(course_id, student_id, state="inactive")
    _sync(fake)
    student = _status(cur, "student", student_id)
    assert (student["active"], student["removal_reason"]) == (False, "enrollment inactive")


def test_a_course_no_longer_tracked_is_not_called_absent(fake, cur):
    course_id, student_id = _one_course_student(fake)
    _sync(fake)
    set_course_metadata(course_id, tracking_enabled=False)
    _sync(fake)
    reason = cur.execute(
        "SELECT removal_reason FROM lifecycle.enrollment_status "
        "WHERE course_id = ? AND student_id = ?", [course_id, student_id],
    ).fetchone()
    assert reason == ("course not tracked",)
    assert _status(cur, "course", course_id)["active"] is True


def test_keep_and_archive_record_the_decision(fake, cur):
    course_id, student_id = _one_course_student(fake)
    _sync(fake)
    fake.dataset.drop_student(course_id, student_id)
    _sync(fake)
    keep_inactive("student", student_id)
    assert _status(cur, "student", student_id)["pending_review"] is False
    assert list_removals().filter(
        list_removals()["object_id"] == student_id
    ).height == 0
    archive_object("student", student_id)
    assert _status(cur, "student", student_id)["archived"] is True
    # A later sync keeps the decision while the student stays away.
    _sync(fake)
    assert _status(cur, "student", student_id)["archived"] is True


def test_active_objects_cannot_be_archived_or_deleted(fake, cur):
    _, student_id = _one_course_student(fake)
    _sync(fake)
    with pytest.raises(DataValidationError, match="is active in Canvas"):
        archive_object("student", student_id)
    with pytest.raises(DataValidationError, match="is active in Canvas"):
        plan_permanent_delete("student", student_id)
    with pytest.raises(DataValidationError, match="no student 1 is known"):
        keep_inactive("student", 1)
    with pytest.raises(DataValidationError, match="object type must be one of"):
        keep_inactive("teacher", student_id)


def _remove(fake, object_type: str) -> tuple[int, int]:
    """Give the object some teacher data, make it leave Canvas; return (id, its course)."""
    course_id, student_id = _one_course_student(fake)
    ds = fake.dataset
    if object_type == "student":
        add_student_note(student_id, "to be deleted")
        set_student_tags(student_id, ["gone"])
        ds.drop_student(course_id, student_id)
        return student_id, course_id
    assignment_id = ds.assignments(course_id)[0]["id"]
    set_assignment_metadata(assignment_id, difficulty=2)
    if object_type == "assignment":
        ds.delete_assignment(course_id, assignment_id)
        return assignment_id, course_id
    set_course_metadata(course_id, notes="old course")
    create_curriculum("Old", course_ids=[course_id])
    ds.delete_course(course_id)
    return course_id, course_id


@pytest.mark.parametrize("object_type", ["student", "assignment", "course"])
def test_permanent_delete_removes_exactly_that_objects_rows(fake, cur, object_type):
    _sync(fake)
    object_id, course_id = _remove(fake, object_type)
    bystander = add_student_note(
        next(e["user_id"] for c in fake.dataset.courses_for_teacher()
             for e in fake.dataset.student_enrollments(c["id"]) if c["id"] != course_id),
        "stays",
    )
    _sync(fake)
    assert _status(cur, object_type, object_id)["active"] is False

    plan = plan_permanent_delete(object_type, object_id)
    assert plan.total_rows > 0 and str(object_id) in plan.describe()
    course_assignments = {
        a for (a,) in cur.execute(
            "SELECT object_id FROM lifecycle.object_status "
            "WHERE object_type = 'assignment' AND course_id = ?", [course_id],
        ).fetchall()
    }
    before = snapshot(cur)
    delete_permanently(object_type, object_id, confirm=plan)
    after = snapshot(cur)

    def belongs(table: str, row: tuple) -> bool:
        columns = [c[0] for c in cur.execute(f"DESCRIBE {table}").fetchall()]
        values = dict(zip(columns, row, strict=True))
        if table == "lifecycle.object_status":
            mine = (values["object_type"], values["object_id"]) == (object_type, object_id)
            return mine or (object_type == "course" and values["object_type"] == "assignment"
                            and values["course_id"] == object_id)
        if object_type == "course" and table == "meta.assignment_metadata":
            return values["assignment_id"] in course_assignments
        return values.get(f"{object_type}_id") == object_id

    # The summary schema (derived, not in the plan) must be what a rebuild from the remaining
    # data gives, and must have lost the object.
    summary_before = {t: before.pop(t) for t in list(before) if t.startswith("summary.")}
    summary_after = {t: after.pop(t) for t in list(after) if t.startswith("summary.")}
    assert summary_after == rebuilt_summaries(cur)
    assert summary_after != summary_before
    for table, rows in before.items():
        assert after[table] == [r for r in rows if not belongs(table, r)], table
    removed = sum(len(r) for r in before.values()) - sum(len(r) for r in after.values())
    assert removed == plan.total_rows + 1  # and the object's own lifecycle record
    assert bystander in get_student_notes(
        cur.execute("SELECT student_id FROM meta.student_notes WHERE body = 'stays'").fetchone()[0]
    )["note_id"].to_list()


def test_a_stale_deletion_plan_is_refused(fake, cur):
    course_id, student_id = _one_course_student(fake)
    _sync(fake)
    fake.dataset.drop_student(course_id, student_id)
    _sync(fake)
    plan = plan_permanent_delete("student", student_id)
    add_student_note(student_id, "added after the plan")
    with pytest.raises(DataValidationError, match="changed since it was confirmed"):
        delete_permanently("student", student_id, confirm=plan)
    assert get_student_notes(student_id).height == 1


def test_a_failed_sync_leaves_layer0_untouched(fake, cur):
    course_id, student_id = _one_course_student(fake)
    _sync(fake)
    before = snapshot(cur, ("lifecycle",))
    fake.dataset.drop_student(course_id, student_id)
    fake.inject_fault("assignment_groups", nth=1, status=500, times=100)
    with pytest.raises(CanvasAPIError):
        sync_from_canvas(fake.base_url, TOKEN, retry=FAST)
    assert snapshot(cur, ("lifecycle",)) == before


def test_a_failed_write_leaves_layer0_untouched(fake, cur, monkeypatch):
    course_id, student_id = _one_course_student(fake)
    _sync(fake)
    before = snapshot(cur, ("lifecycle",))
    fake.dataset.drop_student(course_id, student_id)
    real = lifecycle.update_lifecycle

    def update_then_fail(*args, **kwargs):
        real(*args, **kwargs)
        raise RuntimeError("disk full")

    monkeypatch.setattr(lifecycle, "update_lifecycle", update_then_fail)
    with pytest.raises(SyncError, match="disk full"):
        _sync(fake)
    assert snapshot(cur, ("lifecycle",)) == before


def test_untracking_a_course_is_not_a_removal_to_review(fake, cur):
    course_id, student_id = _one_course_student(fake)
    _sync(fake)
    add_student_note(student_id, "keep me")
    set_course_metadata(course_id, tracking_enabled=False)
    _sync(fake)
    assert list_removals().height == 0
    student = _status(cur, "student", student_id)
    assert (student["active"], student["removal_reason"], student["pending_review"]) == (
        False, "course not tracked", False,
    )
    assignment_id = fake.dataset.assignments(course_id)[0]["id"]
    assert _status(cur, "assignment", assignment_id)["removal_reason"] == "course not tracked"
    # Tracking it again brings everything back.
    set_course_metadata(course_id, tracking_enabled=True)
    result = _sync(fake)
    assert _status(cur, "student", student_id)["active"] is True
    assert result.reactivated_objects > 0 and "back" in result.summary()
