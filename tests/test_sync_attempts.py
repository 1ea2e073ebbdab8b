"""Sync attempts: the trace each one keeps while it runs, what ends it, and honest outcomes.

The command-line side (a real SIGKILL, signals, the messages) is in ``tests/test_cli.py``;
these run the sync in-process, on the backend under test.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from tests.sample_data import make_canvas_data
from tracker_db.canvas.client import RetryPolicy
from tracker_db.db import write
from tracker_db.errors import CanvasAuthError
from tracker_db.fake_canvas import FakeCanvas, build_demo_dataset
from tracker_db.read_models.sync_status import get_attempt_runs, get_unfinished_attempts
from tracker_db.store import sync_runs
from tracker_db.sync import write as write_module
from tracker_db.sync.from_canvas import sync_from_canvas
from tracker_db.sync.write import full_canvas_sync

TOKEN = "attempts-token-8~keep-it-secret"
FAST = RetryPolicy(backoff_base=0.01, backoff_cap=0.05, max_pause=0.05)
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def fake():
    with FakeCanvas(build_demo_dataset(seed=7), token=TOKEN) as server:
        yield server


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait(30)  # reaped: the number names no process now
    return child.pid


def _leave_attempt(cur, started_at: datetime, pid: int, host: str) -> str:
    attempt_id = sync_runs.new_attempt_id()

    def insert(c):
        sync_runs.start_attempt(c, attempt_id, started_at, kind="canvas", trigger="test")
        c.execute("UPDATE ops.sync_attempts SET pid = ?, host = ? WHERE attempt_id = ?",
                  [pid, host, attempt_id])

    write(cur, insert)
    return attempt_id


def _attempt_rows(cur) -> list[tuple[object, ...]]:
    return cur.execute("SELECT kind, trigger, pid, host FROM ops.sync_attempts").fetchall()


def test_an_attempt_is_recorded_while_it_runs_and_ended_by_its_sync(cur, fake):
    seen = []

    def peek(step, done, total, message):
        if step == "fetch" and not seen:
            seen.extend(_attempt_rows(cur))

    result = sync_from_canvas(fake.base_url, TOKEN, retry=FAST, trigger="schedule",
                              progress=peek, cur=cur)
    assert seen == [("canvas", "schedule", os.getpid(), socket.gethostname())]
    assert _attempt_rows(cur) == []
    runs = get_attempt_runs([result.attempt_id], cur=cur)
    assert runs.select("sync_id", "status").rows() == [(1, "succeeded")]


def test_a_failed_attempt_ends_its_trace_with_its_record(cur, fake):
    with pytest.raises(CanvasAuthError):
        sync_from_canvas(fake.base_url, "wrong-token", retry=FAST, cur=cur)
    assert _attempt_rows(cur) == []
    assert cur.execute(
        "SELECT status, attempt_id IS NOT NULL FROM ops.sync_runs").fetchall() == [
        ("failed", True)]


def test_an_interrupted_attempt_records_nothing(cur, fake):
    ids: list[str] = []

    def interrupt(step, done, total, message):
        if step == "fetch" and done:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        sync_from_canvas(fake.base_url, TOKEN, retry=FAST, progress=interrupt, cur=cur,
                         attempt_ids=ids)
    assert len(ids) == 1 and get_attempt_runs(ids, cur=cur).is_empty()
    assert _attempt_rows(cur) == []
    assert cur.execute("SELECT count(*) FROM ops.sync_runs").fetchone() == (0,)


def test_an_interrupt_in_duckdb_during_the_write_records_no_failure(cur, monkeypatch):
    # DuckDB turns Ctrl-C mid-statement into RuntimeError('Query interrupted'); it is an
    # interrupt, not a failure to record, and what it left is in the database alone.
    def interrupted(*args, **kwargs):
        raise RuntimeError("Query interrupted") from KeyboardInterrupt()

    monkeypatch.setattr(write_module, "write_sync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        full_canvas_sync(make_canvas_data(), cur=cur)
    assert cur.execute("SELECT count(*) FROM ops.sync_runs").fetchone() == (0,)


def test_a_commit_that_raises_after_saving_is_no_failure(cur, monkeypatch):
    # The COMMIT went through, then the driver raised (a lost connection, say): the sync is
    # saved, so ops.sync_runs must not call it failed and the caller gets its result.
    real = write_module.write_sync

    def saved_then_raised(*args, **kwargs):
        real(*args, **kwargs)
        raise RuntimeError("connection to the catalog lost")

    monkeypatch.setattr(write_module, "write_sync", saved_then_raised)
    result = full_canvas_sync(make_canvas_data(), cur=cur)
    assert result.sync_id == 1 and result.counts["submissions"] == 7
    assert cur.execute("SELECT sync_id, status FROM ops.sync_runs").fetchall() == [
        (1, "succeeded")]


def test_leftovers_are_judged_by_their_process_or_their_age(cur):
    here = socket.gethostname()
    young, old = NOW - timedelta(minutes=5), NOW - timedelta(hours=2)
    _leave_attempt(cur, young, os.getpid(), here)
    _leave_attempt(cur, young, _dead_pid(), here)
    _leave_attempt(cur, young, 4242, "elsewhere.example")
    _leave_attempt(cur, old, 4243, "elsewhere.example")
    attempts = get_unfinished_attempts(cur=cur, now=NOW)
    states = {(row["pid"], row["host"] == here): row["state"]
              for row in attempts.iter_rows(named=True)}
    assert states[(os.getpid(), True)] == "running"
    assert states[(4242, False)] == "unknown"
    assert states[(4243, False)] == "stopped"
    assert sorted(states.values()) == ["running", "stopped", "stopped", "unknown"]
    stopped = attempts.filter(attempts["state"] == "stopped")["message"].to_list()
    assert all("never finished: the process was stopped before it could record the outcome; "
               "nothing of it was saved." in m for m in stopped)
    assert "2025-03-01 10:00:00 UTC (pid 4243 on elsewhere.example)" in " ".join(stopped)


def test_the_next_successful_sync_clears_only_the_stopped_leftovers(cur):
    here = socket.gethostname()
    now = datetime.now(UTC)
    _leave_attempt(cur, now - timedelta(minutes=3), _dead_pid(), here)
    kept = _leave_attempt(cur, now - timedelta(minutes=2), 4242, "elsewhere.example")
    result = full_canvas_sync(make_canvas_data(), cur=cur)
    assert len(result.cleared_attempts) == 1
    assert "; an earlier attempt (started " in result.summary()
    assert "never finished" in result.summary()
    left = get_unfinished_attempts(cur=cur)
    assert left["attempt_id"].to_list() == [kept] and left["state"].to_list() == ["unknown"]


def test_failed_attempts_take_run_numbers(cur, fake):
    # Numbers count recorded attempts, failed ones included (the Sync page lists them).
    with pytest.raises(CanvasAuthError):
        sync_from_canvas(fake.base_url, "wrong-token", retry=FAST, cur=cur)
    assert sync_from_canvas(fake.base_url, TOKEN, retry=FAST, cur=cur).sync_id == 2
