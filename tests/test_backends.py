"""The two backends: settings, opening a lake, one schema on both, and many processes.

The DuckLake tests run against the throwaway PostgreSQL server of ``--backend ducklake``
(``.ci/run`` runs the suite a second time that way); they are marked ``ducklake_only``.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from tests.conftest import Stores
from tests.sample_data import make_canvas_data
from tracker_db.cli import main
from tracker_db.config import Settings, load_settings, redact
from tracker_db.db import Database
from tracker_db.errors import ConfigError
from tracker_db.maintenance import maintain
from tracker_db.migrate import apply_migrations, discover_migrations, open_database
from tracker_db.read_models.sync_status import get_recent_runs
from tracker_db.sync.write import full_canvas_sync

ROOT = Path(__file__).resolve().parent.parent
LAKE = "ducklake:postgres:dbname=tracker host=127.0.0.1 port=5432 user=tracker"

# ---------------------------------------------------------------------------------------------
# Settings


def test_the_lake_wins_over_the_file(tmp_path):
    settings = load_settings({"TRACKER_DB_PATH": "x.duckdb", "TRACKER_LAKE": LAKE,
                              "TRACKER_LAKE_DATA": str(tmp_path)})
    assert settings.backend == "ducklake" and settings.lake == LAKE
    assert settings.lake_data == f"{tmp_path}/"
    assert "DuckLake" in settings.description
    assert load_settings({"TRACKER_DB_PATH": str(tmp_path / "x.duckdb")}).backend == "file"


def test_command_line_options_win_over_the_environment(tmp_path):
    env = {"TRACKER_LAKE": LAKE, "TRACKER_LAKE_DATA": str(tmp_path)}
    other = LAKE.replace("dbname=tracker", "dbname=other")
    assert load_settings(env, lake=other).lake == other
    assert load_settings({}, db_path=str(tmp_path / "y.duckdb")).db_path.endswith("y.duckdb")


@pytest.mark.parametrize(
    ("lake", "data", "message"),
    [
        ("postgres:dbname=x", "/tmp", "is not a DuckLake attach string"),
        (LAKE, None, "TRACKER_LAKE_DATA is not"),
        (None, "/tmp", "TRACKER_LAKE is not"),
        (LAKE + " password=it's", "/tmp", "must not contain quotes"),
        (LAKE, "/no/such/parent/folder", "does not exist"),
    ],
)
def test_bad_lake_settings_are_refused_in_words(lake, data, message):
    env = {k: v for k, v in (("TRACKER_LAKE", lake), ("TRACKER_LAKE_DATA", data)) if v}
    with pytest.raises(ConfigError, match=message):
        load_settings(env)


def test_a_lake_password_is_never_shown(tmp_path):
    secret_lake = LAKE + " password=hunter2"
    settings = load_settings({"TRACKER_LAKE": secret_lake, "TRACKER_LAKE_DATA": str(tmp_path)})
    assert "hunter2" not in settings.location and "password=***" in settings.location
    assert redact("password = hunter2 user=x") == "password = *** user=x"


def test_an_unreachable_lake_fails_fast_naming_it_without_the_password(tmp_path):
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    lake = f"ducklake:postgres:dbname=x host=127.0.0.1 port={port} user=u password=hunter2"
    started = time.monotonic()
    with pytest.raises(ConfigError) as refused:
        Database(Settings(db_path="", lake=lake, lake_data=f"{tmp_path}/"))
    assert time.monotonic() - started < 10
    assert "cannot open the lake" in str(refused.value) and f"port={port}" in str(refused.value)
    assert "hunter2" not in str(refused.value)


def test_missing_extension_wheels_say_how_to_install_them(monkeypatch, tmp_path):
    import importlib.util

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ConfigError, match=r"pip install 'canvas-tracker\[lake\]'"):
        Database(Settings(db_path="", lake=LAKE, lake_data=f"{tmp_path}/"))


def test_duckdb_is_the_version_the_extension_wheels_need():
    from tracker_db.db import LAKE_EXTENSIONS, extension_file

    for name, package in LAKE_EXTENSIONS:
        assert extension_file(name, package).parent.name == f"v{duckdb.__version__}"
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert f'"duckdb=={duckdb.__version__}"' in pyproject


# ---------------------------------------------------------------------------------------------
# One schema on both backends


def _schema(cur: duckdb.DuckDBPyConnection) -> dict[str, object]:
    """Everything that makes up the schema, catalog names left out."""
    # DuckLake reports "no default" as 'NULL' and writes a view's SQL without its schema;
    # both are spellings, not differences, so they are made alike.
    columns = cur.execute(
        "SELECT table_schema, table_name, column_name, ordinal_position, data_type, "
        "is_nullable, coalesce(column_default, 'NULL') FROM information_schema.columns "
        "WHERE table_catalog = current_database() ORDER BY ALL"
    ).fetchall()
    tables = cur.execute(
        "SELECT table_schema, table_name, table_type FROM information_schema.tables "
        "WHERE table_catalog = current_database() ORDER BY ALL"
    ).fetchall()
    views = cur.execute(
        "SELECT schema_name, view_name, "
        "regexp_replace(regexp_replace(sql, '\\s+', ' ', 'g'), '^CREATE VIEW \\S+ AS ', '') "
        "FROM duckdb_views() "
        "WHERE database_name = current_database() AND NOT internal ORDER BY ALL"
    ).fetchall()
    macros = cur.execute(
        "SELECT schema_name, function_name, function_type, parameters, "
        "regexp_replace(macro_definition, '\\s+', ' ', 'g') FROM duckdb_functions() "
        "WHERE database_name = current_database() AND function_type LIKE '%macro' "
        "AND NOT internal ORDER BY ALL"
    ).fetchall()
    ledger = cur.execute(
        "SELECT version, name, checksum FROM ops.schema_migrations ORDER BY version"
    ).fetchall()
    return {"columns": columns, "tables": tables, "views": views, "macros": macros,
            "ledger": ledger}


def test_the_baseline_is_the_schema_every_migration_builds(stores, tmp_path):
    # On the backend under test a new database starts from the baseline; a DuckDB file
    # applying every migration in turn must end up with the very same schema.
    migrated = Database(tmp_path / "migrated.duckdb")
    with migrated.session() as cur:
        assert apply_migrations(cur, discover_migrations()) == [
            m.version for m in discover_migrations()
        ]
        expected = _schema(cur)
    migrated.close()
    baseline = open_database(stores.settings("baseline"))
    with baseline.session() as cur:
        assert _schema(cur) == expected
    baseline.close()
    assert any(name == "curricula_with_courses" for _, name, _ in expected["views"])
    assert ("meta", "student_metadata", "tags", 2, "VARCHAR[]", "NO", "NULL") in expected["columns"]


def test_a_new_database_starts_from_the_baseline_in_one_go(stores):
    database = open_database(stores.settings("new"))
    with database.session() as cur:
        versions = [v for (v,) in cur.execute(
            "SELECT version FROM ops.schema_migrations ORDER BY 1").fetchall()]
        assert versions == [m.version for m in discover_migrations()]
        assert apply_migrations(cur) == []  # reopening applies nothing
        assert cur.execute("SELECT count(*) FROM ops.write_token").fetchone() == (1,)
    database.close()


def test_an_existing_file_gets_the_new_migration(tmp_path):
    # A database made before 0008 (list defaults on the tags columns) is brought to it.
    older = Database(tmp_path / "old.duckdb")
    with older.session() as cur:
        apply_migrations(cur, [m for m in discover_migrations() if m.version <= 7])
        cur.execute("INSERT INTO meta.student_metadata (student_id) VALUES (1)")  # default []
        assert apply_migrations(cur) == [m.version for m in discover_migrations()
                                         if m.version > 7]
        assert cur.execute("SELECT tags FROM meta.student_metadata").fetchall() == [([],)]
        default = cur.execute(
            "SELECT column_default FROM information_schema.columns "
            "WHERE table_name = 'student_metadata' AND column_name = 'tags'").fetchone()
        assert default == (None,)
    older.close()


# ---------------------------------------------------------------------------------------------
# Many processes on one lake


def _worker(
    settings: Settings, signals: Path, *, pause: bool, big: bool = False
) -> subprocess.Popen[str]:
    signals.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items()
           if k not in ("TRACKER_DB_PATH", "TRACKER_LAKE", "TRACKER_LAKE_DATA")}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.lake_worker", str(signals),
         *(["--pause"] if pause else []), *(["--big"] if big else [])],
        cwd=ROOT, env={**env, **Stores.env(settings)}, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )


def _wait_for(path: Path, process: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if process.poll() is not None:
            raise AssertionError(f"the worker ended early: {process.communicate()}")
        assert time.monotonic() < deadline, f"timed out waiting for {path.name}"
        time.sleep(0.05)


def _result(process: subprocess.Popen[str]) -> dict[str, int]:
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    return dict(json.loads(out.strip().splitlines()[-1]))


@pytest.mark.ducklake_only
def test_two_processes_syncing_at_once_one_commits_the_other_tries_again(stores, tmp_path):
    settings = stores.settings("shared")
    open_database(settings).close()
    first = _worker(settings, tmp_path / "first", pause=True)
    _wait_for(tmp_path / "first" / "paused", first)  # mid-transaction, before COMMIT
    second = _result(_worker(settings, tmp_path / "second", pause=False))
    (tmp_path / "first" / "go").touch()
    retried = _result(first)

    assert second["attempts"] == 1 and retried["attempts"] == 2
    assert {second["sync_id"], retried["sync_id"]} == {1, 2}
    # The same data twice: the history is written exactly once, by whichever came first.
    assert second["history_rows"] > 0 and retried["history_rows"] == 0
    database = open_database(settings)
    with database.session() as cur:
        runs = cur.execute("SELECT sync_id, status FROM ops.sync_runs ORDER BY 1").fetchall()
        (history,) = cur.execute("SELECT count(*) FROM history.assignment_scores").fetchone()
    database.close()
    assert runs == [(1, "succeeded"), (2, "succeeded")]
    assert history == len(make_canvas_data()["submissions"]) - 1  # the test student's left out


@pytest.mark.ducklake_only
def test_a_reader_sees_the_old_snapshot_until_the_writer_commits(stores, tmp_path, capsys):
    settings = stores.settings("shared")
    open_database(settings).close()
    writer = _worker(settings, tmp_path / "w", pause=True)
    _wait_for(tmp_path / "w" / "paused", writer)
    reader = open_database(settings)
    with reader.session() as cur:
        assert get_recent_runs(cur=cur).height == 0
        assert cur.execute("SELECT count(*) FROM canvas.courses").fetchone() == (0,)
    # status, a process of its own, reads while the writer holds its transaction open.
    status = subprocess.run(
        [sys.executable, "-m", "tracker_db.cli", "status", "--lake", settings.lake or "",
         "--lake-data", settings.lake_data or ""],
        capture_output=True, text=True, timeout=60, cwd=ROOT,
    )
    assert status.returncode == 0, status.stderr
    assert "no syncs yet" in status.stdout and "DuckLake" in status.stdout
    (tmp_path / "w" / "go").touch()
    _result(writer)
    with reader.session() as cur:
        assert get_recent_runs(cur=cur)["status"].to_list() == ["succeeded"]
        assert cur.execute("SELECT count(*) FROM canvas.courses").fetchone() == (2,)
    reader.close()


def _data_files(settings: Settings) -> set[str]:
    return {str(p) for p in Path(settings.lake_data or "").rglob("*.parquet")}


@pytest.mark.ducklake_only
def test_a_killed_writer_leaves_the_last_snapshot_and_maintain_removes_its_files(
    stores, tmp_path
):
    settings = stores.settings("shared")
    database = open_database(settings)
    with database.session() as cur:
        full_canvas_sync(make_canvas_data(), cur=cur)
    committed_files = _data_files(settings)
    with database.session() as cur:
        before = cur.execute("SELECT count(*), max(sync_id) FROM ops.sync_runs").fetchone()
    writer = _worker(settings, tmp_path / "w", pause=True, big=True)
    _wait_for(tmp_path / "w" / "paused", writer, timeout=120)
    left_behind = _data_files(settings) - committed_files
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait(30)
    assert left_behind, "the killed transaction had written data files"

    with database.session() as cur:
        assert cur.execute("SELECT count(*), max(sync_id) FROM ops.sync_runs").fetchone() == before
    # Young unreferenced files may belong to a transaction still running: they stay...
    assert maintain(database).orphaned_files == 0
    assert left_behind <= _data_files(settings)
    # ...until they are older than any write could take.
    later = maintain(database, now=datetime.now(UTC) + timedelta(hours=2))
    assert later.orphaned_files >= len(left_behind)
    assert not (left_behind & _data_files(settings))
    with database.session() as cur:  # the committed data is all still there
        assert cur.execute("SELECT count(*) FROM canvas.submissions").fetchone()[0] > 0
    database.close()


@pytest.mark.ducklake_only
def test_processes_opening_a_new_lake_at_once_make_one_schema(stores, tmp_path):
    settings = stores.settings("racing")
    code = "from tracker_db.migrate import open_database; open_database().close(); print('ok')"
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")},
           **Stores.env(settings)}
    openers = [subprocess.Popen([sys.executable, "-c", code], env=env, cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for _ in range(5)]
    for opener in openers:
        out, err = opener.communicate(timeout=120)
        assert opener.returncode == 0 and out.strip() == "ok", err
    database = Database(settings)
    with database.session() as cur:
        versions = cur.execute(
            "SELECT version, count(*) FROM ops.schema_migrations GROUP BY 1 ORDER BY 1"
        ).fetchall()
        assert {n for _, n in versions} == {1}
        assert len(versions) == len(discover_migrations())
        assert cur.execute("SELECT count(*) FROM ops.write_token").fetchone() == (1,)
    database.close()


@pytest.mark.ducklake_only
def test_the_command_line_works_on_a_lake(stores, capsys):
    settings = stores.settings("cli")
    options = ["--lake", settings.lake or "", "--lake-data", settings.lake_data or ""]
    assert main(["demo", "--syncs", "2", *options]) == 0
    assert main(["status", *options]) == 0
    out = capsys.readouterr().out
    assert "#2" in out and "DuckLake" in out
    assert main(["maintain", *options]) == 0
    assert "expired" in capsys.readouterr().out


@pytest.mark.ducklake_only
def test_status_on_a_lake_nobody_made_creates_nothing(postgres, tmp_path, capsys):
    database = postgres.new_database()
    lake = postgres.attach_string(database)
    assert main(["status", "--lake", lake, "--lake-data", str(tmp_path / "data")]) == 1
    assert "no lake at" in capsys.readouterr().err
    assert not (tmp_path / "data").exists()
    assert postgres.sql("SELECT count(*) FROM information_schema.tables "
                        "WHERE table_schema NOT IN ('pg_catalog', 'information_schema')",
                        database).strip() == "0"
