"""What changed between syncs: the change logs each sync appends, and the read model over
them, through real syncs from the fake Canvas on loopback."""

from __future__ import annotations

import itertools
import time
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from tests.db_snapshot import snapshot
from tracker_db.canvas.client import RetryPolicy
from tracker_db.edits import set_course_metadata
from tracker_db.errors import DataValidationError
from tracker_db.fake_canvas import FakeCanvas, build_demo_dataset
from tracker_db.fake_canvas.dataset import iso_z
from tracker_db.maintenance import rebuild_summaries
from tracker_db.read_models.changes import (
    CHANGE_KINDS,
    SyncRange,
    get_change_counts,
    get_change_details,
    list_comparable_syncs,
    resolve_range,
)
from tracker_db.review import delete_permanently, plan_permanent_delete
from tracker_db.sync.from_canvas import sync_from_canvas

TOKEN = "changes-token"
FAST = RetryPolicy(backoff_base=0.01, backoff_cap=0.05, max_pause=0.05)


@pytest.fixture
def fake():
    with FakeCanvas(build_demo_dataset(seed=5), token=TOKEN) as server:
        yield server


def _sync(fake, *, incremental: bool = False) -> int:
    # Canvas's *_since filters are strict, to the second: let a change fall after the last
    # sync's start, as it would on a real Canvas, before syncing it.
    time.sleep(1.05)
    return sync_from_canvas(fake.base_url, TOKEN, retry=FAST, incremental=incremental).sync_id


def _changes(cur, after: int, until: int, **kwargs) -> set[tuple]:
    span = resolve_range(after, until, cur=cur)
    assert span is not None
    frame = get_change_details(span, limit=None, cur=cur, **kwargs)
    return {(r["kind"], r["course_id"], r["student_id"], r["assignment_id"], r["old_score"],
             r["new_score"]) for r in frame.iter_rows(named=True)}


def _score(cur, assignment_id: int, student_id: int) -> float | None:
    return cur.execute("SELECT score FROM canvas.submissions WHERE assignment_id = ? AND "
                       "student_id = ?", [assignment_id, student_id]).fetchone()[0]


def _pick(cur, where: str) -> tuple[int, int, int, float | None]:
    """A submission (course, assignment, student, score) of a listed student matching where."""
    row = cur.execute(
        "SELECT s.course_id, s.assignment_id, s.student_id, s.score FROM canvas.submissions s "
        "JOIN canvas.assignments a USING (assignment_id) "
        f"WHERE a.published AND a.points_possible > 0 AND {where} "
        "ORDER BY s.course_id, s.assignment_id, s.student_id LIMIT 1").fetchone()
    assert row is not None, where
    return row


def test_the_first_sync_logs_nothing_and_there_is_nothing_to_compare(fake, cur):
    _sync(fake)
    assert cur.execute("SELECT count(*) FROM summary.work_changes").fetchone() == (0,)
    assert cur.execute("SELECT count(*) FROM lifecycle.enrollment_changes").fetchone() == (0,)
    assert resolve_range(cur=cur) is None


def test_each_kind_of_change_is_reported_once_with_old_and_new(fake, cur):
    ds = fake.dataset
    first = _sync(fake)
    graded = _pick(cur, "s.score IS NOT NULL AND NOT coalesce(s.excused, false)")
    ungraded = _pick(cur, "s.score IS NULL AND s.submitted_at IS NULL AND s.workflow_state = "
                          "'unsubmitted' AND NOT coalesce(s.missing OR s.excused, false)")
    course_id, assignment_id, student_id, old = graded
    regraded_to = (old or 0) + 1.5
    ds.set_score(course_id, assignment_id, student_id, regraded_to)
    ds.set_score(ungraded[0], ungraded[1], ungraded[2], 4.0)  # a first grade
    unsubmitted = _pick(cur, "s.submitted_at IS NULL AND s.score IS NULL AND NOT coalesce("
                             f"s.missing OR s.excused, false) AND s.assignment_id <> {ungraded[1]}")
    ds.submit(unsubmitted[0], unsubmitted[1], unsubmitted[2])
    newcomer = ds.enroll_new_student(course_id, "Nova Newcomer")
    leaver = next(e["user_id"] for e in ds.student_enrollments(course_id)
                  if e["user_id"] not in (student_id, newcomer))
    ds.drop_student(course_id, leaver)
    # An assignment whose due date passes: its work not handed in becomes missing.
    due_course, due_assignment = unsubmitted[0], unsubmitted[1]
    due_in = datetime.now(UTC) + timedelta(seconds=1)
    ds.set_due_at(due_course, due_assignment, iso_z(due_in + timedelta(seconds=1)))
    time.sleep(2.5)
    ds.pass_due_dates(datetime.now(UTC) - timedelta(minutes=1))
    second = _sync(fake)

    found = _changes(cur, first, second)
    assert ("regrade", course_id, student_id, assignment_id, old, regraded_to) in found
    assert ("new grade", ungraded[0], ungraded[2], ungraded[1], None, 4.0) in found
    assert ("newly submitted", unsubmitted[0], unsubmitted[2], unsubmitted[1], None,
            None) in found
    assert ("student added", course_id, newcomer, None, None, None) in found
    assert ("student gone", course_id, leaver, None, None, None) in found
    missing_now = {(r[0], r[1]) for r in cur.execute(
        "SELECT assignment_id, student_id FROM canvas.submissions WHERE assignment_id = ? "
        "AND missing AND NOT coalesce(excused, false)", [due_assignment]).fetchall()}
    assert missing_now  # the moved due date made work missing ...
    assert {(a, s) for k, _, s, a, _, _ in found if k == "newly missing"} == missing_now
    # ... and nothing else moved: every other entry is one of the changes made above.
    expected_kinds = {"regrade", "new grade", "newly submitted", "student added",
                      "student gone", "newly missing"}
    assert {k for k, *_ in found} == expected_kinds
    assert len([f for f in found if f[0] == "regrade"]) == 1
    assert len([f for f in found if f[0] == "new grade"]) == 1

    gone = get_change_details(resolve_range(cur=cur), kinds=["student gone"], cur=cur)
    assert gone["reason"].to_list() == ["absent"]
    counts = get_change_counts(resolve_range(cur=cur), cur=cur)
    row = counts.filter(pl.col("course_id") == course_id).row(0, named=True)
    assert row["regrades"] >= 1 and row["students_added"] == 1 and row["students_gone"] == 1
    assert counts["changes"].sum() == len(found)
    assert counts.select(pl.sum_horizontal(
        "new_grades", "regrades", "newly_missing", "newly_submitted", "students_added",
        "students_gone")).to_series().to_list() == counts["changes"].to_list()


def test_a_change_undone_within_the_range_is_no_change(fake, cur):
    ds = fake.dataset
    first = _sync(fake)
    course_id, assignment_id, student_id, old = _pick(cur, "s.score IS NOT NULL")
    leaver = next(e["user_id"] for e in ds.student_enrollments(course_id)
                  if e["user_id"] != student_id)
    ds.set_score(course_id, assignment_id, student_id, old + 2)
    ds.drop_student(course_id, leaver)
    second = _sync(fake)
    ds.set_score(course_id, assignment_id, student_id, old)
    ds.reenroll_student(course_id, leaver)
    third = _sync(fake)

    regrade = ("regrade", course_id, student_id, assignment_id)
    assert {f[:4] for f in _changes(cur, first, second)} >= {
        regrade, ("student gone", course_id, leaver, None)}
    back = _changes(cur, second, third)
    assert ("regrade", course_id, student_id, assignment_id, old + 2, old) in back
    assert ("student added", course_id, leaver, None, None, None) in back
    over_both = {f[:4] for f in _changes(cur, first, third)}
    assert regrade not in over_both
    assert ("student gone", course_id, leaver, None) not in over_both
    assert ("student added", course_id, leaver, None) not in over_both


def test_an_incremental_logs_what_a_full_sync_would(fake, cur, stores):
    from tracker_db.migrate import open_database

    ds = fake.dataset
    _sync(fake)
    other = open_database(stores.settings("full"))
    try:
        with other.session() as full_cur:
            sync_from_canvas(fake.base_url, TOKEN, retry=FAST, cur=full_cur)
            ds.change_scores(0.05, seed=8)
            course_id = ds.courses_for_teacher()[0]["id"]
            ds.enroll_new_student(course_id, "Ines Incremental")
            _sync(fake, incremental=True)
            sync_from_canvas(fake.base_url, TOKEN, retry=FAST, cur=full_cur)
            logs = ("summary.work_changes", "lifecycle.enrollment_changes")
            assert snapshot(cur, ("summary", "lifecycle"))["summary.work_changes"]
            for name in logs:
                assert (snapshot(cur, ("summary", "lifecycle"))[name]
                        == snapshot(full_cur, ("summary", "lifecycle"))[name])
    finally:
        other.close()


def test_the_logs_are_what_a_rebuild_derives_and_deletes_take_their_rows(fake, cur):
    ds = fake.dataset
    _sync(fake)
    for seed in (1, 2):
        ds.change_scores(0.1, seed=seed)
        _sync(fake)
    written = snapshot(cur, ("summary",))["summary.work_changes"]
    assert written
    rebuild_summaries(cur=cur)
    assert snapshot(cur, ("summary",))["summary.work_changes"] == written
    # work_states repeats submission_states' definition of submitted: they must agree.
    assert cur.execute(
        "SELECT count(*) FROM summary.work_states w JOIN summary.submission_states s "
        "USING (sync_id, assignment_id, student_id) WHERE w.submitted <> (s.submitted = 1)"
    ).fetchone() == (0,)

    course_id = ds.courses_for_teacher()[0]["id"]
    leaver = ds.student_enrollments(course_id)[0]["user_id"]
    for course in ds.courses_for_teacher():
        if any(e["user_id"] == leaver for e in ds.student_enrollments(course["id"])):
            ds.drop_student(course["id"], leaver)
    _sync(fake)
    assert cur.execute("SELECT count(*) FROM lifecycle.enrollment_changes WHERE student_id = ?",
                       [leaver]).fetchone()[0] > 0
    plan = plan_permanent_delete("student", leaver, cur=cur)
    delete_permanently("student", leaver, confirm=plan, cur=cur)
    for table in ("summary.work_changes", "lifecycle.enrollment_changes"):
        assert cur.execute(f"SELECT count(*) FROM {table} WHERE student_id = ?",
                           [leaver]).fetchone() == (0,), table


def test_a_course_new_to_the_tracker_brings_students_not_a_flood_of_grades(fake, cur):
    # Graded work in a course the tracker did not follow yet is what Canvas had, not news.
    course_id = fake.dataset.courses_for_teacher()[0]["id"]
    set_course_metadata(course_id, tracking_enabled=False, cur=cur)
    first = _sync(fake)
    set_course_metadata(course_id, tracking_enabled=True, cur=cur)
    second = _sync(fake)
    found = _changes(cur, first, second)
    students = {r[0] for r in cur.execute(
        "SELECT student_id FROM lifecycle.enrollment_status WHERE course_id = ? AND active",
        [course_id]).fetchall()}
    assert students and {f[2] for f in found} == students
    assert all(f[1] == course_id and f[0] == "student added" for f in found)


def test_ranges_resolve_from_sync_numbers_and_dates(fake, cur):
    ds = fake.dataset
    ids = []
    for seed in range(3):
        ids.append(_sync(fake))
        ds.change_scores(0.05, seed=seed)
    syncs = list_comparable_syncs(cur=cur)
    assert syncs["sync_id"].to_list() == ids[::-1]
    assert set(syncs["mode"]) == {"full"}
    dated = dict(zip(syncs["sync_id"], syncs["dated_at"], strict=True))

    default = resolve_range(cur=cur)
    assert default == SyncRange(ids[1], dated[ids[1]], ids[2], dated[ids[2]])
    assert resolve_range(ids[0], cur=cur).after_sync == ids[0]
    assert resolve_range(f"#{ids[0]}", ids[1], cur=cur).until_sync == ids[1]
    # A time: the state then is the latest sync at or before it.
    between = dated[ids[1]] + (dated[ids[2]] - dated[ids[1]]) / 2
    assert resolve_range(between.isoformat(), cur=cur).after_sync == ids[1]
    assert resolve_range(dated[ids[0]], cur=cur).after_sync == ids[0]
    # A date is its start in the given zone: today's start is before every sync.
    today = datetime.now(UTC).date()
    tomorrow = (today + timedelta(days=1)).isoformat()
    # Tomorrow's state is the latest sync's: nothing after it to compare with.
    with pytest.raises(DataValidationError, match="is not before sync"):
        resolve_range(tomorrow, cur=cur, time_zone="UTC")
    with pytest.raises(DataValidationError, match="no sync happened by"):
        resolve_range(today.isoformat(), cur=cur, time_zone="Pacific/Kiritimati")
    with pytest.raises(DataValidationError, match="there is no successful sync 99"):
        resolve_range(99, cur=cur)
    with pytest.raises(DataValidationError, match="until: there is no successful sync 0"):
        resolve_range(None, 0, cur=cur)
    with pytest.raises(DataValidationError, match="'last tuesday' is neither a sync number"):
        resolve_range("last tuesday", cur=cur)
    with pytest.raises(DataValidationError, match="is not before sync"):
        resolve_range(ids[2], ids[1], cur=cur)
    with pytest.raises(DataValidationError, match="first successful sync"):
        resolve_range(None, ids[0], cur=cur)
    with pytest.raises(DataValidationError, match="unknown kind of change 'regraded'"):
        get_change_details(default, kinds=["regraded"], cur=cur)
    assert set(CHANGE_KINDS) >= set(get_change_details(default, cur=cur)["kind"])


def test_details_are_limited_and_filtered_by_course_and_kind(fake, cur):
    ds = fake.dataset
    _sync(fake)
    ds.change_scores(0.2, seed=3)
    _sync(fake)
    span = resolve_range(cur=cur)
    everything = get_change_details(span, limit=None, cur=cur)
    assert everything.height > 20
    assert get_change_details(span, limit=20, cur=cur).equals(everything.head(20))
    course_id = everything["course_id"][0]
    one_course = get_change_details(span, [course_id], ["regrade"], limit=None, cur=cur)
    assert one_course.height > 0
    assert set(one_course["course_id"]) == {course_id} and set(one_course["kind"]) == {"regrade"}
    counts = get_change_counts(span, [course_id], cur=cur)
    assert counts["course_id"].to_list() == [course_id]
    assert counts["regrades"][0] == one_course.height


def test_one_sync_read_as_it_is_matches_the_netted_range_and_limits_cut_the_same_list(
    fake, cur
):
    ds = fake.dataset
    ids = [_sync(fake)]
    for seed in range(2):
        ds.change_scores(0.1, seed=seed)
        ids.append(_sync(fake))
    for after, until in itertools.pairwise(ids):
        netted = {tuple(r) for r in cur.execute(
            "SELECT kind, course_id, student_id, assignment_id, old_score, new_score "
            "FROM summary.changes_between(?, ?)", [after, until]).fetchall()}
        assert netted and _changes(cur, after, until) == netted
    span = resolve_range(ids[0], ids[-1], cur=cur)
    assert span is not None
    whole = get_change_details(span, limit=None, cur=cur)
    # Cuts inside the first course, at a course's end, and past it, are the list's prefix.
    first_course = whole.filter(pl.col("course_id") == whole["course_id"][0]).height
    for limit in (1, first_course, first_course + 1, whole.height - 1):
        assert get_change_details(span, limit=limit, cur=cur).equals(whole.head(limit)), limit


def test_students_who_left_a_course_since_a_day_with_why_and_their_last_score(fake, cur):
    from tracker_db.read_models.roster import get_departures

    ds = fake.dataset
    first, second = (c["id"] for c in ds.courses_for_teacher()[:2])
    quitter, dropped, back = (e["user_id"] for e in ds.student_enrollments(first)[:3])
    other = ds.student_enrollments(second)[0]["user_id"]
    _sync(fake)
    ds.drop_student(first, quitter, "inactive")
    ds.drop_student(first, dropped, "deleted")
    ds.drop_student(first, back, "inactive")
    ds.drop_student(second, other, "completed")
    _sync(fake)
    ds.reenroll_student(first, back)
    _sync(fake)
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date()
    left = get_departures(yesterday, cur=cur)
    found = {(r["course_id"], r["student_id"]): r for r in left.iter_rows(named=True)}
    assert set(found) == {(first, quitter), (first, dropped), (second, other)}  # not `back`
    assert found[(first, quitter)]["reason"] == "inactive in Canvas"
    assert found[(first, dropped)]["reason"] == "no longer listed (dropped or deleted)"
    assert found[(second, other)]["reason"] == "completed"
    last = cur.execute("SELECT current_score FROM history.grade_history WHERE course_id = ? "
                       "AND student_id = ? ORDER BY sync_id DESC LIMIT 1",
                       [first, dropped]).fetchone()[0]
    assert found[(first, dropped)]["last_score"] == last
    assert set(get_departures(yesterday, [second], cur=cur)["student_id"]) == {other}
    assert get_departures(yesterday + timedelta(days=2), cur=cur).is_empty()
