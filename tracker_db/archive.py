"""Data carried out and back in: an export of the state (now, or as of a past sync) as Parquet
or CSV files, and a whole-database backup (DuckDB's ``EXPORT DATABASE``) with its restore.

An export writes one file per table (``canvas.courses.parquet`` ...) of layers 1, 2, 0 and 3;
its CSV files are safe to open in a spreadsheet (``exports.to_csv``). Nothing is ever
overwritten: a directory that already holds any of the files is refused before anything is
written, and a failure part way removes what that export wrote.
"""

from __future__ import annotations

import io
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from tracker_db.db import Cursor, Database, read_frame, read_snapshot, sql_file, transaction, using
from tracker_db.errors import ConfigError, DatabaseError, DataValidationError
from tracker_db.exports import Column, to_csv
from tracker_db.migrate import Migration, apply_migrations, discover_baseline, discover_migrations
from tracker_db.past_state import PAST_TABLES, open_past_state
from tracker_db.read_models.changes import list_comparable_syncs, resolve_sync

_SQL = sql_file("archive")

#: The formats ``export_state`` writes.
EXPORT_FORMATS = ("parquet", "csv")

#: The tables an export holds: every layer's (the summaries are derived from them, and the
#: tracker's own ``ops`` tables are not data).
EXPORTED_TABLES = tuple(t for t in PAST_TABLES if not t.startswith("ops."))


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote.

    Attributes:
        directory: Where.
        sync_id: The sync whose state it holds (the latest, for the present).
        as_of: Whether it is a past state (rebuilt) rather than the stored one.
        files: ``{file name: rows}``.
    """

    directory: Path
    sync_id: int
    as_of: bool
    files: dict[str, int]

    def summary(self) -> str:
        """One line for people."""
        state = f"as of sync {self.sync_id}" if self.as_of else f"now (sync {self.sync_id})"
        rows = sum(self.files.values())
        return (f"exported the state {state}: {len(self.files)} files, {rows:,} rows, into "
                f"{self.directory}")


def _csv_ready(frame: pl.DataFrame) -> pl.DataFrame:
    # CSV has no lists: a list cell (tags) becomes its items joined by "; ".
    return frame.with_columns(
        pl.col(name).cast(pl.List(pl.String)).list.join("; ")
        for name, dtype in frame.schema.items() if isinstance(dtype, pl.List)
    )


def _encode(frame: pl.DataFrame, fmt: str) -> bytes:
    if fmt == "csv":
        ready = _csv_ready(frame)
        return to_csv(ready, {name: Column(name) for name in ready.columns})
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    return buffer.getvalue()


def read_state(
    as_of: object = None, *, time_zone: str = "UTC", cur: Cursor | None = None
) -> tuple[int, bool, dict[str, pl.DataFrame]]:
    """Return the exported tables of the state now, or as of a past sync.

    Args:
        as_of: None for the stored state; else a sync number or a date or time (the latest
            sync by then), as ``read_models.changes.resolve_sync`` reads it.
        time_zone: The zone a date is read in.
        cur: Cursor on the stored database (only read).

    Returns:
        ``(sync_id, is_past, {table: frame})``.

    Raises:
        DataValidationError: Nothing synced yet, or an ``as_of`` that names no sync.
    """
    with using(cur) as c:
        if as_of is None:
            syncs = list_comparable_syncs(cur=c)
            if syncs.is_empty():
                raise DataValidationError("nothing has been synced yet: there is nothing to "
                                          "export")
            latest = int(syncs["sync_id"][0])
            with read_snapshot(c):
                return latest, False, read_tables(c)
        sync_id = resolve_sync(as_of, time_zone=time_zone, cur=c)
        past = open_past_state(sync_id, cur=c)
    try:
        with past.session() as p:
            return sync_id, True, read_tables(p)
    finally:
        past.close()


def read_tables(cur: Cursor) -> dict[str, pl.DataFrame]:
    """Return every exported table, whole, from ``cur``'s database (stored or past)."""
    try:
        return {t: read_frame(cur, _SQL["whole_table"].format(table=t))
                for t in EXPORTED_TABLES}
    except duckdb.Error as e:
        raise DatabaseError(f"cannot read the tables to export: {e}") from e


def export_state(
    directory: str | Path,
    *,
    fmt: str = "parquet",
    as_of: object = None,
    time_zone: str = "UTC",
    cur: Cursor | None = None,
) -> ExportResult:
    """Write the state (now, or as of a past sync) into ``directory``, one file per table.

    Args:
        directory: Where to write (made if missing; files already there are never replaced).
        fmt: ``parquet`` or ``csv``.
        as_of: None for now; else a sync number, or a date or time.
        time_zone: The zone a date is read in.
        cur: Cursor on the stored database (only read).

    Raises:
        DataValidationError: An unknown format, an ``as_of`` that names no sync, nothing
            synced yet.
        ConfigError: ``directory`` is a file, cannot be made, or holds a file of this export
            already (named); nothing was written.
    """
    if fmt not in EXPORT_FORMATS:
        raise DataValidationError(f"format {fmt!r}: choose {' or '.join(EXPORT_FORMATS)}")
    target = Path(directory)
    names = [f"{table}.{fmt}" for table in EXPORTED_TABLES]
    _check_target(target, names)
    sync_id, is_past, frames = read_state(as_of, time_zone=time_zone, cur=cur)
    written: list[Path] = []
    try:
        target.mkdir(parents=True, exist_ok=True)
        for table, name in zip(EXPORTED_TABLES, names, strict=True):
            path = target / name
            with path.open("xb") as out:  # "x": never replace a file that appeared since
                written.append(path)
                out.write(_encode(frames[table], fmt))
    except OSError as e:
        for path in written:
            path.unlink(missing_ok=True)
        raise ConfigError(f"cannot write the export into {target}: {e}") from e
    return ExportResult(target, sync_id, is_past,
                        {name: frames[t].height for t, name in zip(EXPORTED_TABLES, names,
                                                                   strict=True)})


def tables_zip(frames: dict[str, pl.DataFrame], folder: str) -> bytes:
    """Return ``frames`` as a ZIP of CSV files in ``folder`` (for a download button)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        for table, frame in frames.items():
            bundle.writestr(f"{folder}/{table}.csv", _encode(frame, "csv"))
    return buffer.getvalue()


def _check_target(target: Path, names: list[str]) -> None:
    if target.exists() and not target.is_dir():
        raise ConfigError(f"{target} is a file, not a folder: give a folder to export into")
    taken = [n for n in names if (target / n).exists()]
    if taken:
        raise ConfigError(
            f"{target} already holds {taken[0]}" + (f" and {len(taken) - 1} more file(s) of "
                                                    "an export" if len(taken) > 1 else "")
            + ": choose an empty folder (nothing was written)"
        )


def _literal(path: Path) -> str:
    # EXPORT and IMPORT DATABASE take no parameters: the path as a quoted SQL string.
    return "'" + str(path).replace("'", "''") + "'"


def backup_database(directory: str | Path, *, cur: Cursor | None = None) -> Path:
    """Back up the whole database (every schema, the ledger included) as Parquet files and
    the statements that rebuild it (DuckDB's ``EXPORT DATABASE``).

    Args:
        directory: A new or empty folder.
        cur: Cursor on the database (only read).

    Returns:
        The folder.

    Raises:
        ConfigError: The folder is a file or not empty (nothing was written).
        DatabaseError: DuckDB could not export (what was written is removed).
    """
    target = Path(directory)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ConfigError(f"{target} is not an empty folder: back up into a new one")
    made = not target.exists()
    with using(cur) as c:
        try:
            c.execute(_SQL["export_database"].format(path=_literal(target)))
        except duckdb.Error as e:
            if made:
                shutil.rmtree(target, ignore_errors=True)
            raise DatabaseError(f"cannot back up into {target}: {e}") from e
    return target


#: How ``EXPORT DATABASE``'s load.sql names each table's file.
_LOAD_LINE = re.compile(r"^COPY (\w+\.\w+) FROM '(.*)' \(FORMAT 'parquet'\);$")

#: Rows a new database makes for itself (the ledger of the migrations that built it, the
#: write token), so a restore keeps those and does not load them.
_OWN_ROWS = ("ops.schema_migrations", "ops.write_token")


def restore_database(directory: str | Path, db_path: str | Path) -> Path:
    """Make a new DuckDB file from a backup (``backup_database``).

    The schema is built by the tracker's own migrations up to the backup's version (DuckDB's
    schema.sql creates table macros before the views they read, so it cannot be replayed),
    then every table is loaded from its file by column name; the file is built beside its
    final name and renamed into place only once complete, so a failed restore leaves no file
    behind. Opening it afterwards brings an older backup's schema up to date.

    Args:
        directory: The backup's folder.
        db_path: The new database file (must not exist).

    Raises:
        ConfigError: No backup in ``directory``, a backup from a newer Canvas Tracker, or
            ``db_path`` exists.
        DatabaseError: DuckDB could not load the backup.
    """
    source, target = Path(directory), Path(db_path)
    files = _backup_files(source)
    if target.exists():
        raise ConfigError(f"{target} exists: restore into a new file, never over a database")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".restore-") as scratch:
        building = Path(scratch) / target.name
        database = Database(building)
        try:
            with database.session() as c:
                version = _backup_version(c, files)
                apply_migrations(c, [m for m in discover_migrations() if m.version <= version],
                                 baseline=_baseline_within(version))
                tables = set(read_frame(c, _SQL["stored_tables"])["name"].to_list())
                missing = sorted(tables - set(files) - set(_OWN_ROWS))
                if missing:
                    raise ConfigError(f"{source} is not a whole backup: no file for {missing[0]}")
                with transaction(c):
                    for table in sorted(tables - set(_OWN_ROWS)):
                        c.execute(_SQL["load_backup_table"].format(table=table),
                                  {"path": str(files[table])})
                c.execute(_SQL["checkpoint"])
        except duckdb.Error as e:
            raise DatabaseError(f"cannot restore {source}: {e}") from e
        finally:
            database.close()
        building.rename(target)
    return target


def _backup_files(source: Path) -> dict[str, Path]:
    """``{schema.table: its Parquet file}`` of a backup, wherever the folder now is."""
    try:
        lines = (source / "load.sql").read_text(encoding="utf-8").splitlines()
    except OSError:
        raise ConfigError(f"{source} holds no backup (no load.sql)") from None
    files = {}
    for line in lines:
        found = _LOAD_LINE.match(line.strip())
        if found:
            files[found.group(1)] = source / Path(found.group(2).replace("''", "'")).name
    if "ops.schema_migrations" not in files:
        raise ConfigError(f"{source} holds no Canvas Tracker backup (no migration ledger)")
    absent = [str(p.name) for p in files.values() if not p.is_file()]
    if absent:
        raise ConfigError(f"{source} is not a whole backup: {absent[0]} is missing")
    return files


def _backup_version(cur: Cursor, files: dict[str, Path]) -> int:
    version = cur.execute(_SQL["backup_version"],
                          {"path": str(files["ops.schema_migrations"])}).fetchone()
    newest = discover_migrations()[-1].version
    if version is None or version[0] is None:
        raise ConfigError("the backup's migration ledger is empty: not a Canvas Tracker backup")
    if int(version[0]) > newest:
        raise ConfigError(f"the backup is at schema version {version[0]}, newer than this "
                          f"Canvas Tracker knows ({newest}): restore it with a newer one")
    return int(version[0])


def _baseline_within(version: int) -> Migration | None:
    return discover_baseline(up_to=version)
