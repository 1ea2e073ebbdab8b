"""The dashboard's own syncs: the schedule in the database, claims, and the scheduler thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from tracker_db.canvas.client import RetryPolicy
from tracker_db.db import Database
from tracker_db.errors import DataValidationError
from tracker_db.fake_canvas import FakeCanvas, build_demo_dataset
from tracker_db.migrate import open_database
from tracker_db.sync import schedule
from tracker_db.sync.runner import SyncRunner

TOKEN = "schedule-token"
NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
FAST = RetryPolicy(max_retries=1, backoff_base=0.01, backoff_cap=0.02)


@pytest.fixture
def canvas() -> Iterator[FakeCanvas]:
    with FakeCanvas(build_demo_dataset(seed=7), token=TOKEN) as fake:
        yield fake


def _token(cur) -> int:
    return int(cur.execute("SELECT token FROM ops.write_token").fetchone()[0])


def test_due_reasons_in_words():
    every_six = schedule.Schedule(every_hours=6, on_open_hours=2)
    assert schedule.due_reason(every_six, None, NOW, "schedule") == (
        "schedule: no successful sync yet")
    assert schedule.due_reason(every_six, NOW - timedelta(hours=5), NOW, "schedule") is None
    assert schedule.due_reason(every_six, NOW - timedelta(hours=7), NOW, "schedule") == (
        "schedule: the data is 7.0 hours old (limit 6)")
    assert schedule.due_reason(every_six, NOW - timedelta(hours=3), NOW, "on open") == (
        "on open: the data is 3.0 hours old (limit 2)")
    assert schedule.due_reason(schedule.Schedule(), None, NOW, "schedule") is None


def test_the_schedule_is_off_by_default_and_survives_a_restart(stores):
    settings = stores.settings()
    database = open_database(settings)
    assert schedule.get_schedule(cur=database.cursor()) == schedule.Schedule()
    with database.session() as cur:
        saved = schedule.save_schedule(6, "2", 0, cur=cur)
    database.close()
    assert saved == schedule.Schedule(every_hours=6, on_open_hours=2, upkeep_hours=None)
    reopened = open_database(settings)
    with reopened.session() as cur:
        assert schedule.get_schedule(cur=cur) == saved
    reopened.close()


@pytest.mark.parametrize(
    ("every", "message"),
    [("soon", "must be a number of hours"), (-1, "from 0.25"), (0.1, "from 0.25"),
     (10_000, "0 for off")],
)
def test_a_bad_schedule_is_refused_and_nothing_is_stored(cur, every, message):
    with pytest.raises(DataValidationError, match=message):
        schedule.save_schedule(every, None, None, cur=cur)
    assert cur.execute("SELECT count(*) FROM ops.settings").fetchone() == (0,)


def test_a_due_sync_is_claimed_once_until_the_lease_ends(cur):
    schedule.save_schedule(6, None, None, cur=cur)
    assert schedule.claim_sync(cur, "schedule", NOW) == "schedule: no successful sync yet"
    assert schedule.claim_sync(cur, "schedule", NOW + timedelta(minutes=1)) is None
    later = NOW + schedule.CLAIM_LEASE + timedelta(seconds=1)
    assert schedule.claim_sync(cur, "schedule", later) is not None


def test_a_check_that_finds_nothing_due_writes_nothing(cur):
    before = _token(cur)
    assert schedule.claim_sync(cur, "schedule", NOW) is None  # the schedule is off
    assert schedule.claim_upkeep(cur, NOW) is True  # upkeep defaults to daily...
    assert schedule.claim_upkeep(cur, NOW + timedelta(hours=1)) is False  # ...once a day
    assert _token(cur) == before + 1  # only the upkeep claim wrote


def _scheduler(database: Database, canvas: FakeCanvas | None) -> schedule.Scheduler:
    runner = SyncRunner(database, retry=FAST)
    settings = (canvas.base_url, TOKEN) if canvas else (None, None)
    return schedule.Scheduler(database, runner, lambda: settings, interval=3600)


def test_the_scheduler_starts_a_due_sync_and_only_one(fresh_db, canvas):
    scheduler = _scheduler(fresh_db, canvas)
    schedule.save_schedule(None, None, None)  # everything off (a lake's upkeep too)
    assert scheduler.check() == "nothing was due"
    schedule.save_schedule(6, None, None)
    assert scheduler.check() == (
        "started a full sync (schedule: no successful sync yet; full: no full sync yet)"
    )
    assert scheduler.runner.status().trigger == "schedule"
    assert scheduler.check() == "nothing was due"  # running, and claimed
    status = scheduler.runner.wait(60)
    assert status.phase == "succeeded", status.error
    assert scheduler.check() == "nothing was due"  # fresh data now
    with fresh_db.session() as cur:
        assert cur.execute("SELECT count(*) FROM ops.sync_runs").fetchone() == (1,)


def test_without_canvas_settings_the_schedule_starts_nothing(fresh_db):
    schedule.save_schedule(6, None, None)
    scheduler = _scheduler(fresh_db, None)
    assert scheduler.check() == "nothing was due"
    assert scheduler.runner.status().phase == "idle"


def test_opening_the_dashboard_wakes_the_on_open_check(fresh_db, canvas):
    schedule.save_schedule(None, 1, None)
    scheduler = _scheduler(fresh_db, canvas).start()
    try:
        scheduler.notice_open()
        deadline = time.monotonic() + 30
        while scheduler.runner.status().phase == "idle" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert scheduler.runner.status().trigger == "on open"
        assert scheduler.runner.wait(60).phase == "succeeded"
    finally:
        scheduler.stop()


@pytest.mark.ducklake_only
def test_two_dashboards_on_one_lake_start_one_scheduled_sync(stores, canvas):
    settings = stores.settings("shared")
    first, second = open_database(settings), open_database(settings)
    try:
        with first.session() as cur:
            schedule.save_schedule(6, None, None, cur=cur)
        schedulers = [_scheduler(first, canvas), _scheduler(second, canvas)]
        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def check(scheduler: schedule.Scheduler) -> None:
            barrier.wait()
            outcomes.append(scheduler.check())

        threads = [threading.Thread(target=check, args=(s,)) for s in schedulers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        for scheduler in schedulers:
            scheduler.runner.wait(60)
        assert sorted(o.startswith("started") for o in outcomes) == [False, True]
        with first.session() as cur:
            assert cur.execute("SELECT count(*) FROM ops.sync_runs").fetchone() == (1,)
    finally:
        first.close()
        second.close()


@pytest.mark.ducklake_only
def test_the_scheduler_tidies_a_lake_daily_by_default(fresh_db):
    scheduler = _scheduler(fresh_db, None)
    assert scheduler.check().startswith("upkeep: expired")
    assert scheduler.check() == "nothing was due"  # not again within the day


def _run(cur, sync_id: int, mode: str, started_at, status: str = "succeeded") -> None:
    cur.execute(
        "INSERT INTO ops.sync_runs (sync_id, started_at, status, mode) VALUES (?, ?, ?, ?)",
        [sync_id, started_at, status, mode],
    )


def test_scheduled_syncs_are_full_every_n_incrementals_or_days(cur):
    every = schedule.Schedule(full_every_syncs=2, full_every_days=7)
    assert schedule.full_sync_reason(every, cur=cur, now=NOW) == "no full sync yet"
    _run(cur, 1, "full", NOW - timedelta(days=1))
    assert schedule.full_sync_reason(every, cur=cur, now=NOW) is None
    _run(cur, 2, "incremental", NOW - timedelta(hours=20))
    _run(cur, 3, "incremental", NOW - timedelta(hours=10), status="failed")
    assert schedule.full_sync_reason(every, cur=cur, now=NOW) is None  # failures don't count
    _run(cur, 4, "incremental", NOW - timedelta(hours=5))
    assert schedule.full_sync_reason(every, cur=cur, now=NOW) == (
        "2 incremental syncs since the last full one"
    )
    by_days = schedule.Schedule(full_every_syncs=None, full_every_days=0.5)
    assert schedule.full_sync_reason(by_days, cur=cur, now=NOW) == (
        "the last full sync is 1.0 days old"
    )
    _run(cur, 5, "full", NOW - timedelta(hours=1))
    assert schedule.full_sync_reason(every, cur=cur, now=NOW) is None


@pytest.mark.parametrize(
    ("syncs", "days", "message"),
    [(0, 0, "a scheduled full sync is needed now and then"), (1.5, 7, "whole number"),
     (5000, 7, "from 1 to 1000 syncs"), (3, "weekly", "number of days"),
     (3, 365, "from 0.25 to 90 days")],
)
def test_a_bad_full_sync_cadence_is_refused_and_nothing_is_stored(cur, syncs, days, message):
    with pytest.raises(DataValidationError, match=message):
        schedule.save_schedule(6, None, None, syncs, days, cur=cur)
    assert cur.execute("SELECT count(*) FROM ops.settings").fetchone() == (0,)


def test_the_cadence_is_kept_with_the_schedule(cur):
    schedule.save_schedule(6, None, None, 3, 0, cur=cur)
    kept = schedule.get_schedule(cur=cur)
    assert (kept.full_every_syncs, kept.full_every_days) == (3, None)


def test_the_scheduler_runs_incremental_syncs_after_a_full_one(fresh_db, canvas):
    scheduler = _scheduler(fresh_db, canvas)
    schedule.save_schedule(0.25, None, None, 1, 0)
    modes = []
    for _ in range(3):
        with fresh_db.session() as cur:
            # Make the schedule due again: the data is old and nothing holds a claim.
            cur.execute("UPDATE ops.sync_runs SET finished_at = finished_at - INTERVAL 1 DAY")
            cur.execute("DELETE FROM ops.settings WHERE name = ?", [schedule.CLAIMED_AT])
        outcome = scheduler.check()
        assert scheduler.runner.wait(60).phase == "succeeded"
        modes.append(outcome.split(" (")[0])
    assert modes == ["started a full sync", "started an incremental sync",
                     "started a full sync"]
    with fresh_db.session() as cur:
        assert cur.execute("SELECT mode FROM ops.sync_runs ORDER BY sync_id").fetchall() == [
            ("full",), ("incremental",), ("full",)]
