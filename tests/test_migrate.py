import hashlib
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from tracker_db.db import LAKE_CATALOG, Database, connect
from tracker_db.errors import ConfigError, DatabaseBusyError, MigrationError
from tracker_db.migrate import (
    Migration,
    apply_migrations,
    discover_baseline,
    discover_migrations,
    open_database,
)

EXPECTED_TABLES = {
    "canvas": {"courses", "sections", "students", "enrollments", "assignment_groups",
               "assignments", "submissions"},
    "history": {"grade_history", "assignment_scores"},
    "meta": {"curricula", "curriculum_courses", "student_metadata", "student_notes",
             "course_metadata", "assignment_metadata"},
    "ops": {"schema_migrations", "sync_runs"},
    "lifecycle": {"object_status", "enrollment_status"},
}


def _tables(cur) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for schema, table in cur.execute(
        "SELECT table_schema, table_name FROM information_schema.tables"
    ).fetchall():
        found.setdefault(schema, set()).add(table)
    return found


def _migration(version: int, name: str, sql: str) -> Migration:
    return Migration(version, name, Path(f"{version:04d}_{name}.sql"), sql)


def test_fresh_database_has_every_layer(cur):
    tables = _tables(cur)
    for schema, expected in EXPECTED_TABLES.items():
        assert expected <= tables.get(schema, set()), schema
    versions = [v for (v,) in cur.execute("SELECT version FROM ops.schema_migrations").fetchall()]
    assert versions == [m.version for m in discover_migrations()]


def test_no_table_has_keys_or_indexes(cur):
    # DuckDB blocks ALTER on indexed tables and DuckLake has none: uniqueness lives in code.
    constraints = cur.execute(
        "SELECT schema_name, table_name, constraint_type FROM duckdb_constraints() "
        "WHERE constraint_type <> 'NOT NULL'"
    ).fetchall()
    indexes = cur.execute("SELECT index_name FROM duckdb_indexes()").fetchall()
    assert constraints == []
    assert indexes == []


def test_opening_an_up_to_date_database_applies_nothing(tmp_path):
    path = tmp_path / "db.duckdb"
    open_database(path).close()
    manager = Database(path)
    with manager.session() as cur:
        assert apply_migrations(cur) == []
        (count,) = cur.execute("SELECT count(*) FROM ops.schema_migrations").fetchone()
    manager.close()
    assert count == len(discover_migrations())


def test_failing_migration_rolls_back_its_changes_and_record(tmp_path):
    manager = Database(tmp_path / "db.duckdb")
    good = _migration(1, "good", "CREATE SCHEMA s; CREATE TABLE s.a (x INTEGER);")
    bad = _migration(2, "bad", "CREATE TABLE s.b (x INTEGER); INSERT INTO s.a VALUES (1); "
                               "SELECT no_such_column FROM s.a;")
    with manager.session() as cur:
        with pytest.raises(MigrationError, match=r"0002_bad\.sql failed"):
            apply_migrations(cur, [good, bad])
        tables = _tables(cur)
        assert "a" in tables["s"] and "b" not in tables["s"]
        assert cur.execute("SELECT count(*) FROM s.a").fetchone() == (0,)
        assert cur.execute("SELECT version FROM ops.schema_migrations").fetchall() == [(1,)]
    manager.close()


def test_edited_migration_is_refused(tmp_path):
    manager = Database(tmp_path / "db.duckdb")
    with manager.session() as cur:
        apply_migrations(cur, [_migration(1, "one", "CREATE TABLE t (x INTEGER);")])
        edited = _migration(1, "one", "CREATE TABLE t (x INTEGER, y INTEGER);")
        with pytest.raises(MigrationError, match=r"0001_one\.sql was changed"):
            apply_migrations(cur, [edited])
    manager.close()


def test_database_newer_than_the_code_is_refused(tmp_path):
    manager = Database(tmp_path / "db.duckdb")
    with manager.session() as cur:
        both = [_migration(1, "one", "SELECT 1;"), _migration(2, "two", "SELECT 2;")]
        apply_migrations(cur, both)
        with pytest.raises(MigrationError, match="newer than this code"):
            apply_migrations(cur, [_migration(1, "one", "SELECT 1;")])
    manager.close()


def test_badly_named_migration_file_is_refused(tmp_path):
    (tmp_path / "1_init.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match="NNNN_description"):
        discover_migrations(tmp_path)


def test_database_held_by_another_process_names_the_file(tmp_path):
    path = tmp_path / "held.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import duckdb, sys, time
            con = duckdb.connect({str(path)!r})
            print("ready", flush=True)
            sys.stdin.readline()
        """)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(DatabaseBusyError) as caught:
            open_database(path)
        assert str(path) in str(caught.value)
        assert f"PID {holder.pid}" in str(caught.value)
    finally:
        holder.communicate("bye\n", timeout=10)


def test_line_endings_do_not_count_as_an_edit():
    unix = _migration(1, "one", "CREATE TABLE t (x INTEGER);\nSELECT 1;\n")
    windows = _migration(1, "one", "CREATE TABLE t (x INTEGER);\r\nSELECT 1;\r\n")
    assert unix.checksum == windows.checksum
    assert unix.checksum != _migration(1, "one", "CREATE TABLE t (y INTEGER);\n").checksum


# -- someone else's database ------------------------------------------------------------------


def _fingerprint(folder: Path, path: Path) -> tuple[str, int, list[str]]:
    """The file's bytes and modification time, and every file beside it (a .wal included)."""
    return (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns,
            sorted(p.name for p in folder.iterdir()))


@pytest.mark.file_only
def test_a_duckdb_file_of_another_application_is_refused_and_left_unchanged(tmp_path, capsys):
    from tracker_db.cli import main

    path = tmp_path / "shop.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE orders (id INTEGER, total DOUBLE)")
    con.execute("INSERT INTO orders VALUES (1, 9.5)")
    con.execute("CHECKPOINT")
    con.close()
    before = _fingerprint(tmp_path, path)
    assert before[2] == ["shop.duckdb"]

    expected = (f"{path} is a DuckDB database but not a Canvas Tracker one (it has tables "
                "such as main.orders); choose another file with TRACKER_DB_PATH")
    with pytest.raises(ConfigError) as refused:
        open_database(path)
    assert str(refused.value).startswith(expected)
    assert _fingerprint(tmp_path, path) == before
    # A read-only open (what `canvas-tracker status` does) says the same.
    with pytest.raises(ConfigError, match=re.escape(expected)):
        Database(path, read_only=True)
    assert main(["--db", str(path), "status"]) == 1
    assert expected in capsys.readouterr().err
    assert _fingerprint(tmp_path, path) == before


@pytest.mark.file_only
def test_an_empty_duckdb_file_becomes_a_tracker_database(tmp_path):
    path = tmp_path / "empty.duckdb"
    duckdb.connect(str(path)).close()
    database = open_database(path)
    try:
        with database.session() as cur:
            assert "canvas" in _tables(cur)
    finally:
        database.close()


@pytest.mark.ducklake_only
def test_a_lake_of_another_application_is_refused_and_left_unchanged(stores):
    settings = stores.settings("shop")
    con = connect(settings)  # attaching makes the (empty) lake; nothing of the tracker's
    con.execute("CREATE TABLE main.orders (id INTEGER)")
    con.execute("INSERT INTO main.orders VALUES (1)")
    con.close()

    def state() -> tuple[list, list]:
        reader = connect(settings, read_only=True)
        try:
            tables = reader.execute(
                "SELECT table_schema, table_name FROM information_schema.tables "
                "WHERE table_catalog = current_database() ORDER BY ALL"
            ).fetchall()
            snapshots = reader.execute(
                f"SELECT snapshot_id FROM ducklake_snapshots('{LAKE_CATALOG}') ORDER BY 1"
            ).fetchall()
        finally:
            reader.close()
        return tables, snapshots

    before = state()
    assert before[0] == [("main", "orders")]
    for read_only in (False, True):
        with pytest.raises(ConfigError, match=r"is a DuckLake but not a Canvas Tracker one "
                                              r"\(it has tables such as main.orders\)"):
            if read_only:
                Database(settings, read_only=True)
            else:
                open_database(settings)
    assert state() == before


def test_a_restore_rebuilds_a_schema_from_the_newest_baseline_it_is_not_older_than(tmp_path):
    # A backup made at version 14 predates the 0015 baseline: it starts from 0013's.
    folder = tmp_path / "migrations"
    (folder / "baseline").mkdir(parents=True)
    for version in (8, 13, 15):
        (folder / "baseline" / f"{version:04d}_schema.sql").write_text("SELECT 1;\n")
    assert discover_baseline(folder).version == 15
    assert discover_baseline(folder, up_to=14).version == 13
    assert discover_baseline(folder, up_to=13).version == 13
    assert discover_baseline(folder, up_to=7) is None
    project = discover_baseline()
    assert project is not None and project.version <= discover_migrations()[-1].version


def test_a_database_opened_to_check_it_serves_the_next_session_alone(tmp_path, monkeypatch):
    from tracker_db import migrate
    from tracker_db.config import load_settings

    opened = []
    real_open = migrate.open_database
    monkeypatch.setattr(migrate, "open_database", lambda s: opened.append(s) or real_open(s))
    sessions = migrate.OpenPerUse(load_settings({}, db_path=str(tmp_path / "held.duckdb")))
    sessions.open_now()  # the check: made (and migrated) here
    for _ in range(2):
        with sessions.session() as cur:
            assert cur.execute("SELECT count(*) FROM ops.schema_migrations").fetchone()[0] > 0
    assert len(opened) == 2  # the check's opening served the first session
    sessions.close()  # nothing held: nothing to do
    sessions.open_now()
    sessions.close()  # a check no session used is closed, and the file is free again
    holder = subprocess.run(
        [sys.executable, "-c", "import duckdb, sys; duckdb.connect(sys.argv[1]).close()",
         str(tmp_path / "held.duckdb")], capture_output=True, text=True, timeout=60,
    )
    assert holder.returncode == 0, holder.stderr
