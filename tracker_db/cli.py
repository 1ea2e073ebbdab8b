"""The ``canvas-tracker`` command: sync, status, changes, export, backup, restore, demo,
maintain.

Errors are printed to stderr as one readable line and the command exits non-zero; the token
comes only from the environment (``CANVAS_TOKEN``) and is never printed.

``sync`` holds the database only for its short steps, never for the fetch. Against a DuckDB
file the dashboard holds, it asks the dashboard to run the sync (``sync.control``), or, when
nothing takes the request, fails at once saying what to do. ``status``, ``changes``,
``export`` and ``backup`` open the database read-only: they never create a file or migrate
one; ``restore`` only ever makes a new file.

An interrupt (Ctrl-C, or SIGTERM, which ``sync`` and ``demo`` treat the same) is reported as
what the database says happened: the command asks whether the attempts it started recorded
a run. "the sync was saved" (exit 0) when its write committed, "nothing was written" (exit
130) when not. A failed attempt takes a run number (the Sync page lists it), so the failure
message names that number: the next successful sync takes the one after it.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.abc
import importlib.machinery
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType, ModuleType
from typing import NoReturn, TextIO

import duckdb
import polars as pl

from tracker_db.archive import EXPORT_FORMATS, backup_database, export_state, restore_database
from tracker_db.canvas.client import (
    CanvasClient,
    ProgressCallback,
    check_token,
    normalize_base_url,
)
from tracker_db.config import Settings, load_settings
from tracker_db.db import Cursor, Database, set_default_database
from tracker_db.errors import (
    ConfigError,
    DatabaseBusyError,
    DatabaseError,
    SyncError,
    TrackerError,
)
from tracker_db.maintenance import maintain
from tracker_db.migrate import OpenPerUse, discover_migrations, open_database, schema_version
from tracker_db.read_models.changes import (
    CHANGE_KINDS,
    DETAIL_LIMIT,
    KIND_COUNT_COLUMNS,
    KIND_PLURALS,
    count_totals,
    get_change_counts,
    get_change_details,
    resolve_range,
)
from tracker_db.read_models.preferences import TimeZoneChoice, get_time_zone
from tracker_db.read_models.sync_status import (
    get_attempt_runs,
    get_recent_runs,
    get_unfinished_attempts,
)
from tracker_db.sync import control
from tracker_db.sync.from_canvas import make_client, sync_from_canvas
from tracker_db.sync.write import was_interrupted

log = logging.getLogger(__name__)
TRIGGER = "command line"


class TerminalProgress:
    """A one-line progress bar on a terminal; plain lines otherwise (logs, CI)."""

    WIDTH = 28

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.is_tty = stream.isatty()
        self._last_step = ""
        self._mid_line = False

    def end_line(self) -> None:
        """End a half-drawn bar, so a message after it starts on a line of its own."""
        if self._mid_line:
            self.stream.write("\n")
            self.stream.flush()
            self._mid_line = False

    def __call__(self, step: str, done: int, total: int, message: str) -> None:
        if self.is_tty:
            filled = int(self.WIDTH * done / total) if total else 0
            bar = "#" * filled + "-" * (self.WIDTH - filled)
            line = f"\r[{bar}] {done}/{total} {step}: {message}"[:120]
            self.stream.write(line.ljust(120))
            self._mid_line = done != total
            if done == total:
                self.stream.write("\n")
        elif step != self._last_step or done == total:
            self.stream.write(f"{step}: {done}/{total} {message}\n")
        self._last_step = step
        self.stream.flush()


class _Parser(argparse.ArgumentParser):
    """argparse, with its complaint on one line (no usage block)."""

    def error(self, message: str) -> NoReturn:
        """Print one line naming the bad argument and exit with status 2."""
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _at_least_one(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value}")
    return value


def _kind(text: str) -> str:
    # "new-grade" and "new_grade" spare the quotes "new grade" needs in a shell.
    kind = " ".join(text.replace("-", " ").replace("_", " ").split()).lower()
    if kind not in CHANGE_KINDS:
        raise argparse.ArgumentTypeError(
            f"unknown kind {text!r}: choose from {', '.join(CHANGE_KINDS)}"
        )
    return kind


def _parser() -> argparse.ArgumentParser:
    # The storage options and -v work before or after the command (sync --db x.duckdb).
    common = _Parser(add_help=False)
    common.add_argument(
        "--db", default=argparse.SUPPRESS,
        help="database file (default: $TRACKER_DB_PATH or ./canvas_tracker.duckdb)",
    )
    common.add_argument(
        "--lake", default=argparse.SUPPRESS,
        help="the shared backend: a DuckLake attach string, e.g. 'ducklake:postgres:dbname="
             "tracker host=127.0.0.1 user=tracker' ($TRACKER_LAKE; wins over --db)",
    )
    common.add_argument(
        "--lake-data", default=argparse.SUPPRESS,
        help="the lake's data path, a folder or s3:// prefix ($TRACKER_LAKE_DATA)",
    )
    common.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                        help="log retries and steps")
    parser = _Parser(
        prog="canvas-tracker",
        description="Sync Canvas LMS data into a DuckDB file or a shared DuckLake.",
        parents=[common],
    )
    commands = parser.add_subparsers(dest="command", required=True)

    sync = commands.add_parser(
        "sync", help="sync from Canvas (token from $CANVAS_TOKEN)", parents=[common]
    )
    sync.add_argument(
        "--incremental", action="store_true",
        help="fetch only the submissions graded or submitted since the last successful sync "
             "(a full sync when there is none; full syncs are what see deletions)",
    )
    sync.add_argument(
        "--base-url", default=os.environ.get("CANVAS_BASE_URL"),
        help="your Canvas address, e.g. https://school.instructure.com ($CANVAS_BASE_URL)",
    )
    sync.add_argument("--max-in-flight", type=int, default=None,
                      help="requests in flight at once (default 4)")

    status = commands.add_parser(
        "status", help="show the latest sync runs (read-only: never creates or migrates)",
        parents=[common],
    )
    status.add_argument("--limit", type=_at_least_one, default=10,
                        help="how many runs to list (default 10)")

    changes = commands.add_parser(
        "changes", parents=[common],
        help="what changed between two syncs: new grades, regrades, newly missing or submitted "
             "work, students added or gone (read-only)",
    )
    changes.add_argument(
        "--since", default=None, metavar="SYNC|DATE",
        help="the earlier state: a sync number, or a date or time (YYYY-MM-DD [HH:MM], in the "
             "time zone the dashboard shows; the latest sync by then). Default: the sync "
             "before --until",
    )
    changes.add_argument("--until", default=None, metavar="SYNC",
                         help="the later sync (default: the latest)")
    changes.add_argument("--course", type=int, action="append", default=[], metavar="ID",
                         help="only this course (repeat for more)")
    changes.add_argument(
        "--kind", action="append", default=[], type=_kind, metavar="KIND",
        help=f"only this kind of change (repeat for more): {', '.join(CHANGE_KINDS)}",
    )
    changes.add_argument("--limit", type=_at_least_one, default=DETAIL_LIMIT,
                         help=f"list at most this many changes (default {DETAIL_LIMIT}; the "
                              "counts always cover all)")
    changes.add_argument("--counts", action="store_true",
                         help="only the counts per course, no list")

    export = commands.add_parser(
        "export", parents=[common],
        help="write every layer's tables, now or as of a past sync, as Parquet or CSV files "
             "(read-only)",
    )
    export.add_argument("directory", metavar="DIR",
                        help="folder to write into (made if missing; never overwritten)")
    export.add_argument(
        "--as-of", default=None, metavar="SYNC|DATE",
        help="the state right after this sync, or the latest sync by this date or time "
             "(YYYY-MM-DD [HH:MM], in the dashboard's time zone); default: now",
    )
    export.add_argument("--format", choices=EXPORT_FORMATS, default="parquet",
                        help="file format (default parquet; CSV is safe to open in a "
                             "spreadsheet)")

    backup = commands.add_parser(
        "backup", parents=[common],
        help="back up the whole database into a new folder (Parquet; read-only)",
    )
    backup.add_argument("directory", metavar="DIR", help="a new or empty folder")

    restore = commands.add_parser(
        "restore", help="make a new database file from a backup", parents=[common],
    )
    restore.add_argument("directory", metavar="DIR", help="the backup's folder")
    restore.add_argument("target", metavar="NEW_FILE",
                         help="the database file to make (must not exist)")

    demo = commands.add_parser(
        "demo", help="fill the database from the built-in fake Canvas", parents=[common]
    )
    demo.add_argument("--syncs", type=int, default=4, help="syncs to run while the data moves")

    commands.add_parser(
        "maintain", parents=[common],
        help="reclaim space: expire old lake snapshots and delete unreferenced files",
    )
    return parser


def _print_runs(runs: pl.DataFrame, out: TextIO) -> None:
    if runs.is_empty():
        out.write("no syncs yet: run `canvas-tracker sync` or `canvas-tracker demo`\n")
        return
    for run in runs.iter_rows(named=True):
        started = run["started_at"].strftime("%Y-%m-%d %H:%M:%S UTC")
        duration = f"{run['duration_seconds']:.1f} s" if run["duration_seconds"] else "-"
        if run["status"] == "succeeded":
            detail = (
                f"{'incremental: ' if run.get('mode') == 'incremental' else ''}"
                f"{run['courses']} courses, {run['students']} students, "
                f"{run['submissions']} submissions, +{run['history_rows']} history rows"
            )
        else:
            detail = run["error"] or ""
        out.write(f"#{run['sync_id']:<4} {started}  {run['status']:<9} {duration:>8}  {detail}\n")


def _held(busy: DatabaseBusyError) -> DatabaseBusyError:
    return DatabaseBusyError(
        f"{busy}. That process takes no sync requests. If it is the dashboard, let it sync "
        "by itself: Sync page, 'Sync every N hours'. To sync from cron while dashboards run, "
        "use the shared backend (TRACKER_LAKE, see the README). Otherwise stop that process "
        "and run this again."
    )


@dataclass
class _Started:
    """What this command set going, so an interrupt or a failure is reported as it ended."""

    attempt_ids: list[str] = field(default_factory=list)  # the sync attempts it recorded
    delegated: bool = False  # the dashboard runs the sync


def _sync(
    settings: Settings, args: argparse.Namespace, progress: ProgressCallback, started: _Started
) -> str:
    # A bad address or a missing token is refused before the database is opened (which
    # would create and migrate a new file). A dashboard holding an existing file syncs with
    # its own settings, so there only an address given here is checked first.
    could_delegate = settings.backend == "file" and Path(settings.db_path).exists()
    if args.base_url or not could_delegate:
        normalize_base_url(args.base_url)
    if not could_delegate:
        check_token(os.environ.get("CANVAS_TOKEN"))
    client = _signing_in(args, progress)
    sessions = OpenPerUse(settings)
    try:
        sessions.open_now()  # can this process open the database at all? (kept for step 1)
    except BaseException as failed:
        if client is not None:
            client.close()  # (stops its requests: this process will not sync)
        if not isinstance(failed, DatabaseBusyError) or settings.backend != "file":
            raise
        busy = failed
        # The dashboard holds the file: ask it to run the sync (with its own settings).
        started.delegated = True
        try:
            summary = control.request_sync(settings.db_path, progress,
                                           incremental=args.incremental)
        except control.NoDashboard:
            raise _held(busy) from busy
        return f"the dashboard ran the sync: {summary}"
    try:
        result = sync_from_canvas(
            args.base_url or "", os.environ.get("CANVAS_TOKEN", ""),
            max_in_flight=args.max_in_flight, progress=progress, sessions=sessions,
            trigger=TRIGGER, attempt_ids=started.attempt_ids, incremental=args.incremental,
            client=client,
        )
    finally:
        sessions.close()  # (when the sync failed before its first step)
    return result.summary()


def _signing_in(args: argparse.Namespace, progress: ProgressCallback) -> CanvasClient | None:
    """A client already asking Canvas for the token's user and the course list, so those
    round trips overlap opening the database; None when the address or the token is not
    usable (the sync then refuses them itself, or the dashboard holding the file syncs
    with its own).

    Should the dashboard run the sync instead, these two requests were made for nothing.
    """
    try:
        client = make_client(args.base_url or "", os.environ.get("CANVAS_TOKEN", ""),
                             max_in_flight=args.max_in_flight, progress=progress)
    except ConfigError:
        return None
    client.sign_in_soon()
    return client


def _runs_from_dashboard(
    settings: Settings, limit: int
) -> tuple[pl.DataFrame, list[str]] | None:
    try:
        rows, attempts = control.request_status(settings.db_path, limit)
    except (control.NoDashboard, SyncError):
        return None
    frame = pl.DataFrame(rows, infer_schema_length=None)
    if frame.height:
        frame = frame.with_columns(pl.col("started_at").str.to_datetime(time_zone="UTC"))
    return frame, attempts


def _status(settings: Settings, limit: int, out: TextIO) -> None:
    try:
        database = Database(settings, read_only=True)  # no file is made, nothing migrated
    except DatabaseBusyError as busy:
        answer = _runs_from_dashboard(settings, limit) if settings.backend == "file" else None
        if answer is None:
            raise DatabaseBusyError(
                f"{busy}. Status cannot read a DuckDB file while another process writes it "
                "(the shared backend allows it); the dashboard's Sync page lists the runs"
            ) from busy
        runs, messages = answer
    else:
        try:
            with database.session() as cur:
                if schema_version(cur) == 0:
                    # (an empty DuckDB file, say: opening it for a sync would make one)
                    raise ConfigError(
                        f"{settings.location} holds no Canvas Tracker database yet (no "
                        "migration ledger): nothing has been synced there (run "
                        "`canvas-tracker sync` or `canvas-tracker demo` first)"
                    )
                runs = get_recent_runs(limit, cur=cur)
                messages = get_unfinished_attempts(cur=cur)["message"].to_list()
        except duckdb.Error as e:
            raise DatabaseError(f"cannot read the sync runs of {settings.location}: {e}") from e
        finally:
            database.close()
    out.write(f"{settings.description}: {settings.location}\n")
    for message in messages:
        out.write(f"{message}\n")
    _print_runs(runs, out)


def _read_only(settings: Settings, what: str) -> Database:
    """The database opened read-only, refused with a reason if it is busy or empty."""
    try:
        return Database(settings, read_only=True)  # no file is made, nothing migrated
    except DatabaseBusyError as busy:
        raise DatabaseBusyError(
            f"{busy}. {what} cannot read a DuckDB file while another process writes it "
            "(the shared backend allows it); the dashboard shows the same"
        ) from busy


#: The change logs came with this migration; an older database has nothing to read yet.
_CHANGE_LOG_VERSION = 11


def _plain(text: object) -> str:
    # Canvas text is untrusted: no terminal escape or other control character gets out.
    return "".join(ch if ch.isprintable() else "?" for ch in str(text))


def _points(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def _change_line(row: dict[str, object]) -> str:
    who = f"{_plain(row['student_name'])} [{row['student_id']}]"
    line = f"    {row['kind']:<16} {who}"
    if row["assignment_id"] is not None:
        line += f"  {_plain(row['assignment_name'])}"
        old, new = row["old_score"], row["new_score"]
        if row["kind"] in ("regrade", "new grade"):
            line += f": {_points(old)} -> {_points(new)}"  # type: ignore[arg-type]
    elif row["reason"]:
        line += f" ({_plain(row['reason'])})"
    return line


def _check_version(settings: Settings, cur: Cursor, needed: int, what: str) -> None:
    """Refuse a database with no tracker schema, or one older than ``needed`` (untouched)."""
    version = schema_version(cur)
    if version == 0:
        raise ConfigError(
            f"{settings.location} holds no Canvas Tracker database yet: nothing has been "
            "synced there (run `canvas-tracker sync` or `canvas-tracker demo` first)"
        )
    if version < needed:
        newest = discover_migrations()[-1].version
        raise ConfigError(
            f"{settings.location} is at schema version {version} of {newest}, {what}: the "
            "next `canvas-tracker sync` (or the dashboard) brings it up to date"
        )


def _changes(settings: Settings, args: argparse.Namespace, out: TextIO) -> None:
    database = _read_only(settings, "changes")
    try:
        with database.session() as cur:
            _check_version(settings, cur, _CHANGE_LOG_VERSION,
                           "before changes were logged (they are logged from then on)")
            zone: TimeZoneChoice = get_time_zone(cur=cur)
            span = resolve_range(args.since, args.until, time_zone=zone.name, cur=cur)
            if span is None:
                out.write("fewer than two successful syncs: nothing to compare yet\n")
                return
            counts = get_change_counts(span, args.course, cur=cur)
            details = (None if args.counts else get_change_details(
                span, args.course, args.kind, limit=args.limit, cur=cur))
    except duckdb.Error as e:
        raise DatabaseError(f"cannot read the changes in {settings.location}: {e}") from e
    finally:
        database.close()
    out.write(f"changes after sync #{span.after_sync} ({zone.format(span.after_dated_at)}) up "
              f"to sync #{span.until_sync} ({zone.format(span.until_dated_at)})\n")
    if counts.is_empty():
        out.write("no changes\n")
        return
    by_course: dict[int, list[dict[str, object]]] = {}
    for row in (details.iter_rows(named=True) if details is not None else ()):
        by_course.setdefault(int(row["course_id"]), []).append(row)
    shown = [kind for kind in CHANGE_KINDS if not args.kind or kind in args.kind]
    listed = 0
    for course in counts.iter_rows(named=True):
        words = [f"{n} {kind if n == 1 else KIND_PLURALS[kind]}"
                 for kind in shown if (n := course[KIND_COUNT_COLUMNS[kind]])]
        if not words:
            continue
        listed += 1
        out.write(f"\n{_plain(course['course_name'])} [course {course['course_id']}]: "
                  f"{', '.join(words)}\n")
        for row in by_course.get(int(course["course_id"]), []):
            out.write(_change_line(row) + "\n")
    if not listed:
        out.write(f"no changes of the kinds asked for ({', '.join(args.kind)})\n")
    if details is not None:
        wanted = sum(count_totals(counts, kinds=shown).values())
        if details.height < wanted:
            out.write(f"\n... {details.height} of {wanted} changes listed (--limit lists more; "
                      "--course and --kind narrow the list)\n")


def _export(settings: Settings, args: argparse.Namespace) -> str:
    database = _read_only(settings, "export")
    try:
        with database.session() as cur:
            _check_version(settings, cur, discover_migrations()[-1].version,
                           "older than this Canvas Tracker exports")
            zone = get_time_zone(cur=cur).name
            return export_state(args.directory, fmt=args.format, as_of=args.as_of,
                                time_zone=zone, cur=cur).summary()
    except duckdb.Error as e:
        raise DatabaseError(f"cannot export {settings.location}: {e}") from e
    finally:
        database.close()


def _backup(settings: Settings, args: argparse.Namespace) -> str:
    database = _read_only(settings, "backup")
    try:
        with database.session() as cur:
            _check_version(settings, cur, 1, "")
            where = backup_database(args.directory, cur=cur)
    finally:
        database.close()
    return (f"backed up {settings.location} into {where} (restore with `canvas-tracker "
            f"restore {where} NEW_FILE`)")


def _attempt_runs(
    settings: Settings, database: Database | None, attempt_ids: list[str]
) -> pl.DataFrame:
    """The runs this command's attempts recorded, read without changing anything."""
    if database is not None:
        with database.session() as cur:
            return get_attempt_runs(attempt_ids, cur=cur)
    reader = Database(settings, read_only=True)
    try:
        with reader.session() as cur:
            return get_attempt_runs(attempt_ids, cur=cur)
    finally:
        reader.close()


def _numbers(ids: Sequence[int]) -> str:
    return ", ".join(str(n) for n in ids)


def _syncs(ids: Sequence[int]) -> str:
    return f"sync{'s' if len(ids) > 1 else ''} {_numbers(ids)}"


def _interrupted(
    args: argparse.Namespace, settings: Settings | None, database: Database | None,
    started: _Started,
) -> int:
    """Say what an interrupt left behind, as the database tells it; return the exit status."""
    if started.delegated:
        print("canvas-tracker: interrupted; the dashboard goes on with the sync it runs: its "
              "Sync page (or `canvas-tracker status`, once it has finished) shows the outcome",
              file=sys.stderr)
        return 130
    if settings is None or not started.attempt_ids:
        print("Interrupted: nothing was written.", file=sys.stderr)
        return 130
    try:
        runs = _attempt_runs(settings, database, started.attempt_ids)
    except (KeyboardInterrupt, TrackerError, RuntimeError, duckdb.Error):
        print("Interrupted: whether the sync was saved could not be checked; "
              "`canvas-tracker status` shows it.", file=sys.stderr)
        return 130
    saved = [int(n) for n in runs.filter(pl.col("status") == "succeeded")["sync_id"]]
    failed = [int(n) for n in runs.filter(pl.col("status") != "succeeded")["sync_id"]]
    wanted = args.syncs if args.command == "demo" else 1
    if saved and len(saved) >= wanted:
        what = "the sync was saved" if args.command == "sync" else "the demo was loaded"
        print(f"Interrupted, but {what} ({_syncs(saved)}).", file=sys.stderr)
        return 0
    if saved:
        print(f"Interrupted: demo {_syncs(saved)} saved, the other {wanted - len(saved)} "
              "not.", file=sys.stderr)
    elif failed:
        print(f"Interrupted: nothing of the sync was saved; its attempt is recorded as run "
              f"{_numbers(failed)} (failed).", file=sys.stderr)
    else:
        print("Interrupted: nothing was written.", file=sys.stderr)
    return 130


def _failure_note(settings: Settings | None, database: Database | None, started: _Started) -> str:
    """Which run number a failed attempt took, so the next sync's number is no surprise."""
    if settings is None or not started.attempt_ids:
        return ""
    try:
        runs = _attempt_runs(settings, database, started.attempt_ids)
    except (TrackerError, RuntimeError, duckdb.Error):
        return ""
    failed = [int(n) for n in runs.filter(pl.col("status") == "failed")["sync_id"]]
    if not failed:
        return ""
    return (f" (the attempt is recorded as run {_numbers(failed)}, failed; the next sync "
            "takes the next number)")


def _interrupt_on_sigterm() -> Callable[[], None]:
    """Make SIGTERM interrupt like Ctrl-C (so it is reported the same); returns the undo."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None  # signal handlers can be set from the main thread only
    previous = signal.getsignal(signal.SIGTERM)

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    def restore() -> None:
        signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)

    signal.signal(signal.SIGTERM, interrupt)
    return restore


def _scrub(text: str) -> str:
    token = os.environ.get("CANVAS_TOKEN", "")
    return text.replace(token, "[token]") if token.strip() else text


def main(argv: Sequence[str] | None = None, *, own_process: bool = False) -> int:
    """Run the command line; returns the exit status.

    Args:
        argv: The arguments (default ``sys.argv[1:]``).
        own_process: Whether the process is the command's own (the console script), so
            libraries the command does without can be kept out of it (``_keep_out``).
    """
    args = _parser().parse_args(argv)
    if own_process:
        _keep_out(args.command)
    logging.basicConfig(
        level=logging.INFO if getattr(args, "verbose", False) else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    progress = TerminalProgress(sys.stderr)
    database: Database | None = None
    settings: Settings | None = None
    started = _Started()
    restore = _interrupt_on_sigterm() if args.command in ("sync", "demo") else (lambda: None)
    try:
        settings = load_settings(db_path=getattr(args, "db", None),
                                 lake=getattr(args, "lake", None),
                                 lake_data=getattr(args, "lake_data", None))
        if args.command == "sync":
            print(_sync(settings, args, progress, started))
        elif args.command == "status":
            _status(settings, args.limit, sys.stdout)
        elif args.command == "changes":
            _changes(settings, args, sys.stdout)
        elif args.command == "export":
            print(_export(settings, args))
        elif args.command == "backup":
            print(_backup(settings, args))
        elif args.command == "restore":
            made = restore_database(args.directory, args.target)
            print(f"restored {args.directory} into the new file {made}")
        else:
            database = open_database(settings)
            set_default_database(database)
            if args.command == "demo":
                # Only the demo needs the built-in fake Canvas.
                from tracker_db.sync.demo import load_demo_data

                results = load_demo_data(syncs=args.syncs, progress=progress, trigger=TRIGGER,
                                         attempt_ids=started.attempt_ids)
                print(f"demo data loaded into {database.location}:")
                for result in results:
                    print(f"  {result.summary()}")
            else:
                print(maintain(database).summary())
    except BrokenPipeError:
        # The reader went away (`changes | head`): not an error; say nothing more to it.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        progress.end_line()
        return _interrupted(args, settings, database, started)
    except TrackerError as e:
        if was_interrupted(e):
            progress.end_line()
            return _interrupted(args, settings, database, started)
        note = _failure_note(settings, database, started)
        print(f"canvas-tracker: error: {_scrub(str(e))}{note}", file=sys.stderr)
        return 1
    except Exception as e:
        # DuckDB reports Ctrl-C mid-statement as an error of its own.
        if was_interrupted(e):
            progress.end_line()
            return _interrupted(args, settings, database, started)
        # Never a traceback for people; -v logs it for whoever debugs.
        log.info("unexpected error", exc_info=True)
        print(f"canvas-tracker: error: unexpected {type(e).__name__}: {_scrub(str(e))}",
              file=sys.stderr)
        return 1
    finally:
        restore()
        if database is not None:
            set_default_database(None)
            database.close()
    return 0


def run() -> NoReturn:
    """The ``canvas-tracker`` console script: ``main`` in a process of its own."""
    status = main(own_process=True)
    # What the command did is done: its database is closed, so every write is on disk. What
    # is left is to deliver its output and exit, without tearing the interpreter down, which
    # (freeing polars', DuckDB's and every module's objects one by one) would cost a sync
    # another twentieth of a second.
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(BrokenPipeError, ValueError):  # (reader gone, or closed)
            stream.flush()
    os._exit(status)


class _KeptOut(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """An import hook under which importing one of ``names`` fails as if it were not
    installed."""

    def __init__(self, names: frozenset[str]) -> None:
        self.names = names

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname.split(".")[0] not in self.names:
            return None
        return importlib.machinery.ModuleSpec(fullname, self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        raise ModuleNotFoundError(f"{spec.name} is kept out of the command", name=spec.name)

    def exec_module(self, module: ModuleType) -> None:  # never reached: create_module raises
        raise ModuleNotFoundError(f"{module.__name__} is kept out of the command",
                                  name=module.__name__)


def _keep_out(command: str) -> None:
    # DuckDB's Python client imports pandas (a quarter of a second, cold) the first time it
    # binds a parameter, and pyarrow (a third of a second and 90 MB) the first time it is
    # handed a Python object, only to check whether it is one of theirs. The command never
    # hands it pandas objects, and the sync hands it frames only as Arrow C streams and
    # reads only through ``db.read_frame``, so in its own process those imports fail at
    # once, as if the libraries were not installed, and every library takes its path
    # without them. pyarrow stays available to the other commands (an export as of a sync
    # reads through it). The dashboard, which needs both, and tests calling ``main`` in
    # their own process are not touched. An import hook rather than ``sys.modules[name] =
    # None``: Cython modules (pyarrow's) read that None as a module.
    wanted = {"pandas", "pyarrow"} if command == "sync" else {"pandas"}
    names = frozenset(wanted - sys.modules.keys())  # (one already loaded stays usable)
    if names:
        sys.meta_path.insert(0, _KeptOut(names))


if __name__ == "__main__":
    run()
