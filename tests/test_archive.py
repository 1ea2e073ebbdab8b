"""Exports (now, and as of a past sync) and whole-database backups, on the demo database."""

from __future__ import annotations

import csv

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from tests.conftest import Stores
from tests.db_snapshot import snapshot
from tracker_db.archive import (
    EXPORTED_TABLES,
    backup_database,
    export_state,
    read_tables,
    restore_database,
    tables_zip,
)
from tracker_db.cli import main
from tracker_db.config import Settings
from tracker_db.db import Database
from tracker_db.errors import ConfigError, DataValidationError
from tracker_db.exports import FORMULA_STARTS
from tracker_db.migrate import open_database
from tracker_db.past_state import PAST_TABLES, open_past_state


@pytest.fixture
def demo(stores: Stores, demo_template: Settings):
    """A cursor on a copy of the demo database (four syncs)."""
    database = Database(stores.copy(demo_template, "archive"))
    with database.session() as cur:
        yield cur
    database.close()


def test_an_export_of_now_holds_every_layer_table_as_stored(demo, tmp_path):
    before = snapshot(demo)
    result = export_state(tmp_path / "now", cur=demo)
    assert (result.sync_id, result.as_of) == (4, False)
    assert sorted(p.name for p in (tmp_path / "now").iterdir()) == sorted(
        f"{t}.parquet" for t in EXPORTED_TABLES)
    for table in EXPORTED_TABLES:
        written = pl.read_parquet(tmp_path / "now" / f"{table}.parquet")
        assert_frame_equal(written, demo.execute(f"SELECT * FROM {table}").pl())
    assert snapshot(demo) == before  # only read


def test_an_export_as_of_a_past_sync_is_that_state_in_safe_csv(demo, tmp_path):
    result = export_state(tmp_path / "then", fmt="csv", as_of=2, cur=demo)
    assert (result.sync_id, result.as_of) == (2, True)
    past = open_past_state(2, cur=demo)
    try:
        with past.session() as p:
            expected = {t: p.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                        for t in EXPORTED_TABLES}
            scores = p.execute("SELECT max(sync_id) FROM history.assignment_scores").fetchone()
    finally:
        past.close()
    assert scores == (2,)
    texts = []
    for table in EXPORTED_TABLES:
        with (tmp_path / "then" / f"{table}.csv").open(encoding="utf-8-sig", newline="") as f:
            rows = list(csv.reader(f))
        assert len(rows) - 1 == expected[table] == result.files[f"{table}.csv"], table
        if table == "canvas.students":
            texts = [cell for row in rows[1:] for cell in row]
    # A spreadsheet would evaluate none of the Canvas names.
    assert texts and not [t for t in texts if t.startswith(FORMULA_STARTS)]


def test_an_export_never_overwrites_and_names_what_was_wrong(demo, tmp_path):
    export_state(tmp_path / "x", cur=demo)
    stamps = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "x").iterdir()}
    with pytest.raises(ConfigError, match=r"already holds .* \(nothing was written\)"):
        export_state(tmp_path / "x", cur=demo)
    assert {p.name: p.stat().st_mtime_ns for p in (tmp_path / "x").iterdir()} == stamps
    with pytest.raises(DataValidationError, match="format 'xlsx': choose parquet or csv"):
        export_state(tmp_path / "y", fmt="xlsx", cur=demo)
    with pytest.raises(DataValidationError, match="as of: there is no successful sync 9"):
        export_state(tmp_path / "y", as_of=9, cur=demo)
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(ConfigError, match="is a file, not a folder"):
        export_state(tmp_path / "file", cur=demo)
    assert not (tmp_path / "y").exists()


def test_the_download_bundles_a_past_state_as_csv(demo):
    import io
    import zipfile

    past = open_past_state(3, cur=demo)
    try:
        with past.session() as p:
            data = tables_zip(read_tables(p), "sync-3")
            students = p.execute("SELECT count(*) FROM canvas.students").fetchone()[0]
    finally:
        past.close()
    bundle = zipfile.ZipFile(io.BytesIO(data))
    assert sorted(bundle.namelist()) == sorted(f"sync-3/{t}.csv" for t in EXPORTED_TABLES)
    rows = list(csv.reader(io.StringIO(
        bundle.read("sync-3/canvas.students.csv").decode("utf-8-sig"))))
    assert len(rows) - 1 == students


def test_a_backup_restores_into_a_new_file_holding_the_same_data(demo, tmp_path):
    before = snapshot(demo)
    backup_database(tmp_path / "backup", cur=demo)
    assert snapshot(demo) == before
    moved = tmp_path / "moved"
    (tmp_path / "backup").rename(moved)  # a backup still restores after it was moved
    restore_database(moved, tmp_path / "restored.duckdb")
    restored = open_database(tmp_path / "restored.duckdb")
    try:
        with restored.session() as cur:
            after = snapshot(cur)
    finally:
        restored.close()
    ledger = "ops.schema_migrations"  # the restore's own migrations wrote it, just now
    assert [r[:3] for r in after.pop(ledger)] == [r[:3] for r in before.pop(ledger)]
    assert after == before


def test_a_restore_refuses_what_it_cannot_restore_and_leaves_no_file(demo, tmp_path):
    backup_database(tmp_path / "backup", cur=demo)
    with pytest.raises(ConfigError, match="not an empty folder"):
        backup_database(tmp_path / "backup", cur=demo)
    existing = tmp_path / "existing.duckdb"
    existing.write_bytes(b"")
    with pytest.raises(ConfigError, match="exists: restore into a new file"):
        restore_database(tmp_path / "backup", existing)
    with pytest.raises(ConfigError, match="holds no backup"):
        restore_database(tmp_path, tmp_path / "new.duckdb")
    next(iter((tmp_path / "backup").glob("history_*.parquet"))).unlink()
    with pytest.raises(ConfigError, match="not a whole backup"):
        restore_database(tmp_path / "backup", tmp_path / "new.duckdb")
    left = {p.name for p in tmp_path.iterdir()}
    assert "new.duckdb" not in left and not [n for n in left if n.startswith(".restore")]
    assert existing.read_bytes() == b""


@pytest.mark.file_only
def test_export_backup_and_restore_on_the_command_line(demo_template, tmp_path, capsys):
    db_path = demo_template.db_path
    assert main(["--db", db_path, "export", str(tmp_path / "e"), "--as-of", "2",
                 "--format", "csv"]) == 0
    out, err = capsys.readouterr()
    # one file per table of layers 0-3 (PAST_TABLES less the two ops tables)
    assert out.startswith(f"exported the state as of sync 2: {len(PAST_TABLES) - 2} files")
    assert err == ""
    assert main(["--db", db_path, "export", str(tmp_path / "e"), "--format", "csv"]) == 1
    err = capsys.readouterr().err
    assert "already holds" in err and len(err.strip().splitlines()) == 1
    assert main(["--db", db_path, "export", str(tmp_path / "f"), "--as-of", "1999-01-01"]) == 1
    assert "as of: no sync happened by 1999-01-01" in capsys.readouterr().err

    assert main(["--db", db_path, "backup", str(tmp_path / "b")]) == 0
    assert "restore with `canvas-tracker restore" in capsys.readouterr().out
    assert main(["restore", str(tmp_path / "b"), str(tmp_path / "r.duckdb")]) == 0
    assert "into the new file" in capsys.readouterr().out
    assert main(["--db", str(tmp_path / "r.duckdb"), "status"]) == 0
    assert "#4" in capsys.readouterr().out
    assert main(["restore", str(tmp_path / "b"), str(tmp_path / "r.duckdb")]) == 1
    assert "exists: restore into a new file" in capsys.readouterr().err


def test_an_exported_name_a_spreadsheet_would_run_is_made_inert(cur, tmp_path):
    from tracker_db.canvas.client import RetryPolicy
    from tracker_db.fake_canvas import FakeCanvas, build_demo_dataset
    from tracker_db.sync.from_canvas import sync_from_canvas

    formula = '=HYPERLINK("https://evil.example/x","click")'
    with FakeCanvas(build_demo_dataset(seed=3), token="t") as fake:
        student = fake.dataset.student_enrollments(fake.dataset.courses_for_teacher()[0]["id"])
        fake.dataset.rename_student(student[0]["user_id"], formula)
        fast = RetryPolicy(backoff_base=0.01, backoff_cap=0.05, max_pause=0.05)
        sync_from_canvas(fake.base_url, "t", retry=fast, cur=cur)
        sync_from_canvas(fake.base_url, "t", retry=fast, cur=cur)
    for as_of in (None, 1):
        folder = tmp_path / f"as-of-{as_of}"
        export_state(folder, fmt="csv", as_of=as_of, cur=cur)
        with (folder / "canvas.students.csv").open(encoding="utf-8-sig", newline="") as f:
            names = [row["name"] for row in csv.DictReader(f)]
        assert "'" + formula in names and formula not in names, as_of
