"""The schema: apply ``sql/migrations/NNNN_description.sql`` files in order.

Each file runs in one transaction together with its row in ``ops.schema_migrations``, so a
database is always at a whole migration: a failing file leaves neither its changes nor its
record. Released migration files are never edited; the checksum makes an edit visible. A
later migration that needs what an earlier one wrote out (a backfill) calls the views and
macros migrations create instead of copying their SQL again.

``open_database`` is how the app, the CLI and the tests open a database: connect (``db``),
then bring the schema up to date.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from tracker_db.db import Cursor, Database, sql_dir, transaction
from tracker_db.errors import DatabaseError, MigrationError

_FILENAME = re.compile(r"^(?P<version>\d{4})_(?P<name>[a-z0-9_]+)\.sql$")

# The ledger must exist before the first migration can be recorded, so it is created here
# rather than by a migration.
_LEDGER_DDL = """
CREATE SCHEMA IF NOT EXISTS ops;
CREATE TABLE IF NOT EXISTS ops.schema_migrations (
    version INTEGER NOT NULL,
    name VARCHAR NOT NULL,
    checksum VARCHAR NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL
);
"""


@dataclass(frozen=True)
class Migration:
    """One migration file."""

    version: int
    name: str
    path: Path
    sql: str

    @property
    def checksum(self) -> str:
        """SHA-256 of the file's text with line endings normalised (a Windows checkout must
        not look like an edit)."""
        return hashlib.sha256(self.sql.replace("\r\n", "\n").encode("utf-8")).hexdigest()


def discover_migrations(folder: Path | None = None) -> list[Migration]:
    """Read the migration files of ``folder`` (default ``sql/migrations``) in version order.

    Raises:
        MigrationError: A file name does not follow ``NNNN_description.sql`` or two files
            share a version.
    """
    folder = folder or sql_dir() / "migrations"
    migrations: dict[int, Migration] = {}
    for path in sorted(folder.glob("*.sql")):
        match = _FILENAME.match(path.name)
        if not match:
            raise MigrationError(
                f"migration file {path.name} is not named NNNN_description.sql "
                "(four digits, underscore, lowercase words)"
            )
        version = int(match["version"])
        if version in migrations:
            raise MigrationError(
                f"migration files {migrations[version].path.name} and {path.name} "
                f"share version {version}"
            )
        migrations[version] = Migration(
            version, match["name"], path, path.read_text(encoding="utf-8")
        )
    return [migrations[v] for v in sorted(migrations)]


def applied_migrations(cur: Cursor) -> dict[int, tuple[str, str]]:
    """Return ``{version: (name, checksum)}`` recorded in ``ops.schema_migrations``."""
    rows = cur.execute("SELECT version, name, checksum FROM ops.schema_migrations").fetchall()
    return {version: (name, checksum) for version, name, checksum in rows}


def apply_migrations(
    cur: Cursor, migrations: list[Migration] | None = None
) -> list[int]:
    """Bring the database up to the newest migration.

    Args:
        cur: Cursor on the database.
        migrations: The migrations to apply (default: the project's files).

    Returns:
        The versions applied now (empty when the database was up to date).

    Raises:
        MigrationError: An applied file changed since, the database is newer than this code,
            or a migration failed (its changes rolled back).
    """
    migrations = discover_migrations() if migrations is None else migrations
    try:
        cur.execute(_LEDGER_DDL)
        applied = applied_migrations(cur)
    except duckdb.Error as e:
        raise MigrationError(f"cannot read the migration ledger: {e}") from e

    known = {m.version: m for m in migrations}
    newer = sorted(set(applied) - set(known))
    if newer:
        raise MigrationError(
            f"the database has migration {newer[-1]}, newer than this code knows "
            f"(latest {max(known, default=0)}): upgrade Canvas Tracker to open it"
        )
    for version, (_name, checksum) in sorted(applied.items()):
        if known[version].checksum != checksum:
            raise MigrationError(
                f"migration {known[version].path.name} was changed after it was applied to "
                "this database; released migrations must never be edited: restore the file "
                "and add a new migration instead"
            )

    done: list[int] = []
    for migration in migrations:
        if migration.version in applied:
            continue
        try:
            with transaction(cur):
                cur.execute(migration.sql)
                cur.execute(
                    "INSERT INTO ops.schema_migrations VALUES (?, ?, ?, now())",
                    [migration.version, migration.name, migration.checksum],
                )
        except DatabaseError as e:
            raise MigrationError(
                f"migration {migration.path.name} failed: {e.__cause__}"
            ) from e.__cause__
        done.append(migration.version)
    return done


def open_database(db_path: str | Path | None = None) -> Database:
    """Open a database and bring its schema up to date.

    Args:
        db_path: File path or ``":memory:"``; None reads ``TRACKER_DB_PATH``.

    Raises:
        ConfigError: The path is unusable.
        DatabaseBusyError: Another process holds the file.
        MigrationError: The schema cannot be brought up to date (the file is left closed).
    """
    database = Database(db_path)
    try:
        with database.session() as cur:
            apply_migrations(cur)
    except BaseException:
        database.close()
        raise
    return database
