"""The one place that opens DuckDB.

DuckDB allows one read-write process per database file, so the tracker keeps one connection
per process (``DatabaseManager``) and hands each caller its own ``cursor()``: cursors of one
connection can be used from different threads, and each has its own transaction state.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from tracker_db.config import MEMORY_DB, load_settings, resolve_db_path
from tracker_db.errors import ConfigError, DatabaseBusyError, DatabaseError, TrackerError

log = logging.getLogger(__name__)

_LOCK_HOLDER = re.compile(r"Conflicting lock is held in (?P<exe>.*?) \(PID (?P<pid>\d+)\)")


def _connect(db_path: str) -> duckdb.DuckDBPyConnection:
    try:
        con = duckdb.connect(db_path)
    except duckdb.IOException as e:
        message = str(e)
        holder = _LOCK_HOLDER.search(message)
        if holder:
            raise DatabaseBusyError(
                f"database file {db_path} is in use by another process "
                f"(PID {holder['pid']}, {Path(holder['exe']).name}): only one process can "
                "write it at a time; stop that process (the dashboard, or another "
                "canvas-tracker command) and try again"
            ) from e
        raise ConfigError(f"cannot open database file {db_path}: {message}") from e
    except duckdb.Error as e:
        raise ConfigError(f"cannot open database file {db_path}: {e}") from e
    # Every timestamp the tracker stores and compares is UTC; make the session agree so
    # TIMESTAMPTZ values never shift with the machine's zone.
    con.execute("SET TimeZone = 'UTC'")
    return con


class DatabaseManager:
    """Owns the process's DuckDB connection and brings its schema up to date on open.

    Args:
        db_path: File path or ``":memory:"``; None reads ``TRACKER_DB_PATH``.
        migrate: Apply pending migrations on open (default). Tests of the migration
            runner itself turn this off.

    Raises:
        ConfigError: The path is unusable.
        DatabaseBusyError: Another process holds the file.
        MigrationError: The schema cannot be brought up to date.
    """

    def __init__(self, db_path: str | Path | None = None, *, migrate: bool = True) -> None:
        self.db_path = load_settings().db_path if db_path is None else resolve_db_path(db_path)
        self._connection: duckdb.DuckDBPyConnection | None = _connect(self.db_path)
        if migrate:
            from tracker_db.migrate import apply_migrations

            try:
                with self.session() as cur:
                    apply_migrations(cur)
            except BaseException:
                self.close()
                raise

    @property
    def in_memory(self) -> bool:
        """Whether the database lives only in this process."""
        return self.db_path == MEMORY_DB

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """Return a new cursor; the caller closes it (or use ``session()``)."""
        if self._connection is None:
            raise TrackerError(f"database {self.db_path} is closed")
        cur = self._connection.cursor()
        cur.execute("SET TimeZone = 'UTC'")
        return cur

    @contextmanager
    def session(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """Yield a cursor of this connection and close it afterwards."""
        cur = self.cursor()
        try:
            yield cur
        finally:
            cur.close()

    def close(self) -> None:
        """Close the connection (idempotent); the file can then be opened by others."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None


_default_manager: DatabaseManager | None = None
_default_lock = threading.Lock()


def get_manager() -> DatabaseManager:
    """Return the process-wide manager, opening ``TRACKER_DB_PATH`` on first use."""
    global _default_manager
    with _default_lock:
        if _default_manager is None:
            _default_manager = DatabaseManager()
        return _default_manager


def set_manager(manager: DatabaseManager | None) -> DatabaseManager | None:
    """Install ``manager`` as the process-wide one and return the previous one.

    The app installs its cached manager here; tests install one on a throwaway file.
    """
    global _default_manager
    with _default_lock:
        previous, _default_manager = _default_manager, manager
        return previous


@contextmanager
def get_session() -> Iterator[duckdb.DuckDBPyConnection]:
    """Yield a cursor of the process-wide connection (safe to use from any thread)."""
    with get_manager().session() as cur:
        yield cur


@contextmanager
def using(cur: duckdb.DuckDBPyConnection | None) -> Iterator[duckdb.DuckDBPyConnection]:
    """Yield ``cur`` if given, else a fresh session cursor: lets functions take ``cur=None``."""
    if cur is not None:
        yield cur
    else:
        with get_session() as own:
            yield own


def _rollback(cur: duckdb.DuckDBPyConnection) -> None:
    try:
        cur.execute("ROLLBACK")
    except duckdb.Error:
        # A failed COMMIT has already ended the transaction: nothing is left to undo.
        log.debug("no transaction left to roll back", exc_info=True)


# One write transaction at a time in this process (and DuckDB allows one writing process).
# Without it, two threads could both read max(sync_id) + 1, or both find no metadata row and
# insert one: DuckDB's appends never conflict, so such checks need the writers in a queue.
_write_lock = threading.RLock()


@contextmanager
def transaction(cur: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """Run the block in one write transaction: COMMIT on success, ROLLBACK on any exception.

    DuckDB applies nothing of a transaction until COMMIT, so a failure anywhere in the block
    (or in the COMMIT itself) leaves every table exactly as it was. Driver errors come out as
    ``DatabaseError`` with the cause chained; every other exception is re-raised unchanged.
    Write transactions of one process run one after another (reads never wait).
    """
    with _write_lock:
        try:
            cur.execute("BEGIN TRANSACTION")
        except duckdb.Error as e:
            raise DatabaseError(
                f"cannot start a transaction on this cursor (is one already open?): {e}"
            ) from e
        try:
            yield cur
            cur.execute("COMMIT")
        except duckdb.Error as e:
            _rollback(cur)
            raise DatabaseError(
                f"the database refused the change, nothing was saved: {e}"
            ) from e
        except BaseException:
            _rollback(cur)
            raise
