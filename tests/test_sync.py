"""full_canvas_sync through a real database file: layers, history, atomicity."""

import pytest

from tests.db_snapshot import snapshot
from tests.sample_data import HOSTILE_COURSE, HOSTILE_NAME, make_canvas_data
from tracker_db.edits import (
    add_student_note,
    create_curriculum,
    set_course_metadata,
    set_student_tags,
)
from tracker_db.errors import DataValidationError, SyncError, TrackerError
from tracker_db.read_models.removals import get_object_status
from tracker_db.read_models.reporting import count_layer_rows, read_canvas_table, read_grade_history
from tracker_db.read_models.student_record import get_student_notes
from tracker_db.review import delete_permanently, plan_permanent_delete
from tracker_db.store import history, lifecycle, summaries, sync_runs
from tracker_db.store import snapshot as canvas_snapshot
from tracker_db.sync.write import full_canvas_sync


def _count(cur, table: str) -> int:
    return cur.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_first_sync_fills_layer1_and_records_everything_in_history(cur):
    result = full_canvas_sync(make_canvas_data(), source="https://canvas.test")
    assert result.counts == {
        "courses": 2, "sections": 3, "students": 4, "enrollments": 6,
        "assignment_groups": 2, "assignments": 3, "submissions": 7,
    }
    assert (result.courses, result.students, result.submissions) == (2, 4, 7)
    # One grade row per (course, student): Alice's two sections count once.
    assert result.grade_history_rows == 5
    assert result.assignment_score_rows == 7
    assert _count(cur, "history.grade_history") == 5
    run = cur.execute(
        "SELECT sync_id, status, source, submissions, assignment_score_rows, error "
        "FROM ops.sync_runs"
    ).fetchall()
    assert run == [(1, "succeeded", "https://canvas.test", 7, 7, None)]
    assert result.duration_seconds > 0
    assert "2 courses, 4 students" in result.summary()


def test_identical_second_sync_appends_nothing(cur):
    full_canvas_sync(make_canvas_data())
    before = snapshot(cur, ("history",))
    second = full_canvas_sync(make_canvas_data())
    assert second.history_rows == 0
    assert snapshot(cur, ("history",)) == before
    assert second.sync_id == 2


def test_changes_are_appended_and_old_rows_kept(cur):
    add_student_note(5002, "Parents called")
    full_canvas_sync(make_canvas_data())
    data = make_canvas_data()
    data["submissions"][1].update(score=7.0, workflow_state="graded", missing=False)  # Bob 501
    data["enrollments"][2]["grades"]["current_score"] = 61.0  # Bob's course grade rises
    data["enrollments"][3]["enrollment_state"] = "completed"  # Carol: state change only
    data["courses"][1]["name"] = "History (renamed)"
    del data["submissions"][5]  # Bob's late Lab 2 disappears from Canvas
    result = full_canvas_sync(data)

    assert result.assignment_score_rows == 1
    assert result.grade_history_rows == 2
    bob_501 = cur.execute(
        "SELECT sync_id, score, missing FROM history.assignment_scores "
        "WHERE student_id = 5002 AND assignment_id = 501 ORDER BY sync_id"
    ).fetchall()
    assert bob_501 == [(1, None, True), (2, 7.0, False)]
    carol = cur.execute(
        "SELECT sync_id, enrollment_state FROM history.grade_history WHERE student_id = 5003 "
        "ORDER BY sync_id"
    ).fetchall()
    assert carol == [(1, "inactive"), (2, "completed")]
    # Layer 1 follows Canvas: renamed course, the vanished submission gone.
    assert cur.execute("SELECT name FROM canvas.courses WHERE course_id = 102").fetchone() == (
        "History (renamed)",
    )
    assert _count(cur, "canvas.submissions") == 6
    # ...while history keeps what was recorded for it.
    assert _count(cur, "history.assignment_scores WHERE assignment_id = 502 "
                       "AND student_id = 5002") == 1
    # Layer 3 is never written by a sync.
    assert _count(cur, "meta.student_notes") == 1
    statuses = cur.execute("SELECT status FROM ops.sync_runs ORDER BY sync_id").fetchall()
    assert statuses == [("succeeded",), ("succeeded",)]


def test_a_change_back_to_an_earlier_value_is_recorded(cur):
    full_canvas_sync(make_canvas_data())
    changed = make_canvas_data()
    changed["submissions"][0]["score"] = 5.0
    full_canvas_sync(changed)
    result = full_canvas_sync(make_canvas_data())
    assert result.assignment_score_rows == 1
    scores = cur.execute(
        "SELECT score FROM history.assignment_scores WHERE assignment_id = 501 "
        "AND student_id = 5001 ORDER BY sync_id"
    ).fetchall()
    assert scores == [(9.5,), (5.0,), (9.5,)]


def test_hostile_text_round_trips_exactly(cur):
    full_canvas_sync(make_canvas_data())
    assert cur.execute("SELECT name FROM canvas.students WHERE student_id = 5001").fetchone() == (
        HOSTILE_NAME,
    )
    assert cur.execute("SELECT name FROM canvas.courses WHERE course_id = 101").fetchone() == (
        HOSTILE_COURSE,
    )
    add_student_note(5001, HOSTILE_NAME + "'; DROP TABLE meta.student_notes; --")
    notes = get_student_notes(5001)
    assert notes["body"].to_list() == [HOSTILE_NAME + "'; DROP TABLE meta.student_notes; --"]


def _fail_after(real, step_name: str, when=lambda *a, **k: True):
    """Wrap a write step: run it for real, then raise, so the step's writes are in flight."""

    def wrapper(*args, **kwargs):
        result = real(*args, **kwargs)
        if when(*args, **kwargs):
            raise RuntimeError(f"injected failure after {step_name}")
        return result

    return wrapper


WRITE_STEPS = [
    *[(canvas_snapshot, "replace_table", table) for table in canvas_snapshot.CANVAS_TABLES],
    (history, "append_assignment_scores", None),
    (history, "append_grade_history", None),
    (lifecycle, "update_lifecycle", None),
    (summaries, "write_course_students", None),
    (summaries, "write_students", None),
    (summaries, "append_submission_changes", None),
    (summaries, "write_hidden_submission_changes", None),
    (sync_runs, "record_run", None),
]


@pytest.mark.parametrize(
    ("module", "function", "table"), WRITE_STEPS,
    ids=[f"{f}:{t}" if t else f for _, f, t in WRITE_STEPS],
)
def test_failure_at_any_write_step_leaves_every_table_identical(
    cur, monkeypatch, module, function, table
):
    full_canvas_sync(make_canvas_data())
    curriculum = create_curriculum("Science", course_ids=[101])
    add_student_note(5001, "Needs help with labs")
    set_student_tags(5001, ["ell", "sport"])
    set_course_metadata(101, color="#112233", course_hours=40)
    before = snapshot(cur)
    runs_before = before.pop("ops.sync_runs")

    changed = make_canvas_data()
    changed["submissions"][0]["score"] = 1.0
    changed["enrollments"][0]["grades"]["current_score"] = 12.0
    changed["courses"][0]["name"] = "Renamed"

    real = getattr(module, function)
    if function == "replace_table":
        wrapper = _fail_after(real, f"{function}({table})", lambda c, t, f: t == table)
    elif function == "record_run":
        wrapper = _fail_after(real, function, lambda c, row: row["status"] == "succeeded")
    else:
        wrapper = _fail_after(real, function)
    monkeypatch.setattr(module, function, wrapper)

    with pytest.raises(SyncError, match="injected failure") as caught:
        full_canvas_sync(changed)
    assert isinstance(caught.value.__cause__, RuntimeError)

    after = snapshot(cur)
    runs_after = after.pop("ops.sync_runs")
    assert after == before
    assert set(runs_before) <= set(runs_after)
    failed = cur.execute(
        "SELECT status, error FROM ops.sync_runs WHERE sync_id = 2"
    ).fetchone()
    assert failed[0] == "failed" and "injected failure" in failed[1]
    assert len(runs_after) == len(runs_before) + 1
    assert curriculum == "science"


def test_invalid_data_writes_nothing_but_the_failed_run(cur):
    full_canvas_sync(make_canvas_data())
    before = snapshot(cur)
    bad = make_canvas_data()
    bad["submissions"][3]["score"] = "lots"
    with pytest.raises(DataValidationError, match="submissions id=604: field 'score'"):
        full_canvas_sync(bad)
    after = snapshot(cur)
    runs = after.pop("ops.sync_runs")
    before.pop("ops.sync_runs")
    assert after == before
    assert [r[3] for r in runs] == ["succeeded", "failed"]


def test_sync_uses_the_process_wide_database_by_default(synced_db):
    with synced_db.session() as cur:
        assert _count(cur, "canvas.courses") == 2


def test_a_student_back_with_unchanged_scores_adds_no_history(cur):
    # Bob leaves (absent from layer 1), then returns with the same scores: history already
    # has those values as his latest rows, so nothing is appended for his submissions.
    full_canvas_sync(make_canvas_data())
    without_bob = make_canvas_data()
    without_bob["enrollments"] = [e for e in without_bob["enrollments"] if e["user_id"] != 5002]
    without_bob["submissions"] = [s for s in without_bob["submissions"] if s["user_id"] != 5002]
    assert full_canvas_sync(without_bob).history_rows == 0
    back = full_canvas_sync(make_canvas_data())
    assert back.assignment_score_rows == 0
    changed = make_canvas_data()
    changed["submissions"][1]["score"] = 4.0  # Bob, assignment 501
    assert full_canvas_sync(changed).assignment_score_rows == 1


def test_history_deleted_for_a_present_student_starts_afresh(cur):
    full_canvas_sync(make_canvas_data())  # Carol (5003) is present but inactive
    plan = plan_permanent_delete("student", 5003)
    delete_permanently("student", 5003, confirm=plan)
    assert _count(cur, "history.assignment_scores WHERE student_id = 5003") == 0
    result = full_canvas_sync(make_canvas_data())
    # Canvas still lists her: she comes back as new, and her history is recorded again.
    assert result.assignment_score_rows == 1 and result.grade_history_rows == 1
    assert _count(cur, "lifecycle.object_status WHERE object_id = 5003") == 1


def test_layer1_and_layer2_reads(synced_db):
    assert count_layer_rows() == {
        "canvas.courses": 2, "canvas.sections": 3, "canvas.students": 4,
        "canvas.enrollments": 6, "canvas.assignment_groups": 2, "canvas.assignments": 3,
        "canvas.submissions": 7, "history.grade_history": 5, "history.assignment_scores": 7,
    }
    students = read_canvas_table("students")
    assert students["student_id"].to_list() == [5001, 5002, 5003, 5004]
    with pytest.raises(TrackerError, match="unknown canvas table"):
        read_canvas_table("students; DROP TABLE canvas.courses")
    alice = read_grade_history(student_id=5001)
    assert alice["course_id"].to_list() == [101, 102]
    assert read_grade_history(course_id=102).height == 2
    statuses = get_object_status("student")
    assert statuses.filter(statuses["object_id"] == 5003)["active"].to_list() == [False]
