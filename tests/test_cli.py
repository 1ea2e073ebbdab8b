"""The canvas-tracker command, run in-process and as a real subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from tests.sample_data import make_canvas_data
from tracker_db.cli import main
from tracker_db.fake_canvas import FakeCanvas, build_demo_dataset
from tracker_db.migrate import open_database
from tracker_db.sync.write import full_canvas_sync

TOKEN = "cli-token-Zq9~never-print-me"


@pytest.fixture
def db_path(tmp_path):
    return str(tmp_path / "cli.duckdb")


@pytest.fixture
def fake():
    with FakeCanvas(build_demo_dataset(seed=7), token=TOKEN) as server:
        yield server


def test_sync_prints_a_summary_and_exits_zero(db_path, fake, monkeypatch, capsys):
    monkeypatch.setenv("CANVAS_TOKEN", TOKEN)
    monkeypatch.setenv("CANVAS_BASE_URL", fake.base_url)
    assert main(["--db", db_path, "sync"]) == 0
    out, err = capsys.readouterr()
    assert "sync 1:" in out and "history rows added" in out
    assert "fetch:" in err  # progress, as plain lines when stderr is not a terminal
    assert TOKEN not in out + err
    assert main(["--db", db_path, "status"]) == 0
    out, _ = capsys.readouterr()
    assert "#1" in out and "succeeded" in out


def test_sync_failure_goes_to_stderr_with_a_nonzero_exit(db_path, fake, monkeypatch, capsys):
    monkeypatch.setenv("CANVAS_TOKEN", "not-the-token")
    assert main(["--db", db_path, "sync", "--base-url", fake.base_url]) == 1
    out, err = capsys.readouterr()
    assert "invalid or expired" in err and out == ""
    assert "not-the-token" not in err
    assert main(["--db", db_path, "status"]) == 0
    out, _ = capsys.readouterr()
    assert "failed" in out and "401" in out


def test_sync_without_settings_says_what_is_missing(db_path, monkeypatch, capsys):
    monkeypatch.delenv("CANVAS_BASE_URL", raising=False)
    monkeypatch.delenv("CANVAS_TOKEN", raising=False)
    assert main(["--db", db_path, "sync"]) == 1
    assert "CANVAS_BASE_URL" in capsys.readouterr().err
    assert main(["--db", db_path, "sync", "--base-url", "https://canvas.test"]) == 1
    assert "CANVAS_TOKEN" in capsys.readouterr().err


def test_status_never_creates_a_database(db_path, capsys):
    assert main(["--db", db_path, "status"]) == 1
    err = capsys.readouterr().err
    assert f"no database file at {db_path}" in err and "canvas-tracker demo" in err
    assert not Path(db_path).exists()


def test_status_on_an_empty_database_says_what_to_do(db_path, capsys):
    open_database(db_path).close()
    assert main(["--db", db_path, "status"]) == 0
    out = capsys.readouterr().out
    assert "canvas-tracker demo" in out and "DuckDB file" in out


def test_status_never_migrates(db_path, capsys):
    # A database at an older schema (its newest migration undone) stays as it is.
    database = open_database(db_path)
    with database.session() as cur:
        cur.execute("DROP TABLE ops.settings")
        cur.execute("DELETE FROM ops.schema_migrations WHERE version = 8")
    database.close()
    assert main(["--db", db_path, "status"]) == 0
    con = duckdb.connect(db_path, read_only=True)
    try:
        assert con.execute("SELECT max(version) FROM ops.schema_migrations").fetchone() == (7,)
    finally:
        con.close()


def test_demo_fills_the_database_with_moving_data(db_path, capsys):
    assert main(["--db", db_path, "demo", "--syncs", "3"]) == 0
    out = capsys.readouterr().out
    assert out.count("sync ") == 3

    con = duckdb.connect(db_path, read_only=True)
    try:
        (syncs,) = con.execute(
            "SELECT count(DISTINCT sync_id) FROM history.grade_history"
        ).fetchone()
        (courses,) = con.execute("SELECT count(*) FROM canvas.courses").fetchone()
    finally:
        con.close()
    assert syncs == 3 and courses > 0


def test_a_database_held_by_another_process_is_named(db_path):
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys
            from tracker_db.migrate import open_database
            manager = open_database({db_path!r})
            print("ready", flush=True)
            sys.stdin.readline()
        """)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        result = subprocess.run(
            [sys.executable, "-m", "tracker_db.cli", "--db", db_path, "status"],
            capture_output=True, text=True, timeout=60, env={**os.environ},
        )
    finally:
        holder.communicate("bye\n", timeout=10)
    assert result.returncode == 1
    assert "is in use by another process" in result.stderr and db_path in result.stderr


def test_demo_refuses_a_database_with_real_canvas_data(db_path, capsys):
    manager = open_database(db_path)
    with manager.session() as cur:
        full_canvas_sync(make_canvas_data(), source="https://school.instructure.com", cur=cur)
    manager.close()
    assert main(["--db", db_path, "demo", "--syncs", "1"]) == 1
    err = capsys.readouterr().err
    assert "already holds data synced from https://school.instructure.com" in err


def test_db_and_options_work_after_the_command(db_path, fake, monkeypatch, capsys):
    monkeypatch.setenv("CANVAS_TOKEN", TOKEN)
    assert main(["sync", "--db", db_path, "--base-url", fake.base_url]) == 0
    assert main(["status", "--db", db_path]) == 0
    assert "#1" in capsys.readouterr().out
    assert main(["sync", "--db", db_path, "--base-url", fake.base_url,
                 "--max-in-flight", "0"]) == 1
    assert "max_in_flight must be 1 to 32" in capsys.readouterr().err


def test_a_real_canvas_sync_refuses_a_demo_database(db_path, capsys, monkeypatch):
    assert main(["--db", db_path, "demo", "--syncs", "1"]) == 0
    monkeypatch.setenv("CANVAS_TOKEN", TOKEN)
    # Refused before any request: canvas.test is never contacted.
    assert main(["--db", db_path, "sync", "--base-url", "https://canvas.test"]) == 1
    assert "holds demo data" in capsys.readouterr().err


def test_maintain_on_a_file_checkpoints_it(db_path, capsys):
    open_database(db_path).close()
    assert main(["--db", db_path, "maintain"]) == 0
    assert "checkpointed the DuckDB file" in capsys.readouterr().out


def test_a_sync_holds_the_file_only_for_its_write(db_path, fake):
    # While the command fetches, another process (here: this one) opens the file freely.
    open_database(db_path).close()
    fake.latency = 0.1  # about eight seconds of fetching
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRACKER_", "CANVAS_"))}
    command = subprocess.Popen(
        [sys.executable, "-m", "tracker_db.cli", "sync", "--db", db_path,
         "--base-url", fake.base_url],
        env={**env, "CANVAS_TOKEN": TOKEN}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while fake.request_count("/api/v1/courses/") < 3:  # it is fetching course data now
        assert command.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    opened = open_database(db_path)  # would be refused if the command held the file
    with opened.session() as cur:
        assert cur.execute("SELECT count(*) FROM ops.sync_runs").fetchone() == (0,)
    opened.close()
    out, err = command.communicate(timeout=120)
    assert command.returncode == 0, err
    assert out.startswith("sync 1:")
