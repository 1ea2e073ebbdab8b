"""The one place that talks to DuckDB: connections, cursors, transactions and the SQL files.

Two backends, one SQL: a DuckDB file (one process may write it) or a DuckLake catalog,
attached as ``lake`` and made every cursor's default, so statements name tables
``schema.table`` on both. A process keeps one connection (``Database``) and hands each caller
its own ``cursor()``: cursors of one connection can be used from different threads, and each
has its own transaction state. Every write transaction takes the write token, and ``write``
runs one again whole when another process committed first. Everything else in tracker_db
reaches DuckDB through this module; the schema belongs to ``migrate``, which builds on this
module (never the reverse).

SQL lives in ``sql/``: migrations in ``sql/migrations/``, and every other statement in a file
of named statements per module (``sql/store/metadata.sql`` for ``tracker_db.store.teacher_data``),
each introduced by a ``-- name: what_it_does`` line. ``sql_file`` reads such a file.
"""

from __future__ import annotations

import importlib.util
import logging
import random
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from functools import cache
from pathlib import Path
from typing import Any, Protocol, TypeVar

import duckdb
import polars as pl

from tracker_db.config import MEMORY_DB, Settings, load_settings, redact, resolve_db_path
from tracker_db.errors import (
    ConfigError,
    DatabaseBusyError,
    DatabaseError,
    TrackerError,
    WriteConflictError,
)

log = logging.getLogger(__name__)

#: A DuckDB cursor (a connection object of its own); every function that touches the
#: database takes one.
Cursor = duckdb.DuckDBPyConnection

_LOCK_HOLDER = re.compile(r"Conflicting lock is held in (?P<exe>.*?) \(PID (?P<pid>\d+)\)")
_PACKAGE_DIR = Path(__file__).resolve().parent


# ---------------------------------------------------------------------------------------------
# Connections: a DuckDB file, or a DuckLake catalog


def _connect_file(db_path: str, *, read_only: bool) -> Cursor:
    if read_only and db_path != MEMORY_DB and not Path(db_path).is_file():
        raise ConfigError(
            f"no database file at {db_path}: nothing has been synced there yet (run "
            "`canvas-tracker sync` or `canvas-tracker demo` first)"
        )
    try:
        return duckdb.connect(db_path, read_only=read_only and db_path != MEMORY_DB)
    except duckdb.IOException as e:
        message = str(e)
        holder = _LOCK_HOLDER.search(message)
        if holder:
            raise DatabaseBusyError(
                f"database file {db_path} is in use by another process "
                f"(PID {holder['pid']}, {Path(holder['exe']).name}): only one process can "
                "open it while it writes; stop that process (the dashboard, or another "
                "canvas-tracker command) and try again, or use the shared backend "
                "(TRACKER_LAKE, see the README) so that many processes can"
            ) from e
        raise ConfigError(f"cannot open database file {db_path}: {message}") from e
    except duckdb.Error as e:
        raise ConfigError(f"cannot open database file {db_path}: {e}") from e


#: DuckDB's extensions for the shared backend, from the PyPI wheels (never downloaded):
#: ``(extension, package)``.
LAKE_EXTENSIONS = (
    ("postgres_scanner", "duckdb_extension_postgres_scanner"),
    ("ducklake", "duckdb_extension_ducklake"),
)
#: The catalog name the lake is attached as; SQL never names it (``USE lake`` on every cursor).
LAKE_CATALOG = "lake"


def extension_file(name: str, package: str) -> Path:
    """Return the path of an extension file a wheel installed, for ``LOAD``.

    Raises:
        ConfigError: The wheel is missing, or built for another DuckDB version.
    """
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(
            f"the shared backend needs DuckDB's {name} extension: install it with "
            "pip install 'canvas-tracker[lake]'"
        )
    folder = Path(next(iter(spec.submodule_search_locations))) / "extensions"
    path = folder / f"v{duckdb.__version__}" / f"{name}.duckdb_extension"
    if not path.is_file():
        built = sorted(p.name for p in folder.glob("v*")) or ["none"]
        raise ConfigError(
            f"the {name} extension installed is for DuckDB {', '.join(built)}, not "
            f"{duckdb.__version__}: install the DuckDB version pinned by canvas-tracker"
        )
    return path


# The first ATTACH of a new lake creates DuckLake's catalog tables in PostgreSQL. Processes
# that open a new lake at the same moment race to create them, and the losers fail on
# PostgreSQL's own catalog ("duplicate key ... pg_type_typname_nsp_index" or "already
# exists"). Attaching again then finds the tables the winner made, so those errors are
# retried a few times before they are reported.
_CATALOG_CREATION_RACE = re.compile(r"duplicate key value|already exists", re.IGNORECASE)
_ATTACH_ATTEMPTS = 8


def _attach_lake(con: Cursor, settings: Settings, *, read_only: bool) -> None:
    # The attach string and path were checked for quotes (config.resolve_lake).
    options = [f"DATA_PATH '{settings.lake_data}'"] + (["READ_ONLY"] if read_only else [])
    statement = f"ATTACH '{settings.lake}' AS {LAKE_CATALOG} ({', '.join(options)})"
    for attempt in range(1, _ATTACH_ATTEMPTS + 1):
        try:
            con.execute(statement)
            return
        except duckdb.Error as e:
            if attempt == _ATTACH_ATTEMPTS or not _CATALOG_CREATION_RACE.search(str(e)):
                raise
            log.info("another process is creating the lake (attempt %d); attaching again",
                     attempt)
            time.sleep(0.05 * attempt + random.uniform(0, 0.05))


def _connect_lake(settings: Settings, *, read_only: bool) -> Cursor:
    con = duckdb.connect(
        config={"autoinstall_known_extensions": False, "autoload_known_extensions": False}
    )
    try:
        for name, package in LAKE_EXTENSIONS:
            con.execute(f"LOAD '{extension_file(name, package)}'")
        _attach_lake(con, settings, read_only=read_only)
    except duckdb.Error as e:
        con.close()
        where = redact(settings.lake or "")
        if read_only and "does not exist" in str(e):
            raise ConfigError(
                f"no lake at {where} yet: nothing has been synced there (run "
                "`canvas-tracker sync` or `canvas-tracker demo` first)"
            ) from e
        raise ConfigError(f"cannot open the lake {where}: {redact(str(e))}") from e
    except BaseException:
        con.close()
        raise
    return con


def _configure(cur: Cursor, backend: str) -> None:
    # Every timestamp the tracker stores and compares is UTC; make the session agree so
    # TIMESTAMPTZ values never shift with the machine's zone. A lake cursor starts in the
    # in-memory catalog, so it is pointed at the lake first.
    if backend == "ducklake":
        cur.execute(f"USE {LAKE_CATALOG}")
    cur.execute("SET TimeZone = 'UTC'")


def connect(settings: Settings, *, read_only: bool = False) -> Cursor:
    """Open a DuckDB connection on either backend, with the session settings every tracker
    cursor uses.

    Args:
        settings: Where the data lives.
        read_only: Open without writing (a lake attached read-only; a file shared with
            other readers); a file must then exist.

    Raises:
        DatabaseBusyError: Another process holds the file.
        ConfigError: The file or the lake cannot be opened.
    """
    if settings.backend == "ducklake":
        con = _connect_lake(settings, read_only=read_only)
    else:
        con = _connect_file(settings.db_path, read_only=read_only)
    _configure(con, settings.backend)
    return con


# The names of a few tables, when the database has tables but not the migration ledger
# ``migrate`` keeps in every Canvas Tracker database: then it is someone else's.
_FOREIGN_TABLES = """
SELECT table_schema || '.' || table_name FROM information_schema.tables
WHERE table_catalog = current_database()
  AND NOT EXISTS (
      SELECT 1 FROM information_schema.tables
      WHERE table_catalog = current_database() AND table_schema = 'ops'
        AND table_name = 'schema_migrations')
ORDER BY table_schema, table_name
LIMIT 3
"""


def refuse_foreign_database(cur: Cursor, settings: Settings) -> None:
    """Refuse a database that holds tables but is not a Canvas Tracker one, before anything
    can be written to it (a migration would add the tracker's schemas beside its tables).

    Raises:
        ConfigError: The database has tables and no Canvas Tracker migration ledger.
    """
    try:
        found = [str(name) for name, in cur.execute(_FOREIGN_TABLES).fetchall()]
    except duckdb.Error as e:
        raise ConfigError(f"cannot read the tables of {settings.location}: {e}") from e
    if not found:
        return
    # Names come from someone else's database: no control characters in the message.
    tables = ", ".join("".join(c if c.isprintable() else "?" for c in name) for name in found)
    if settings.backend == "ducklake":
        raise ConfigError(
            f"the lake {settings.location} is a DuckLake but not a Canvas Tracker one (it has "
            f"tables such as {tables}); choose another lake with TRACKER_LAKE (or "
            "canvas-tracker --lake)"
        )
    raise ConfigError(
        f"{settings.db_path} is a DuckDB database but not a Canvas Tracker one (it has tables "
        f"such as {tables}); choose another file with TRACKER_DB_PATH (or canvas-tracker --db)"
    )


class Database:
    """Owns the process's DuckDB connection; callers take cursors of it.

    Opening does not touch the schema: ``migrate.open_database`` opens and brings the schema
    up to date, which is what the app, the CLI and the tests use. A database that has tables
    but is not a Canvas Tracker one is refused before anything is written to it.

    Args:
        target: Settings, a file path (or ``":memory:"``), or None to read the environment
            (``TRACKER_LAKE`` wins over ``TRACKER_DB_PATH``).
        read_only: Open without writing.

    Raises:
        ConfigError: The path or the lake is unusable, or holds another application's tables.
        DatabaseBusyError: Another process holds the file.
    """

    def __init__(
        self, target: Settings | str | Path | None = None, *, read_only: bool = False
    ) -> None:
        if isinstance(target, Settings):
            self.settings = target
        elif target is None:
            self.settings = load_settings()
        else:
            self.settings = Settings(db_path=resolve_db_path(target))
        self.read_only = read_only
        connection = connect(self.settings, read_only=read_only)
        try:
            refuse_foreign_database(connection, self.settings)
        except BaseException:
            connection.close()
            raise
        self._connection: Cursor | None = connection

    @property
    def backend(self) -> str:
        """``file`` or ``ducklake``."""
        return self.settings.backend

    @property
    def db_path(self) -> str:
        """The DuckDB file (empty for a lake)."""
        return self.settings.db_path

    @property
    def location(self) -> str:
        """Where the data is, for people (never with a password)."""
        return self.settings.location

    @property
    def in_memory(self) -> bool:
        """Whether the database lives only in this process."""
        return self.settings.in_memory

    def cursor(self) -> Cursor:
        """Return a new cursor; the caller closes it (or use ``session()``)."""
        if self._connection is None:
            raise TrackerError(f"database {self.location} is closed")
        cur = self._connection.cursor()
        _configure(cur, self.backend)
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


class Sessions(Protocol):
    """Anything that hands out cursors: a ``Database``, or an opener that opens one per use
    (so a long fetch holds no database)."""

    def session(self) -> AbstractContextManager[Cursor]:
        """Yield a cursor, closing it (and whatever was opened for it) afterwards."""
        ...


# The database functions use when called without a cursor: the app installs its cached one,
# the CLI the one it opened, tests a throwaway one.
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
# Transactions: one at a time per process, the write token, and a whole retry on conflict


def _begin(cur: Cursor) -> None:
    try:
        cur.execute("BEGIN TRANSACTION")
    except duckdb.Error as e:
        raise DatabaseError(
            f"cannot start a transaction on this cursor (is one already open?): {e}"
        ) from e


def _rollback(cur: Cursor) -> None:
    try:
        cur.execute("ROLLBACK")
    except duckdb.Error:
        # A failed COMMIT has already ended the transaction: nothing is left to undo.
        log.debug("no transaction left to roll back", exc_info=True)


def is_conflict(error: BaseException) -> bool:
    """Whether a driver error says another transaction committed a change to the same data
    first (DuckLake reports it at COMMIT, a DuckDB file at the conflicting statement)."""
    return isinstance(error, duckdb.TransactionException) and "onflict" in str(error)


# One write transaction at a time in this process. Across processes (a lake), the write
# token does the same: every write transaction updates its one row first, so two that
# overlap conflict at COMMIT instead of both committing. Without it two writers could both
# read max(sync_id) + 1, or both find no metadata row and insert one, since appends never
# conflict.
_write_lock = threading.RLock()
TAKE_WRITE_TOKEN = "UPDATE ops.write_token SET token = token + 1, taken_at = now()"
#: The token's table and its one row (``migrate`` runs this once, with the ledger).
WRITE_TOKEN_DDL = """
CREATE TABLE IF NOT EXISTS ops.write_token (
    token BIGINT NOT NULL,      -- counts write transactions; each one updates this row first
    taken_at TIMESTAMPTZ
);
INSERT INTO ops.write_token SELECT 0, NULL WHERE NOT EXISTS (SELECT 1 FROM ops.write_token);
"""
#: How many times a write transaction is tried when other processes commit first.
WRITE_ATTEMPTS = 6


@contextmanager
def transaction(cur: Cursor, *, take_token: bool = True) -> Iterator[Cursor]:
    """Run the block in one write transaction: COMMIT on success, ROLLBACK on any exception.

    DuckDB applies nothing of a transaction until COMMIT, so a failure anywhere in the block
    (or in the COMMIT itself) leaves every table exactly as it was. The transaction first
    takes the write token (``ops.write_token``; only the schema's own bootstrap runs without
    it). Driver errors come out as ``DatabaseError`` with the cause chained (a conflict with
    another process as ``WriteConflictError``, which ``write`` tries again); every other
    exception is re-raised unchanged. Write transactions of one process run one after another
    (reads never wait).
    """
    with _write_lock:
        _begin(cur)
        try:
            if take_token:
                cur.execute(TAKE_WRITE_TOKEN)
            yield cur
            cur.execute("COMMIT")
        except duckdb.Error as e:
            _rollback(cur)
            if is_conflict(e):
                raise WriteConflictError(
                    f"another process changed the same data first; nothing was saved: {e}"
                ) from e
            raise DatabaseError(
                f"the database refused the change, nothing was saved: {e}"
            ) from e
        except BaseException:
            _rollback(cur)
            raise


@contextmanager
def read_snapshot(cur: Cursor) -> Iterator[Cursor]:
    """Run the block's reads in one transaction, so they all see one committed state.

    Nothing is written: the transaction is rolled back at the end. It takes neither the
    write token nor this process's write lock, so it never waits for a writer.

    Raises:
        DatabaseError: A transaction could not be started on this cursor.
    """
    _begin(cur)
    try:
        yield cur
    finally:
        _rollback(cur)


T = TypeVar("T")


def write(
    cur: Cursor,
    work: Callable[[Cursor], T],
    *,
    attempts: int = WRITE_ATTEMPTS,
    take_token: bool = True,
) -> T:
    """Run ``work(cur)`` in one write transaction, trying it again whole on a conflict.

    ``work`` must read what it depends on inside the transaction (ids, existing rows), so a
    retry sees what the other process committed: nothing is lost or written twice.

    Args:
        cur: Cursor to write with.
        work: The transaction's body; its return value is returned.
        attempts: Tries before giving up.
        take_token: Take the write token (the schema bootstrap alone does not).

    Raises:
        WriteConflictError: Other processes committed first every time; nothing was saved.
        DatabaseError: The database refused the change.
    """
    for attempt in range(1, attempts + 1):
        try:
            with transaction(cur, take_token=take_token):
                return work(cur)
        except WriteConflictError as e:
            if attempt == attempts:
                raise WriteConflictError(
                    f"other processes kept writing first: tried {attempts} times and gave "
                    f"up; nothing was saved ({e.__cause__})"
                ) from e.__cause__
            log.info("write conflict (attempt %d of %d); trying again", attempt, attempts)
            # Back off with jitter so two writers do not collide again in step.
            time.sleep(min(2.0, 0.05 * 2**attempt) * random.uniform(0.5, 1.5))
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


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
    frame = read_frame(cur, sql, params)
    return frame.row(0, named=True) if frame.height else None


def read_frame(cur: Cursor, sql: str, params: object = None) -> pl.DataFrame:
    """Run the query ``sql`` and return its rows as a polars frame.

    What the sync reads goes this way rather than through ``.pl()``: the rows come over
    DuckDB's Arrow C stream, which needs no pyarrow, and the ``sync`` command runs without
    pyarrow (``cli``: its import costs a third of a second and 90 MB). Same columns, same
    types as ``.pl()``.
    """
    return pl.DataFrame(cur.sql(sql, params=params))


@contextmanager
def staged(cur: Cursor, name: str, frame: pl.DataFrame) -> Iterator[None]:
    """Make ``frame`` readable as the table ``name`` on this cursor for the block.

    Rows travel as Arrow (never row by row), over the Arrow C stream interface: DuckDB
    scans polars' own buffers, with no copy and no pyarrow. Statements read it as
    ``temp.<name>`` or by its bare name, as often as they like.
    """
    cur.register(name, _ArrowStream(frame))
    try:
        yield
    finally:
        cur.unregister(name)


class _ArrowStream:
    """A frame offered to DuckDB only as an Arrow C stream (``__arrow_c_stream__``).

    Registered as it is, a polars frame is converted with ``to_arrow``, which needs pyarrow;
    through this wrapper DuckDB takes the stream polars exports, anew for each scan.
    """

    def __init__(self, frame: pl.DataFrame) -> None:
        self.frame = frame

    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object:
        return self.frame.__arrow_c_stream__(requested_schema)


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
