"""The one place that talks to DuckDB: connections, cursors, transactions and the SQL files.

DuckDB allows one read-write process per database file, so a process keeps one connection
(``Database``) and hands each caller its own ``cursor()``: cursors of one connection can be
used from different threads, and each has its own transaction state. Everything else in
tracker_db reaches DuckDB through this module; the schema belongs to ``migrate``, which
builds on this module (never the reverse).

SQL lives in ``sql/``: migrations in ``sql/migrations/``, and every other statement in a file
of named statements per module (``sql/store/metadata.sql`` for ``tracker_db.store.teacher_data``),
each introduced by a ``-- name: what_it_does`` line. ``sql_file`` reads such a file.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from tracker_db.config import MEMORY_DB, load_settings, resolve_db_path
from tracker_db.errors import ConfigError, DatabaseBusyError, DatabaseError, TrackerError

log = logging.getLogger(__name__)

#: A DuckDB cursor (a connection object of its own); every function that touches the
#: database takes one.
Cursor = duckdb.DuckDBPyConnection

_LOCK_HOLDER = re.compile(r"Conflicting lock is held in (?P<exe>.*?) \(PID (?P<pid>\d+)\)")
_PACKAGE_DIR = Path(__file__).resolve().parent


# ---------------------------------------------------------------------------------------------
# Connections


def connect(db_path: str) -> Cursor:
    """Open a DuckDB connection with the session settings every tracker cursor uses.

    Raises:
        DatabaseBusyError: Another process holds the file.
        ConfigError: The file cannot be opened (not a database, no permission ...).
    """
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
    _configure(con)
    return con


def _configure(cur: Cursor) -> None:
    # Every timestamp the tracker stores and compares is UTC; make the session agree so
    # TIMESTAMPTZ values never shift with the machine's zone.
    cur.execute("SET TimeZone = 'UTC'")


class Database:
    """Owns the process's DuckDB connection; callers take cursors of it.

    Opening does not touch the schema: ``migrate.open_database`` opens and brings the schema
    up to date, which is what the app, the CLI and the tests use.

    Args:
        db_path: File path or ``":memory:"``; None reads ``TRACKER_DB_PATH``.

    Raises:
        ConfigError: The path is unusable.
        DatabaseBusyError: Another process holds the file.
    """

    def __init__(self, db_path: str | Path | None = None) -> None:
        self.db_path = load_settings().db_path if db_path is None else resolve_db_path(db_path)
        self._connection: Cursor | None = connect(self.db_path)

    @property
    def in_memory(self) -> bool:
        """Whether the database lives only in this process."""
        return self.db_path == MEMORY_DB

    def cursor(self) -> Cursor:
        """Return a new cursor; the caller closes it (or use ``session()``)."""
        if self._connection is None:
            raise TrackerError(f"database {self.db_path} is closed")
        cur = self._connection.cursor()
        _configure(cur)
        return cur

    @contextmanager
    def session(self) -> Iterator[Cursor]:
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


# The database functions use when called without a cursor: the app installs its cached one,
# the CLI the one it opened, tests a throwaway file.
_default: Database | None = None
_default_lock = threading.Lock()


def set_default_database(database: Database | None) -> Database | None:
    """Install ``database`` as the process-wide one and return the previous one."""
    global _default
    with _default_lock:
        previous, _default = _default, database
        return previous


def default_database() -> Database:
    """Return the process-wide database.

    Raises:
        ConfigError: None is installed.
    """
    with _default_lock:
        if _default is None:
            raise ConfigError(
                "no database is open in this process: call "
                "tracker_db.set_default_database(tracker_db.open_database()) first, or pass cur="
            )
        return _default


@contextmanager
def using(cur: Cursor | None) -> Iterator[Cursor]:
    """Yield ``cur`` if given, else a fresh cursor of the process-wide database: lets
    functions take ``cur=None``."""
    if cur is not None:
        yield cur
    else:
        with default_database().session() as own:
            yield own


# ---------------------------------------------------------------------------------------------
# Transactions


def _rollback(cur: Cursor) -> None:
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
def transaction(cur: Cursor) -> Iterator[Cursor]:
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


# ---------------------------------------------------------------------------------------------
# Small helpers for statements


def scalar(cur: Cursor, sql: str, params: object = None) -> Any:
    """Run ``sql`` and return the first column of its first row (None without a row)."""
    row = cur.execute(sql, params).fetchone()
    return None if row is None else row[0]


def count(cur: Cursor, sql: str, params: object = None) -> int:
    """Run ``sql`` (a count, or a write that reports its rows) and return the number."""
    value = scalar(cur, sql, params)
    return 0 if value is None else int(value)


def one_row(cur: Cursor, sql: str, params: object = None) -> dict[str, Any] | None:
    """Run ``sql`` and return its first row as a dict, or None without a row.

    Read through polars, so timestamps with a zone need no extra library.
    """
    frame = cur.execute(sql, params).pl()
    return frame.row(0, named=True) if frame.height else None


@contextmanager
def staged(cur: Cursor, name: str, frame: pl.DataFrame) -> Iterator[None]:
    """Make ``frame`` readable as the table ``name`` on this cursor for the block.

    Rows travel as one Arrow table (never row by row); statements read it as
    ``temp.<name>`` or by its bare name.
    """
    cur.register(name, frame.to_arrow())
    try:
        yield
    finally:
        cur.unregister(name)


def like_pattern(text: str) -> str:
    """Return an ILIKE pattern matching ``text`` anywhere, its wildcards taken literally
    (statements use it with ``ESCAPE '\\'``)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# ---------------------------------------------------------------------------------------------
# The SQL files


def sql_dir() -> Path:
    """Return the folder holding ``migrations/`` and the statement files.

    A checkout (or editable install) reads the top-level ``sql/``; a wheel carries a copy
    inside the package.

    Raises:
        ConfigError: Neither exists.
    """
    for candidate in (_PACKAGE_DIR.parent / "sql", _PACKAGE_DIR / "sql"):
        if (candidate / "migrations").is_dir():
            return candidate
    raise ConfigError(
        f"the SQL files are missing: no sql/migrations folder next to {_PACKAGE_DIR}; "
        "reinstall Canvas Tracker"
    )


_STATEMENT_NAME = re.compile(r"^-- name: ([a-z][a-z0-9_]*)[ \t]*$", re.MULTILINE)


def _has_code(text: str) -> bool:
    return any(line.strip() and not line.strip().startswith("--") for line in text.splitlines())


def parse_statements(text: str, where: str) -> dict[str, str]:
    """Split a statement file into ``{name: statement}``.

    Each statement starts at a ``-- name: what_it_does`` line and runs to the next one; the
    comments under the name stay with it. Before the first name only comments may stand.

    Raises:
        ConfigError: Code before the first name, a name used twice, or a name without a
            statement (naming the file).
    """
    pieces = _STATEMENT_NAME.split(text.replace("\r\n", "\n"))
    if _has_code(pieces[0]):
        raise ConfigError(f"{where}: SQL before the first '-- name:' line")
    statements: dict[str, str] = {}
    for name, body in zip(pieces[1::2], pieces[2::2], strict=True):
        if name in statements:
            raise ConfigError(f"{where}: statement {name!r} is defined twice")
        statement = body.strip().rstrip(";").rstrip()
        if not _has_code(statement):
            raise ConfigError(f"{where}: statement {name!r} is empty")
        statements[name] = statement
    return statements


class SqlFile(Mapping[str, str]):
    """The named statements of one ``sql/<name>.sql`` file, read on first use.

    Args:
        name: The file's path under ``sql/`` without ``.sql``, e.g. ``"store/metadata"``.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._statements: dict[str, str] | None = None

    def _load(self) -> dict[str, str]:
        if self._statements is None:
            path = sql_dir() / f"{self.name}.sql"
            try:
                text = path.read_text(encoding="utf-8")
            except OSError as e:
                raise ConfigError(f"cannot read SQL file sql/{self.name}.sql: {e}") from e
            self._statements = parse_statements(text, f"sql/{self.name}.sql")
        return self._statements

    def __getitem__(self, statement: str) -> str:
        try:
            return self._load()[statement]
        except KeyError:
            raise ConfigError(
                f"sql/{self.name}.sql has no statement named {statement!r}"
            ) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())


@cache
def sql_file(name: str) -> SqlFile:
    """Return the statements of ``sql/<name>.sql`` (one object per file and process)."""
    return SqlFile(name)
