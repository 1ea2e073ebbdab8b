"""The background sync runner: one sync at a time per process, progress, and outcomes."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import duckdb
import pytest

from tests.conftest import Stores
from tracker_db.canvas.client import RetryPolicy
from tracker_db.db import Database, set_default_database
from tracker_db.errors import ConfigError, TrackerError
from tracker_db.fake_canvas import FakeCanvas, build_demo_dataset
from tracker_db.migrate import open_database
from tracker_db.sync import runner as runner_module
from tracker_db.sync.runner import SyncRunner, SyncStatus, get_sync_runner

TOKEN = "runner-secret-token-123"
FAST_RETRY = RetryPolicy(max_retries=1, backoff_base=0.01, backoff_cap=0.02)


@pytest.fixture
def manager(stores: Stores) -> Iterator[Database]:
    """A fresh database, installed as the process-wide one."""
    db = open_database(stores.settings("runner"))
    previous = set_default_database(db)
    try:
        yield db
    finally:
        set_default_database(previous)
        db.close()


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeCanvas]:
    """A demo Canvas whose requests take a little while, so a sync lasts long enough to
    be clicked on again."""
    with FakeCanvas(build_demo_dataset(seed=7), token=TOKEN, latency=0.01) as server:
        yield server


def _runs(db: Database) -> list[tuple[int, str]]:
    with db.session() as cur:
        return cur.execute("SELECT sync_id, status FROM ops.sync_runs ORDER BY sync_id").fetchall()


def test_concurrent_starts_run_exactly_one_sync(manager, fake):
    runner = SyncRunner(manager, retry=FAST_RETRY)
    barrier = threading.Barrier(8)
    results: list[bool] = []
    lock = threading.Lock()

    def click() -> None:
        barrier.wait()
        started = runner.start("canvas", fake.base_url, TOKEN)
        with lock:
            results.append(started)

    threads = [threading.Thread(target=click) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 7 + [True]
    assert runner.status().running
    # A click while it runs is refused too, and does not disturb the running sync.
    assert runner.start("canvas", fake.base_url, TOKEN) is False
    final = runner.wait(60)
    assert final.phase == "succeeded", final.error
    assert final.run_number == 1
    assert _runs(manager) == [(1, "succeeded")]
    assert final.summary and final.summary.startswith("sync 1:")


def test_progress_is_reported_while_running(manager, fake):
    runner = SyncRunner(manager)
    assert runner.start("canvas", fake.base_url, TOKEN)
    seen: list[SyncStatus] = []
    while True:
        status = runner.status()
        seen.append(status)
        if not status.running:
            break
        time.sleep(0.01)
    steps = [s.step for s in seen if s.running]
    assert "fetch" in steps
    fetch = [s for s in seen if s.step == "fetch"]
    assert any(s.total > 0 for s in fetch)
    dones = [s.done for s in fetch]
    assert dones == sorted(dones), "progress never goes backwards within a step"
    assert 0.0 <= max(s.fraction for s in seen) <= 1.0
    final = seen[-1]
    assert final.phase == "succeeded"
    assert final.finished_at is not None and final.finished_at >= final.started_at
    assert final.elapsed_seconds > 0


def test_a_failed_sync_reports_why_and_changes_nothing(manager, fake):
    runner = SyncRunner(manager, retry=FAST_RETRY)
    assert runner.start("canvas", fake.base_url, TOKEN)
    assert runner.wait(60).phase == "succeeded"
    totals = "SELECT count(*), sum(current_score) FROM canvas.enrollments"
    with manager.session() as cur:
        before = cur.execute(totals).fetchone()
    fake.inject_fault("/courses/101/", status=500, times=100)
    try:
        assert runner.start("canvas", fake.base_url, TOKEN)
        final = runner.wait(60)
    finally:
        fake.clear_faults()
    assert final.phase == "failed"
    assert "500" in final.error
    assert final.summary is None
    assert final.run_number == 2
    with manager.session() as cur:
        after = cur.execute(totals).fetchone()
    assert after == before
    assert _runs(manager) == [(1, "succeeded"), (2, "failed")]
    # After a failure the next click starts a new sync.
    assert runner.start("canvas", fake.base_url, TOKEN)
    assert runner.wait(60).phase == "succeeded"


def test_the_token_never_appears_in_status(manager, fake, monkeypatch):
    runner = SyncRunner(manager)
    assert runner.start("canvas", fake.base_url, "wrong-token-456")
    final = runner.wait(60)
    assert final.phase == "failed"
    assert "401" in final.error and "wrong-token-456" not in final.error

    def leaky(base_url, token, **kwargs):
        kwargs["progress"]("fetch", 1, 2, f"using {token}")
        raise TrackerError(f"failed with {token} in the message")

    monkeypatch.setattr(runner_module, "sync_from_canvas", leaky)
    assert runner.start("canvas", fake.base_url, TOKEN)
    final = runner.wait(10)
    assert final.phase == "failed"
    assert TOKEN not in final.error and "[token]" in final.error
    assert TOKEN not in final.message
    assert TOKEN not in repr(final)


def test_unexpected_errors_become_a_failed_status(manager, monkeypatch, caplog):
    def broken(base_url, token, **kwargs):
        raise RuntimeError(f"boom near {token}")

    monkeypatch.setattr(runner_module, "sync_from_canvas", broken)
    runner = SyncRunner(manager)
    with caplog.at_level("ERROR", logger="tracker_db.sync.runner"):
        assert runner.start("canvas", "https://canvas.example.edu", TOKEN)
        final = runner.wait(10)
    assert final.phase == "failed"
    assert "RuntimeError" in final.error and "boom" in final.error
    assert TOKEN not in final.error
    assert not runner.status().running
    assert "boom near [token]" in caplog.text and TOKEN not in caplog.text


def test_demo_loads_into_an_empty_database_only(manager):
    runner = SyncRunner(manager, demo_syncs=2)
    assert runner.start("demo")
    final = runner.wait(60)
    assert final.phase == "succeeded", final.error
    assert final.kind == "demo"
    assert "2 syncs" in final.summary
    assert _runs(manager) == [(1, "succeeded"), (2, "succeeded")]
    assert runner.start("demo")
    final = runner.wait(60)
    assert final.phase == "failed"
    assert "empty database" in final.error
    assert _runs(manager) == [(1, "succeeded"), (2, "succeeded")]


def test_start_refuses_a_canvas_sync_without_settings(manager):
    runner = SyncRunner(manager)
    with pytest.raises(ConfigError, match="CANVAS_BASE_URL"):
        runner.start("canvas", None, TOKEN)
    with pytest.raises(ConfigError, match="CANVAS_TOKEN"):
        runner.start("canvas", "https://canvas.example.edu", "  ")
    with pytest.raises(ConfigError, match="unknown sync kind"):
        runner.start("nightly")  # type: ignore[arg-type]
    assert runner.status() == SyncStatus()


def test_the_sync_thread_outlives_its_caller(manager, fake):
    """The sync belongs to no session: the thread that clicked can end at once."""
    runner = SyncRunner(manager)
    clicked = threading.Thread(target=runner.start, args=("canvas", fake.base_url, TOKEN))
    clicked.start()
    clicked.join()
    status = runner.status()
    assert status.running or status.phase == "succeeded"
    sync_threads = [t for t in threading.enumerate() if t.name.startswith("tracker-sync-")]
    assert all(t.daemon for t in sync_threads)
    assert runner.wait(60).phase == "succeeded"


def test_status_is_an_immutable_snapshot():
    status = SyncStatus()
    with pytest.raises(AttributeError):
        status.phase = "running"  # type: ignore[misc]
    assert status.fraction == 0.0 and status.elapsed_seconds == 0.0


def test_the_runner_is_one_per_process():
    assert get_sync_runner() is get_sync_runner()


def test_the_sync_uses_its_own_cursor_and_readers_keep_the_old_data(manager, fake):
    """While a sync writes, other cursors still read the last committed data."""
    runner = SyncRunner(manager)
    assert runner.start("canvas", fake.base_url, TOKEN)
    counts = set()
    while runner.status().running:
        with manager.session() as cur:
            try:
                counts.add(cur.execute("SELECT count(*) FROM ops.sync_runs").fetchone()[0])
            except duckdb.Error as e:  # pragma: no cover - would be a real problem
                pytest.fail(f"reading during a sync failed: {e}")
        time.sleep(0.005)
    assert runner.status().phase == "succeeded"
    assert counts <= {0, 1}
