"""The canvas-tracker command, run in-process and as a real subprocess."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from tests.conftest import Stores
from tests.db_snapshot import snapshot
from tests.sample_data import make_canvas_data
from tracker_db.cli import main
from tracker_db.config import Settings
from tracker_db.db import Database
from tracker_db.fake_canvas import FakeCanvas, build_demo_dataset
from tracker_db.migrate import open_database
from tracker_db.sync import write as write_module
from tracker_db.sync.write import full_canvas_sync

TOKEN = "cli-token-Zq9~never-print-me"
ROOT = Path(__file__).resolve().parent.parent


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


def test_an_incremental_sync_says_so_and_status_lists_it(db_path, fake, monkeypatch, capsys):
    monkeypatch.setenv("CANVAS_TOKEN", TOKEN)
    monkeypatch.setenv("CANVAS_BASE_URL", fake.base_url)
    assert main(["--db", db_path, "sync", "--incremental"]) == 0
    out, _ = capsys.readouterr()
    # Nothing to build on yet: a full sync, and the summary says why.
    assert "sync 1:" in out and "incremental" not in out.split("(")[0]
    assert "no earlier sync to build on, so a full sync" in out
    time.sleep(1.1)  # Canvas's filters are strict: a grade in the same second as the last sync
    fake.dataset.change_scores(0.02, seed=4)
    fake.reset_log()
    assert main(["--db", db_path, "sync", "--incremental"]) == 0
    out, _ = capsys.readouterr()
    assert "incremental sync 2:" in out
    assert fake.request_count("/api/v1/courses/") > 0
    assert all("graded_since" in path or "submitted_since" in path or "student_ids" in path
               or "assignment_ids" in path
               for _, path, _ in fake.request_log if "/students/submissions" in path)
    assert main(["--db", db_path, "status"]) == 0
    out, _ = capsys.readouterr()
    lines = out.splitlines()
    assert "#2" in lines[1] and "incremental: " in lines[1]
    assert "#1" in lines[2] and "incremental" not in lines[2]


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
    # A database at an older schema (its newest migrations undone) stays as it is, and its
    # runs are listed without the tables the later migrations add.
    database = open_database(db_path)
    with database.session() as cur:
        cur.execute("DROP TABLE ops.sync_attempts")
        cur.execute("ALTER TABLE ops.sync_runs DROP COLUMN attempt_id")
        cur.execute("DROP TABLE ops.settings")
        cur.execute("DELETE FROM ops.schema_migrations WHERE version >= 8")
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


# The console script ends with os._exit (no interpreter teardown): this says what it loaded
# as it exits.
_AS_THE_CONSOLE_SCRIPT = textwrap.dedent("""
    import os, sys
    exit_now = os._exit

    def say_what_was_loaded_and_exit(status):
        loaded = [m for m, module in sys.modules.items() if module is not None]
        print("LOADED", *sorted({m.split(".")[0] for m in loaded}), file=sys.stderr)
        sys.stderr.flush()
        exit_now(status)

    os._exit = say_what_was_loaded_and_exit
    from tracker_db import cli
    cli.run()
""")


def _console_script(*args: str, token: str = TOKEN) -> tuple[subprocess.CompletedProcess, set]:
    """Run the console script's entry point in a process of its own; return the process and
    the top-level packages it loaded."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRACKER_", "CANVAS_"))}
    result = subprocess.run(
        [sys.executable, "-c", _AS_THE_CONSOLE_SCRIPT, *args],
        env={**env, "CANVAS_TOKEN": token}, capture_output=True, text=True, timeout=120,
    )
    return result, set(result.stderr.rsplit("LOADED", 1)[1].split())


def test_the_command_syncs_without_importing_pandas_or_pyarrow(db_path, fake):
    # DuckDB's client would import pandas (a quarter of a second) and pyarrow (a third of a
    # second, 90 MB) only to check for their objects; the console script keeps them out of a
    # sync, and every step of one works without them.
    result, loaded = _console_script("sync", "--db", db_path, "--base-url", fake.base_url)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.startswith("sync 1:")
    assert "Traceback" not in result.stderr and "Exception" not in result.stderr
    assert {"duckdb", "polars", "requests"} <= loaded
    assert not {"pandas", "pyarrow"} & loaded
    with Database(db_path, read_only=True).session() as cur:
        assert cur.execute("SELECT count(*) FROM canvas.submissions").fetchone()[0] > 0


def test_an_incremental_sync_and_a_refused_one_work_without_pandas_or_pyarrow(db_path, fake):
    # The paths a sync can take beyond the first full one: building on layer 1, and a
    # failure recorded as a run, each in a console script's process of its own.
    assert _console_script("sync", "--db", db_path, "--base-url", fake.base_url)[0].returncode == 0
    result, loaded = _console_script("sync", "--incremental", "--db", db_path,
                                     "--base-url", fake.base_url)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.startswith("incremental sync 2:")
    assert not {"pandas", "pyarrow"} & loaded
    result, loaded = _console_script("sync", "--db", db_path, "--base-url", fake.base_url,
                                     token="not-the-token")
    assert result.returncode == 1
    assert "canvas-tracker: error: Canvas rejected the token (401)" in result.stderr
    assert "recorded as run 3, failed" in result.stderr
    assert "Traceback" not in result.stderr
    assert not {"pandas", "pyarrow"} & loaded
    status, loaded = _console_script("status", "--db", db_path)
    assert status.returncode == 0, status.stderr[-2000:]
    assert "failed" in status.stdout and "pandas" not in loaded


# ---------------------------------------------------------------------------------------------
# Honest reports: interrupts, killed syncs, the demo's refusal, a read-only status, bad values


def _options(settings: Settings) -> list[str]:
    if settings.lake:
        return ["--lake", settings.lake, "--lake-data", settings.lake_data or ""]
    return ["--db", settings.db_path]


def _cli_env(settings: Settings | None = None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRACKER_", "CANVAS_"))}
    return {**env, **(Stores.env(settings) if settings else {}), **extra}


def _start_sync(settings: Settings, fake: FakeCanvas) -> subprocess.Popen[str]:
    """A command-line sync in a process of its own, slowed down by the fake, once fetching."""
    fake.latency = 0.1  # about eight seconds of fetching
    earlier = fake.request_count("/api/v1/courses/")
    command = subprocess.Popen(
        [sys.executable, "-m", "tracker_db.cli", "sync", "--base-url", fake.base_url],
        env=_cli_env(settings, CANVAS_TOKEN=TOKEN), cwd=ROOT, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + 60
    while fake.request_count("/api/v1/courses/") < earlier + 3:  # fetching course data now
        assert command.poll() is None, command.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    return command


def _contents(settings: Settings) -> dict[str, list[tuple[object, ...]]]:
    database = Database(settings, read_only=True)
    try:
        with database.session() as cur:
            return snapshot(cur)
    finally:
        database.close()


def _rows(settings: Settings, sql: str) -> list[tuple[object, ...]]:
    database = Database(settings, read_only=True)
    try:
        with database.session() as cur:
            return cur.execute(sql).fetchall()
    finally:
        database.close()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupt_during_the_fetch_writes_nothing(stores, fake, monkeypatch, capsys, signum):
    settings = stores.settings("interrupted")
    monkeypatch.setenv("CANVAS_TOKEN", TOKEN)
    assert main([*_options(settings), "sync", "--base-url", fake.base_url]) == 0
    before = _contents(settings)
    command = _start_sync(settings, fake)
    command.send_signal(signum)
    out, err = command.communicate(timeout=60)
    assert command.returncode == 130, err
    assert "Interrupted: nothing was written." in err and "Traceback" not in err
    assert out == "" and TOKEN not in err
    assert _contents(settings) == before  # no failed run, no attempt left behind


# DuckDB stops a statement on Ctrl-C with an error of its own, the interrupt as its cause:
# "duckdb" is that error as if it came from a COMMIT that went through.
@pytest.mark.parametrize("interrupt", ["python", "duckdb"])
def test_an_interrupt_after_the_commit_says_the_sync_was_saved(
    stores, fake, monkeypatch, capsys, interrupt
):
    settings = stores.settings("saved")
    real = write_module.write_sync

    def commit_then_interrupt(*args, **kwargs):
        real(*args, **kwargs)  # committed
        if interrupt == "python":
            raise KeyboardInterrupt
        raise RuntimeError("Query interrupted") from KeyboardInterrupt()

    monkeypatch.setattr(write_module, "write_sync", commit_then_interrupt)
    monkeypatch.setenv("CANVAS_TOKEN", TOKEN)
    assert main([*_options(settings), "sync", "--base-url", fake.base_url]) == 0
    out, err = capsys.readouterr()
    assert "Interrupted, but the sync was saved (sync 1)." in err and out == ""
    assert _rows(settings, "SELECT sync_id, status FROM ops.sync_runs") == [(1, "succeeded")]
    assert _rows(settings, "SELECT count(*) FROM ops.sync_attempts") == [(0,)]


def test_a_killed_sync_leaves_a_trace_until_the_next_sync_clears_it(stores, fake, monkeypatch,
                                                                      capsys):
    settings = stores.settings("killed")
    open_database(settings).close()
    command = _start_sync(settings, fake)
    command.kill()  # SIGKILL: the process records nothing on its way out
    command.wait(30)
    assert _rows(settings, "SELECT count(*) FROM ops.sync_runs") == [(0,)]

    assert main([*_options(settings), "status"]) == 0
    out = capsys.readouterr().out
    assert f"(pid {command.pid} on " in out
    assert ("never finished: the process was stopped before it could record the outcome; "
            "nothing of it was saved.") in out

    fake.latency = 0.0
    monkeypatch.setenv("CANVAS_TOKEN", TOKEN)
    assert main([*_options(settings), "sync", "--base-url", fake.base_url]) == 0
    out = capsys.readouterr().out
    assert out.startswith("sync 1:") and "an earlier attempt (started " in out
    assert "never finished" in out
    assert main([*_options(settings), "status"]) == 0
    assert "never finished" not in capsys.readouterr().out
    assert _rows(settings, "SELECT count(*) FROM ops.sync_attempts") == [(0,)]


def test_a_sync_running_in_another_process_is_not_reported_dead(stores, fake, capsys):
    settings = stores.settings("running")
    open_database(settings).close()
    command = _start_sync(settings, fake)
    try:
        assert main([*_options(settings), "status"]) == 0
        out = capsys.readouterr().out
        assert f"(pid {command.pid} on " in out and "is still running" in out
        assert "never finished" not in out
    finally:
        _, err = command.communicate(timeout=120)
    assert command.returncode == 0, err
    assert main([*_options(settings), "status"]) == 0
    assert "pid" not in capsys.readouterr().out


def test_a_failed_attempt_says_which_number_it_took(stores, fake, monkeypatch, capsys):
    # Failed attempts are numbered runs too (the Sync page lists them); the failure says so,
    # so the next successful sync's number is no surprise.
    settings = stores.settings("numbers")
    monkeypatch.setenv("CANVAS_TOKEN", "not-the-token")
    assert main([*_options(settings), "sync", "--base-url", fake.base_url]) == 1
    err = capsys.readouterr().err
    assert "invalid or expired" in err
    assert "the attempt is recorded as run 1, failed; the next sync takes the next number" in err
    monkeypatch.setenv("CANVAS_TOKEN", TOKEN)
    assert main([*_options(settings), "sync", "--base-url", fake.base_url]) == 0
    assert capsys.readouterr().out.startswith("sync 2:")
    assert main([*_options(settings), "status"]) == 0
    out = capsys.readouterr().out
    assert "#2" in out and "#1" in out and "failed" in out


def test_demo_refuses_a_database_that_holds_a_sync(stores, capsys):
    # The app's rule, now the command's too: a second demo would mix into the first.
    settings = stores.settings("demo-twice")
    assert main([*_options(settings), "demo", "--syncs", "1"]) == 0
    capsys.readouterr()
    before = _contents(settings)
    assert main([*_options(settings), "demo", "--syncs", "1"]) == 1
    out, err = capsys.readouterr()
    assert "demo data can only be loaded into an empty database" in err and out == ""
    assert _contents(settings) == before


def _files(folder: Path) -> dict[str, tuple[str, int]]:
    return {p.name: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
            for p in sorted(folder.iterdir())}


@pytest.mark.file_only
def test_status_changes_no_file(tmp_path, capsys):
    db_path = tmp_path / "kept.duckdb"
    assert main(["--db", str(db_path), "demo", "--syncs", "1"]) == 0
    before = _files(tmp_path)
    assert list(before) == ["kept.duckdb"]
    time.sleep(0.05)  # a write now would show in the modification time
    result = subprocess.run(
        [sys.executable, "-m", "tracker_db.cli", "status", "--db", str(db_path)],
        capture_output=True, text=True, timeout=60, env=_cli_env(), cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert "#1" in result.stdout
    assert _files(tmp_path) == before  # same bytes, same time, no .wal or other file


@pytest.mark.parametrize("where", ["missing.duckdb", "missing-folder/x.duckdb"])
def test_status_on_a_missing_path_creates_nothing(tmp_path, where):
    result = subprocess.run(
        [sys.executable, "-m", "tracker_db.cli", "status", "--db", str(tmp_path / where)],
        capture_output=True, text=True, timeout=60, env=_cli_env(), cwd=ROOT,
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.file_only
@pytest.mark.parametrize(("env", "named"), [
    ({"CANVAS_BASE_URL": "not a url", "CANVAS_TOKEN": TOKEN}, "base URL"),
    ({"CANVAS_BASE_URL": "https://canvas.test"}, "token is empty"),
])
def test_a_sync_refused_for_its_settings_creates_no_database(tmp_path, env, named):
    result = subprocess.run(
        [sys.executable, "-m", "tracker_db.cli", "sync", "--db", str(tmp_path / "new.duckdb")],
        capture_output=True, text=True, timeout=60, cwd=ROOT, env=_cli_env(**env),
    )
    assert result.returncode == 1 and named in result.stderr, result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("command", "env", "named"), [
    (["status"], {"TRACKER_DB_PATH": "{tmp}/missing/x.duckdb"}, "TRACKER_DB_PATH"),
    (["status"], {"TRACKER_DB_PATH": "{tmp}"}, "TRACKER_DB_PATH"),
    (["status"], {"TRACKER_LAKE": "garbage"}, "TRACKER_LAKE"),
    (["status"], {"TRACKER_LAKE_DATA": "{tmp}/data"}, "TRACKER_LAKE"),
    (["status", "--db", "{tmp}/x.duckdb", "--limit", "abc"], {}, "--limit"),
    (["status", "--db", "{tmp}/x.duckdb", "--limit", "0"], {}, "--limit"),
    (["status", "--db", "{tmp}/plain.duckdb"], {}, "no Canvas Tracker database"),
    (["demo", "--db", "{tmp}/x.duckdb", "--syncs", "abc"], {}, "--syncs"),
    (["sync", "--db", "{tmp}/x.duckdb", "--max-in-flight", "many"], {}, "--max-in-flight"),
    (["sync", "--db", "{tmp}/x.duckdb"],
     {"CANVAS_MAX_RESPONSE_MB": "abc", "CANVAS_BASE_URL": "https://canvas.test"},
     "CANVAS_MAX_RESPONSE_MB"),
    (["sync", "--db", "{tmp}/x.duckdb"],
     {"CANVAS_REQUEST_DEADLINE": "-1", "CANVAS_BASE_URL": "https://canvas.test"},
     "CANVAS_REQUEST_DEADLINE"),
    (["sync", "--db", "{tmp}/x.duckdb"], {"CANVAS_BASE_URL": "not a url"}, "base URL"),
])
def test_a_malformed_value_is_one_line_naming_its_setting(tmp_path, command, env, named):
    duckdb.connect(str(tmp_path / "plain.duckdb")).close()  # an empty DuckDB file
    fill = {"tmp": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "tracker_db.cli", *(part.format(**fill) for part in command)],
        capture_output=True, text=True, timeout=60, cwd=ROOT,
        env=_cli_env(CANVAS_TOKEN=TOKEN, **{k: v.format(**fill) for k, v in env.items()}),
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and named in lines[0], result.stderr
    assert TOKEN not in result.stderr


@pytest.mark.file_only
def test_changes_prints_what_the_last_sync_brought_per_course(tmp_path, capsys):
    db_path = str(tmp_path / "demo.duckdb")
    assert main(["--db", db_path, "demo"]) == 0
    capsys.readouterr()
    before = _files(tmp_path)
    assert main(["--db", db_path, "changes"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    head, *courses = out.split("\n\n")
    assert head.startswith("changes after sync #3 (") and "up to sync #4 (" in head
    bio = next(c for c in courses if "[course 101]" in c)
    assert "1 student added" in bio and "new grade" in bio and "regrade" in bio
    assert "    student added    Noor Haddad [" in bio
    assert " -> " in bio
    # Read-only: the file is as it was (the changes were logged by the syncs themselves).
    assert _files(tmp_path) == before

    assert main(["--db", db_path, "changes", "--since", "1", "--counts",
                 "--kind", "student-added"]) == 0
    out, _ = capsys.readouterr()
    assert "changes after sync #1" in out
    assert out.strip().splitlines()[-1].endswith("[course 101]: 1 student added")
    assert "regrade" not in out and "    " not in out  # counts only, one kind

    assert main(["--db", db_path, "changes", "--limit", "3"]) == 0
    out, _ = capsys.readouterr()
    assert sum(line.startswith("    ") for line in out.splitlines()) == 3
    assert "... 3 of " in out


@pytest.mark.file_only
@pytest.mark.parametrize(("args", "named"), [
    (["--since", "9"], "no successful sync 9 (the successful syncs are 1-4)"),
    (["--since", "2026-13-01"], "'2026-13-01' is neither a sync number nor a date"),
    (["--since", "1999-01-01"], "no sync happened by 1999-01-01 00:00"),
    (["--since", "4", "--until", "2"], "sync 4 is not before sync 2"),
    (["--kind", "gossip"], "unknown kind 'gossip'"),
])
def test_changes_names_what_was_wrong(tmp_path, capsys, args, named):
    db_path = str(tmp_path / "demo.duckdb")
    assert main(["--db", db_path, "demo"]) == 0
    capsys.readouterr()
    try:
        status = main(["--db", db_path, "changes", *args])
    except SystemExit as e:  # argparse's own refusal
        status = e.code
    out, err = capsys.readouterr()
    assert status in (1, 2) and out == ""
    assert named in err and len(err.strip().splitlines()) == 1


@pytest.mark.file_only
def test_changes_before_two_syncs_and_on_a_missing_file(tmp_path, capsys):
    missing = tmp_path / "missing.duckdb"
    assert main(["--db", str(missing), "changes"]) == 1
    assert "Traceback" not in capsys.readouterr().err
    assert not missing.exists()

    db_path = str(tmp_path / "one.duckdb")
    assert main(["--db", db_path, "demo", "--syncs", "1"]) == 0
    capsys.readouterr()
    assert main(["--db", db_path, "changes"]) == 0
    assert capsys.readouterr().out == "fewer than two successful syncs: nothing to compare yet\n"


@pytest.mark.file_only
def test_changes_refuses_a_database_from_before_the_change_log(tmp_path, capsys):
    from tracker_db.migrate import apply_migrations, discover_migrations

    db_path = tmp_path / "old.duckdb"
    old = [m for m in discover_migrations() if m.version < 11]
    with duckdb.connect(str(db_path)) as con:
        apply_migrations(con, old, baseline=None)
    assert main(["--db", str(db_path), "changes"]) == 1
    err = capsys.readouterr().err
    assert "at schema version 10 of" in err and "before changes were logged" in err
    with duckdb.connect(str(db_path), read_only=True) as con:  # still not migrated
        assert con.execute("SELECT max(version) FROM ops.schema_migrations").fetchone() == (10,)
