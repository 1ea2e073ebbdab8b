"""Incremental syncs through the real client, the real fake Canvas on loopback and a real
database: what they fetch, what they store, and that they store what a full sync would."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl
import pytest

from tests.db_snapshot import snapshot
from tracker_db.canvas.client import RetryPolicy
from tracker_db.canvas.incremental import KnownState, Refetch, merge_submissions, plan_refetch
from tracker_db.canvas.shaping import TABLE_COLUMNS, shape_canvas_data
from tracker_db.db import Database
from tracker_db.errors import CanvasAPIError
from tracker_db.fake_canvas.dataset import CanvasDataset, iso_z
from tracker_db.fake_canvas.generators import build_demo_dataset
from tracker_db.fake_canvas.server import FakeCanvas
from tracker_db.migrate import open_database
from tracker_db.read_models.removals import get_object_status
from tracker_db.sync.from_canvas import sync_from_canvas
from tracker_db.sync.write import SyncResult

TOKEN = "incremental-token"
FAST = RetryPolicy(backoff_base=0.01, backoff_cap=0.05, max_pause=0.05)
LAYER_1 = tuple(f"canvas.{t}" for t in TABLE_COLUMNS)
LAYER_2 = ("history.grade_history", "history.assignment_scores")


@pytest.fixture
def moving_canvas() -> Iterator[FakeCanvas]:
    """The demo's fake Canvas, to be changed between syncs."""
    with FakeCanvas(build_demo_dataset(seed=7), token=TOKEN) as fake:
        yield fake


@pytest.fixture
def two_dbs(stores: Any) -> Iterator[tuple[Database, Database]]:
    """Two empty databases on the backend under test."""
    first = open_database(stores.settings("first"))
    second = open_database(stores.settings("second"))
    try:
        yield first, second
    finally:
        first.close()
        second.close()


def _sync(fake: FakeCanvas, db: Database, *, incremental: bool) -> SyncResult:
    with db.session() as cur:
        return sync_from_canvas(fake.base_url, TOKEN, cur=cur, retry=FAST,
                                incremental=incremental)


def _layers(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Layers 1 and 2 by value: history rows without their sync's id and time."""
    with db.session() as cur:
        tables = snapshot(cur, ("canvas", "history"))
        for name in LAYER_2:
            frame = cur.execute(f"SELECT * EXCLUDE (recorded_at) FROM {name}").pl()
            tables[name] = sorted(frame.rows(), key=repr)
        return {name: tables[name] for name in (*LAYER_1, *LAYER_2)}


def _course_ids(ds: CanvasDataset) -> list[int]:
    return sorted(c["id"] for c in ds.courses_for_teacher())


def _students(ds: CanvasDataset, course_id: int) -> list[int]:
    return sorted({e["user_id"] for e in ds.student_enrollments(course_id)
                   if e["enrollment_state"] == "active"})


def _published(ds: CanvasDataset, course_id: int) -> list[int]:
    return [a["id"] for a in ds.assignments(course_id) if a["published"]]


def _first_week(ds: CanvasDataset) -> None:
    """Regrades, a hand-in, an excuse, a new student, a deleted assignment, a dropped
    student, a moved due date, a new assignment due in a moment, a renamed student."""
    first, second = _course_ids(ds)[:2]
    ds.change_scores(0.03, seed=11)
    a1, a2, a3 = _published(ds, first)[:3]
    s1, s2, s3 = _students(ds, first)[:3]
    ds.submit(first, a1, s1)
    ds.excuse(first, a2, s2)
    ds.enroll_new_student(second, "Nova Newcomer")
    ds.delete_assignment(second, _published(ds, second)[-1])
    ds.drop_student(first, s3, "deleted")
    ds.set_due_at(first, a3, iso_z(datetime.now(UTC) - timedelta(days=1)))
    ds.add_assignment(first, "Quick check", 5,
                      due_at=iso_z(datetime.now(UTC) + timedelta(seconds=2)))
    ds.rename_student(s1, "Renamed Student")


def _second_week(ds: CanvasDataset) -> None:
    """The quick check's due date passes (work becomes missing, no timestamp moves); the
    dropped student comes back; the new student hands in and is graded; more regrades."""
    first, second = _course_ids(ds)[:2]
    time.sleep(2.2)
    assert ds.pass_due_dates(since=datetime.now(UTC) - timedelta(minutes=1)) > 0
    dropped = sorted({e["user_id"] for e in ds.course_data(first).enrollments
                      if e["enrollment_state"] == "deleted"})
    ds.reenroll_student(first, dropped[0])
    newcomer = max(_students(ds, second))
    assignment = _published(ds, second)[0]
    ds.submit(second, assignment, newcomer)
    ds.set_score(second, assignment, newcomer, 3.0)
    ds.change_scores(0.02, seed=12)


def _third_week(ds: CanvasDataset) -> None:
    first = _course_ids(ds)[0]
    ds.change_scores(0.02, seed=13)
    ds.drop_student(first, _students(ds, first)[-1], "inactive")
    ds.excuse(first, _published(ds, first)[0], _students(ds, first)[0])


def test_full_incremental_incremental_full_stores_what_four_full_syncs_store(
    moving_canvas: FakeCanvas, two_dbs: tuple[Database, Database]
) -> None:
    mixed, full = two_dbs
    moves: list[Callable[[CanvasDataset], None]] = [
        lambda ds: None, _first_week, _second_week, _third_week,
    ]
    modes = [False, True, True, False]
    for step, (move, incremental) in enumerate(zip(moves, modes, strict=True), start=1):
        move(moving_canvas.dataset)
        got = _sync(moving_canvas, mixed, incremental=incremental)
        expected = _sync(moving_canvas, full, incremental=False)
        assert got.mode == ("incremental" if incremental else "full")
        assert got.history_rows == expected.history_rows, f"sync {step}"
        assert _layers(mixed) == _layers(full), f"layers 1 and 2 differ after sync {step}"
        if step > 1:
            assert expected.history_rows > 0  # the Canvas did move
    with mixed.session() as cur:
        runs = cur.execute(
            "SELECT sync_id, mode, changes_since IS NOT NULL FROM ops.sync_runs ORDER BY 1"
        ).fetchall()
    assert runs == [(1, "full", False), (2, "incremental", True),
                    (3, "incremental", True), (4, "full", False)]


def test_an_incremental_asks_only_for_changed_submissions(
    moving_canvas: FakeCanvas, fresh_db: Database
) -> None:
    _sync(moving_canvas, fresh_db, incremental=False)
    full_requests = len(moving_canvas.request_log)
    moving_canvas.reset_log()
    moving_canvas.dataset.change_scores(0.01, seed=3)
    result = _sync(moving_canvas, fresh_db, incremental=True)
    paths = [path for _, path, _ in moving_canvas.request_log]
    submissions = [p for p in paths if "/students/submissions" in p]
    # Per course with work: one request for graded, one for handed-in work (1% changed
    # fits on a page each); no course's whole chain of pages.
    assert not [p for p in submissions if "page=bookmark" in p]
    for course in _course_ids(moving_canvas.dataset):
        if _published(moving_canvas.dataset, course):
            mine = [p for p in submissions if f"/courses/{course}/" in p]
            assert sum("graded_since=" in p for p in mine) == 1
            assert sum("submitted_since=" in p for p in mine) == 1
    assert len(paths) < full_requests
    # The watermark is the previous sync's start less the overlap, in Canvas's format.
    since = result.changes_since
    assert since is not None
    assert any(f"graded_since={since:%Y-%m-%dT%H:%M:%S}Z" in p.replace("%3A", ":")
               for p in submissions)
    assert result.summary().startswith("incremental sync 2:")


def test_an_incremental_without_an_earlier_sync_is_a_full_one_and_says_so(
    moving_canvas: FakeCanvas, fresh_db: Database
) -> None:
    result = _sync(moving_canvas, fresh_db, incremental=True)
    assert result.mode == "full"
    assert "no earlier sync to build on, so a full sync" in result.summary()


def test_an_incremental_removes_nothing_and_the_next_full_sync_does(
    moving_canvas: FakeCanvas, fresh_db: Database
) -> None:
    ds = moving_canvas.dataset
    course = _course_ids(ds)[0]
    _sync(moving_canvas, fresh_db, incremental=False)
    leaver = _students(ds, course)[0]
    ds.drop_student(course, leaver, "deleted")
    for other in [c for c in _course_ids(ds) if leaver in _students(ds, c)]:
        ds.drop_student(other, leaver, "deleted")
    gone = _published(ds, course)[-1]
    ds.delete_assignment(course, gone)

    incremental = _sync(moving_canvas, fresh_db, incremental=True)
    assert incremental.removed_objects == 0
    with fresh_db.session() as cur:
        status = get_object_status(cur=cur)
        # Layer 1 says what Canvas says (the student's rows are gone) ...
        assert cur.execute("SELECT count(*) FROM canvas.submissions WHERE assignment_id = ?",
                           [gone]).fetchone() == (0,)
    # ... but layer 0 waits for a full sync to call anything removed.
    active = {(r["object_type"], r["object_id"]): r["active"] for r in status.iter_rows(named=True)}
    assert active[("student", leaver)] and active[("assignment", gone)]

    full = _sync(moving_canvas, fresh_db, incremental=False)
    assert full.removed_objects >= 2
    with fresh_db.session() as cur:
        status = get_object_status(cur=cur)
    active = {(r["object_type"], r["object_id"]): r["active"] for r in status.iter_rows(named=True)}
    assert not active[("student", leaver)] and not active[("assignment", gone)]


def test_a_failed_incremental_changes_nothing_and_keeps_the_watermark(
    moving_canvas: FakeCanvas, fresh_db: Database
) -> None:
    _sync(moving_canvas, fresh_db, incremental=False)
    moving_canvas.dataset.change_scores(0.02, seed=5)
    with fresh_db.session() as cur:
        before = snapshot(cur, ("canvas", "history", "lifecycle", "summary", "meta"))
        first_start = cur.execute("SELECT started_at FROM ops.sync_runs").pl().item()
    moving_canvas.inject_fault("graded_since", status=500, times=1000)
    with pytest.raises(CanvasAPIError):
        _sync(moving_canvas, fresh_db, incremental=True)
    with fresh_db.session() as cur:
        assert snapshot(cur, ("canvas", "history", "lifecycle", "summary", "meta")) == before
        failed = cur.execute(
            "SELECT status, mode FROM ops.sync_runs WHERE sync_id = 2").fetchone()
        assert failed[0] == "failed"
    moving_canvas.clear_faults()
    moving_canvas.reset_log()
    retried = _sync(moving_canvas, fresh_db, incremental=True)
    # Built on the last successful sync (1), not on the failed attempt.
    assert retried.changes_since is not None
    assert retried.changes_since < first_start
    assert retried.history_rows > 0


def _known(submissions: list[dict[str, Any]], enrollments: list[tuple[int, int, int, str]],
           assignments: list[dict[str, Any]]) -> KnownState:
    return KnownState(
        sync_id=1,
        since=datetime(2026, 11, 1, tzinfo=UTC),
        enrollments=pl.DataFrame(
            enrollments, orient="row",
            schema=["enrollment_id", "course_id", "student_id", "enrollment_state"],
        ),
        assignments=pl.DataFrame(assignments).select(TABLE_COLUMNS["assignments"]),
        submissions=pl.DataFrame(submissions),
    )


def _raw_enrollment(enrollment_id: int, user_id: int, state: str = "active") -> dict[str, Any]:
    return {"id": enrollment_id, "course_id": 101, "user_id": user_id,
            "type": "StudentEnrollment", "enrollment_state": state,
            "user": {"id": user_id, "name": f"User {user_id}"}}


def _raw_assignment(assignment_id: int, due_at: str | None = None,
                    points: float = 10) -> dict[str, Any]:
    return {"id": assignment_id, "course_id": 101, "name": f"A{assignment_id}",
            "points_possible": points, "due_at": due_at, "published": True,
            "grading_type": "points", "assignment_group_id": 1, "position": 1}


def test_the_plan_refetches_what_timestamps_cannot_show() -> None:
    now = datetime(2026, 11, 2, tzinfo=UTC)
    before_enrollments = [(1, 101, 5001, "active"), (2, 101, 5002, "active"),
                          (3, 101, 5003, "active")]
    base_assignments = shape_canvas_data({
        "courses": [{"id": 101, "name": "C"}],
        "assignments": [_raw_assignment(1), _raw_assignment(2), _raw_assignment(3)],
    }).assignments.to_dicts()
    known = _known([], before_enrollments, base_assignments)
    refetch = plan_refetch(
        known, 101,
        # 5002 unchanged; 5001 now inactive; 5003 gone; 5004 new.
        [_raw_enrollment(1, 5001, "inactive"), _raw_enrollment(2, 5002),
         _raw_enrollment(4, 5004)],
        # 1 unchanged; 2 worth more points; 3 gone; 4 new; 5 due since the watermark.
        [_raw_assignment(1), _raw_assignment(2, points=20), _raw_assignment(4),
         _raw_assignment(5, due_at="2026-11-01T12:00:00Z"),
         _raw_assignment(6, due_at="2026-11-03T12:00:00Z")],
        since=known.since, now=now,
    )
    assert refetch == Refetch(student_ids=(5001, 5003, 5004), assignment_ids=(2, 4, 5, 6))
    # 6 is new (so fetched), but a due date still ahead would not count on its own:
    later = plan_refetch(
        known, 101, [_raw_enrollment(n, 5000 + n) for n in (1, 2, 3)],
        [_raw_assignment(1), _raw_assignment(2), _raw_assignment(3)],
        since=known.since, now=now,
    )
    assert later == Refetch()
    assert plan_refetch(known, 999, [], [], since=known.since, now=now) == Refetch(
        whole_course=True)


def test_refetch_requests_stay_within_canvas_limits() -> None:
    refetch = Refetch(student_ids=tuple(range(1, 151)), assignment_ids=(7,))
    requests = refetch.requests()
    assert [sum(1 for k, _ in r if k == "student_ids[]") for r in requests] == [100, 50, 1]
    assert requests[-1] == [("student_ids[]", "all"), ("assignment_ids[]", "7")]
    assert Refetch(whole_course=True).requests() == [[("student_ids[]", "all")]]


def test_the_merge_keeps_unchanged_rows_and_lets_fetched_ones_win() -> None:
    data = {
        "courses": [{"id": 101, "name": "C"}],
        "enrollments": [_raw_enrollment(1, 5001), _raw_enrollment(2, 5002)],
        "assignments": [_raw_assignment(1), _raw_assignment(2)],
        "submissions": [
            {"id": 11, "assignment_id": 1, "user_id": 5001, "score": "4"},
            {"id": 12, "assignment_id": 2, "user_id": 5001, "score": "5"},
            {"id": 21, "assignment_id": 1, "user_id": 5002, "score": "6"},
            {"id": 22, "assignment_id": 2, "user_id": 5002, "score": "7"},
        ],
    }
    previous = shape_canvas_data(data)
    known = KnownState(1, datetime(2026, 11, 1, tzinfo=UTC), previous.enrollments,
                       previous.assignments, previous.submissions)
    # Now: 5001's first submission regraded; assignment 2 deleted; 5002 unchanged.
    now = shape_canvas_data({
        **data,
        "assignments": [_raw_assignment(1)],
        "submissions": [{"id": 11, "assignment_id": 1, "user_id": 5001, "score": "9"}],
    })
    merged = merge_submissions(known, now, {101: Refetch()}).submissions
    assert sorted(merged.select("submission_id", "score").rows()) == [(11, 9.0), (21, 6.0)]
    # A course the plan did not fetch keeps nothing (it is untracked or gone now).
    assert merge_submissions(known, now, {}).submissions.height == 1
