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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import duckdb

from tracker_db.config import Settings
from tracker_db.db import WRITE_TOKEN_DDL, Cursor, Database, count, sql_dir, write
from tracker_db.errors import DatabaseError, MigrationError, WriteConflictError

T = TypeVar("T")

_FILENAME = re.compile(r"^(?P<version>\d{4})_(?P<name>[a-z0-9_]+)\.sql$")

# The ledger must exist before the first migration can be recorded, and the write token
# before the first write transaction can take it, so both are created here rather than by a
# migration (in one transaction, so two processes opening a new lake at once make one of
# each: the second conflicts and, tried again, finds them).
_BOOTSTRAP = """
CREATE SCHEMA IF NOT EXISTS ops;
CREATE TABLE IF NOT EXISTS ops.schema_migrations (
    version INTEGER NOT NULL,
    name VARCHAR NOT NULL,
    checksum VARCHAR NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL
);
"""
_BOOTSTRAPPED = """
SELECT count(*) FROM information_schema.tables
WHERE table_catalog = current_database() AND table_schema = 'ops'
  AND table_name IN ('schema_migrations', 'write_token')
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


def discover_baseline(
    folder: Path | None = None, *, up_to: int | None = None
) -> Migration | None:
    """Return the newest baseline (``migrations/baseline/NNNN_schema.sql``): the whole schema
    as of migration NNNN, for a new database. None when there is none.

    Args:
        folder: The migrations folder (default: the project's).
        up_to: Only a baseline of this version or older (a restore rebuilds a backup's
            schema as of its own version).

    Raises:
        MigrationError: A file name does not follow ``NNNN_description.sql``.
    """
    found = [
        baseline
        for baseline in discover_migrations((folder or sql_dir() / "migrations") / "baseline")
        if up_to is None or baseline.version <= up_to
    ]
    return found[-1] if found else None


def _bootstrap(cur: Cursor) -> None:
    try:
        if count(cur, _BOOTSTRAPPED) < 2:
            write(cur, lambda c: c.execute(_BOOTSTRAP + WRITE_TOKEN_DDL), take_token=False)
    except WriteConflictError as e:
        # Lost every try to other processes bootstrapping at once: fine if one of them did.
        if count(cur, _BOOTSTRAPPED) < 2:
            raise MigrationError(f"cannot create the migration ledger: {e}") from e
    except (duckdb.Error, DatabaseError) as e:
        raise MigrationError(f"cannot create the migration ledger: {e}") from e


def _record(cur: Cursor, migration: Migration) -> None:
    cur.execute(
        "INSERT INTO ops.schema_migrations VALUES (?, ?, ?, now())",
        [migration.version, migration.name, migration.checksum],
    )


def _write_once(
    cur: Cursor, work: Callable[[Cursor], T], migrations: list[Migration], done_elsewhere: T
) -> T:
    """Run a migration's transaction with ``write``; when it lost every try to other
    processes, look at the ledger (outside any transaction) before giving up.

    Processes opening a new lake at once all race to apply the same migrations, and the
    losers' retries keep colliding with each other's. Once the ledger holds every one of
    ``migrations``, another process applied them: return ``done_elsewhere``.
    """
    try:
        return write(cur, work)
    except WriteConflictError:
        recorded = applied_migrations(cur)
        if all(m.version in recorded for m in migrations):
            return done_elsewhere
        raise


def apply_migrations(
    cur: Cursor,
    migrations: list[Migration] | None = None,
    *,
    baseline: Migration | None = None,
) -> list[int]:
    """Bring the database up to the newest migration.

    A database without any migration starts from the baseline (one transaction for the
    whole schema, recorded as every migration it covers); others apply what they lack, each
    migration with its ledger row in one transaction. Each transaction checks the ledger
    again, so processes opening one database at once apply every migration exactly once.

    Args:
        cur: Cursor on the database.
        migrations: The migrations to apply (default: the project's files).
        baseline: The schema a new database starts from (default: the project's baseline,
            when ``migrations`` is the project's too; none for other migration lists).

    Returns:
        The versions applied now (empty when the database was up to date).

    Raises:
        MigrationError: An applied file changed since, the database is newer than this code,
            or a migration failed (its changes rolled back).
    """
    if migrations is None:
        migrations = discover_migrations()
        baseline = discover_baseline() if baseline is None else baseline
    _bootstrap(cur)
    try:
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
    if not applied and baseline is not None:
        covered = [m for m in migrations if m.version <= baseline.version]

        def start_from_baseline(c: Cursor) -> list[int]:
            if applied_migrations(c):
                return []  # another process has just done it
            c.execute(baseline.sql)
            for migration in covered:
                _record(c, migration)
            return [m.version for m in covered]

        try:
            done = _write_once(cur, start_from_baseline, covered, [])
        except DatabaseError as e:
            raise MigrationError(
                f"the baseline schema {baseline.path.name} failed: {e.__cause__}"
            ) from e.__cause__
        if not done:
            # Another process made the schema: apply only what its ledger still lacks, or
            # every process would take the write token once per migration to find it done.
            applied = applied_migrations(cur)

    for migration in migrations:
        if migration.version in applied or migration.version in done:
            continue

        def apply(c: Cursor, migration: Migration = migration) -> bool:
            if migration.version in applied_migrations(c):
                return False  # another process has just applied it
            c.execute(migration.sql)
            _record(c, migration)
            return True

        try:
            if _write_once(cur, apply, [migration], False):
                done.append(migration.version)
        except DatabaseError as e:
            raise MigrationError(
                f"migration {migration.path.name} failed: {e.__cause__}"
            ) from e.__cause__
    return done


def schema_version(cur: Cursor) -> int:
    """Return the newest migration recorded (0 for a database without a ledger)."""
    if count(cur, _BOOTSTRAPPED) < 2:
        return 0
    return count(cur, "SELECT coalesce(max(version), 0) FROM ops.schema_migrations")


def open_database(target: Settings | str | Path | None = None) -> Database:
    """Open a database and bring its schema up to date.

    Args:
        target: Settings, a file path or ``":memory:"``; None reads the environment
            (``TRACKER_LAKE`` wins over ``TRACKER_DB_PATH``).

    Raises:
        ConfigError: The path or the lake is unusable, or holds tables but is not a Canvas
            Tracker database (refused before anything is written: it is left unchanged).
        DatabaseBusyError: Another process holds the file.
        MigrationError: The schema cannot be brought up to date (the database is left
            closed).
    """
    database = Database(target)
    try:
        with database.session() as cur:
            apply_migrations(cur)
    except BaseException:
        database.close()
        raise
    return database


class OpenPerUse:
    """Cursors from a database opened for each use and closed right after (``db.Sessions``).

    A command-line sync uses this: it holds the database only for its short steps, never
    for the fetch, so the dashboard (or another command) can open a DuckDB file meanwhile.

    Args:
        settings: Where the data lives.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._opened: Database | None = None

    def open_now(self) -> None:
        """Open the database (creating and migrating it if need be) and keep it for the next
        session, which closes it as usual: a check that the database can be opened at all
        costs no second opening.

        Raises:
            As ``open_database``.
        """
        self.close()
        self._opened = open_database(self.settings)

    def close(self) -> None:
        """Close a database opened by ``open_now`` that no session has used."""
        if self._opened is not None:
            self._opened.close()
            self._opened = None

    @contextmanager
    def session(self) -> Iterator[Cursor]:
        """Open the database (or take the one ``open_now`` opened), yield a cursor, then
        close both."""
        database, self._opened = self._opened or open_database(self.settings), None
        try:
            with database.session() as cur:
                yield cur
        finally:
            database.close()
