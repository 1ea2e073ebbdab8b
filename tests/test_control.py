"""``canvas-tracker sync`` against a DuckDB file the dashboard holds: it asks the dashboard.

The "dashboard" here is this test process holding the file, with the dashboard's own
request socket and sync runner; ``canvas-tracker`` runs as a real subprocess. The app wires
the same pieces (``pages/common.py``; ``tests/test_app_pages.py`` drives it through AppTest).
"""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tracker_db.canvas.client import RetryPolicy
from tracker_db.cli import main
from tracker_db.db import Database
from tracker_db.fake_canvas import FakeCanvas, build_demo_dataset
from tracker_db.migrate import open_database
from tracker_db.sync import control
from tracker_db.sync.runner import SyncRunner

pytestmark = pytest.mark.file_only  # a lake is never held: any process may write it

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "control-token"


@pytest.fixture
def canvas() -> Iterator[FakeCanvas]:
    with FakeCanvas(build_demo_dataset(seed=7), token=TOKEN) as fake:
        yield fake


@pytest.fixture
def dashboard(tmp_path: Path, canvas: FakeCanvas) -> Iterator[control.ControlServer]:
    """This process holds the file, as the dashboard does, and takes requests."""
    database = open_database(tmp_path / "held.duckdb")
    runner = SyncRunner(database, retry=RetryPolicy(max_retries=1, backoff_base=0.01))
    server = control.ControlServer(database, runner, lambda: (canvas.base_url, TOKEN)).start()
    try:
        yield server
    finally:
        runner.wait(60)
        server.stop()
        database.close()


def _cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRACKER_", "CANVAS_"))}
    return subprocess.run([sys.executable, "-m", "tracker_db.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def _runs(database: Database) -> list[tuple]:
    with database.session() as cur:
        return cur.execute("SELECT sync_id, status, source FROM ops.sync_runs").fetchall()


def test_a_sync_command_asks_the_dashboard_that_holds_the_file(dashboard, canvas):
    result = _cli("sync", "--db", dashboard.database.db_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("the dashboard ran the sync: sync 1:")
    assert "write: " in result.stderr  # the dashboard's progress, shown by the command
    assert _runs(dashboard.database) == [(1, "succeeded", canvas.base_url)]
    assert dashboard.runner.status().trigger == "command line"


def test_status_asks_the_dashboard_too(dashboard):
    _cli("sync", "--db", dashboard.database.db_path)
    result = _cli("status", "--db", dashboard.database.db_path)
    assert result.returncode == 0, result.stderr
    assert "#1" in result.stdout and "succeeded" in result.stdout


def test_status_through_the_dashboard_names_a_sync_that_never_finished(dashboard):
    from tracker_db.db import write
    from tracker_db.store import sync_runs

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait(30)  # a process that is no more: a sync killed before it recorded anything

    def leave_attempt(cur):
        attempt_id = sync_runs.new_attempt_id()
        sync_runs.start_attempt(cur, attempt_id, datetime(2026, 11, 30, 19, 0, tzinfo=UTC),
                                kind="canvas", trigger="command line")
        cur.execute("UPDATE ops.sync_attempts SET pid = ? WHERE attempt_id = ?",
                    [gone.pid, attempt_id])

    with dashboard.database.session() as cur:
        write(cur, leave_attempt)
    result = _cli("status", "--db", dashboard.database.db_path)
    assert result.returncode == 0, result.stderr
    assert (f"A sync started 2026-11-30 19:00:00 UTC (pid {gone.pid} on "
            f"{socket.gethostname()}) never finished") in result.stdout


def test_a_request_joins_the_sync_already_running(dashboard, canvas):
    canvas.latency = 0.05  # long enough to ask while it runs
    assert dashboard.runner.start("canvas", canvas.base_url, TOKEN)
    result = _cli("sync", "--db", dashboard.database.db_path)
    assert result.returncode == 0, result.stderr
    assert _runs(dashboard.database) == [(1, "succeeded", canvas.base_url)]  # not a second


def test_the_dashboards_failure_is_reported(tmp_path, canvas):
    database = open_database(tmp_path / "held.duckdb")
    runner = SyncRunner(database)
    server = control.ControlServer(database, runner, lambda: (canvas.base_url, "wrong")).start()
    try:
        result = _cli("sync", "--db", database.db_path)
    finally:
        runner.wait(60)
        server.stop()
        database.close()
    assert result.returncode == 1
    assert "the dashboard's sync failed" in result.stderr and "token" in result.stderr
    assert "wrong" not in result.stderr


def test_a_dashboard_without_canvas_settings_says_so(tmp_path):
    database = open_database(tmp_path / "held.duckdb")
    server = control.ControlServer(database, SyncRunner(database), lambda: (None, None)).start()
    try:
        result = _cli("sync", "--db", database.db_path)
    finally:
        server.stop()
        database.close()
    assert result.returncode == 1 and "the dashboard has no Canvas settings" in result.stderr


def test_the_control_file_is_private_and_goes_with_the_dashboard(dashboard):
    path = control.control_file(dashboard.database.db_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    published = json.loads(path.read_text())
    assert published["pid"] == os.getpid() and published["secret"] == dashboard.secret
    dashboard.stop()
    assert not path.exists()


def test_a_request_without_the_secret_is_refused(dashboard):
    port = json.loads(control.control_file(dashboard.database.db_path).read_text())["port"]
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b'{"secret": "guess", "action": "sync"}\n')
        answer = json.loads(s.makefile().readline())
    assert answer["event"] == "refused"
    assert dashboard.runner.status().phase == "idle"


def test_a_file_held_by_something_else_fails_at_once_saying_what_to_do(tmp_path, capsys):
    path = str(tmp_path / "held.duckdb")
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys
            from tracker_db.migrate import open_database
            database = open_database({path!r})
            print("ready", flush=True)
            sys.stdin.readline()
        """)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        started = time.monotonic()
        code = main(["sync", "--db", path, "--base-url", "https://canvas.test"])
        elapsed = time.monotonic() - started
    finally:
        holder.communicate("bye\n", timeout=10)
    err = capsys.readouterr().err
    assert code == 1 and elapsed < 1.0
    assert "is in use by another process" in err and "takes no sync requests" in err
    assert "Sync every N hours" in err and "TRACKER_LAKE" in err


def test_a_stale_control_file_is_no_dashboard(tmp_path):
    path = tmp_path / "gone.duckdb"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    control.control_file(str(path)).write_text(json.dumps({"port": port, "secret": "x"}))
    started = time.monotonic()
    with pytest.raises(control.NoDashboard, match="does not answer"):
        control.request_sync(str(path))
    assert time.monotonic() - started < 2 * control.CONNECT_TIMEOUT
