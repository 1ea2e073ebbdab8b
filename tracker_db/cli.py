"""The ``canvas-tracker`` command: sync, status, demo, maintain.

Errors are printed to stderr as one readable line and the command exits non-zero; the token
comes only from the environment (``CANVAS_TOKEN``) and is never printed.

``sync`` holds the database only for its short steps, never for the fetch. Against a DuckDB
file the dashboard holds, it asks the dashboard to run the sync (``sync.control``), or, when
nothing takes the request, fails at once saying what to do. ``status`` opens the database
read-only: it never creates a file or migrates one.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from typing import TextIO

import polars as pl

from tracker_db.canvas.client import ProgressCallback
from tracker_db.config import Settings, load_settings
from tracker_db.db import Database, set_default_database
from tracker_db.errors import DatabaseBusyError, SyncError, TrackerError
from tracker_db.maintenance import maintain
from tracker_db.migrate import OpenPerUse, open_database
from tracker_db.read_models.sync_status import get_recent_runs
from tracker_db.sync import control
from tracker_db.sync.from_canvas import sync_from_canvas


class TerminalProgress:
    """A one-line progress bar on a terminal; plain lines otherwise (logs, CI)."""

    WIDTH = 28

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.is_tty = stream.isatty()
        self._last_step = ""

    def __call__(self, step: str, done: int, total: int, message: str) -> None:
        if self.is_tty:
            filled = int(self.WIDTH * done / total) if total else 0
            bar = "#" * filled + "-" * (self.WIDTH - filled)
            line = f"\r[{bar}] {done}/{total} {step}: {message}"[:120]
            self.stream.write(line.ljust(120))
            if done == total:
                self.stream.write("\n")
        elif step != self._last_step or done == total:
            self.stream.write(f"{step}: {done}/{total} {message}\n")
        self._last_step = step
        self.stream.flush()


def _parser() -> argparse.ArgumentParser:
    # The storage options and -v work before or after the command (sync --db x.duckdb).
    common = argparse.ArgumentParser(add_help=False)
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
    parser = argparse.ArgumentParser(
        prog="canvas-tracker",
        description="Sync Canvas LMS data into a DuckDB file or a shared DuckLake.",
        parents=[common],
    )
    commands = parser.add_subparsers(dest="command", required=True)

    sync = commands.add_parser(
        "sync", help="run a full sync from Canvas (token from $CANVAS_TOKEN)", parents=[common]
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
    status.add_argument("--limit", type=int, default=10)

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


def _sync(settings: Settings, args: argparse.Namespace, progress: ProgressCallback) -> str:
    sessions = OpenPerUse(settings)
    try:
        with sessions.session():
            pass  # can this process open the database at all?
    except DatabaseBusyError as busy:
        if settings.backend != "file":
            raise
        # The dashboard holds the file: ask it to run the sync (with its own settings).
        try:
            summary = control.request_sync(settings.db_path, progress)
        except control.NoDashboard:
            raise _held(busy) from busy
        return f"the dashboard ran the sync: {summary}"
    result = sync_from_canvas(
        args.base_url or "", os.environ.get("CANVAS_TOKEN", ""),
        max_in_flight=args.max_in_flight, progress=progress, sessions=sessions,
    )
    return result.summary()


def _runs_from_dashboard(settings: Settings, limit: int) -> pl.DataFrame | None:
    try:
        rows = control.request_status(settings.db_path, limit)
    except (control.NoDashboard, SyncError):
        return None
    frame = pl.DataFrame(rows, infer_schema_length=None)
    if frame.height:
        frame = frame.with_columns(pl.col("started_at").str.to_datetime(time_zone="UTC"))
    return frame


def _status(settings: Settings, limit: int, out: TextIO) -> None:
    try:
        database = Database(settings, read_only=True)  # no file is made, nothing migrated
    except DatabaseBusyError as busy:
        runs = _runs_from_dashboard(settings, limit) if settings.backend == "file" else None
        if runs is None:
            raise DatabaseBusyError(
                f"{busy}. Status cannot read a DuckDB file while another process writes it "
                "(the shared backend allows it); the dashboard's Sync page lists the runs"
            ) from busy
    else:
        try:
            with database.session() as cur:
                runs = get_recent_runs(limit, cur=cur)
        finally:
            database.close()
    out.write(f"{settings.description}: {settings.location}\n")
    _print_runs(runs, out)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if getattr(args, "verbose", False) else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    progress: ProgressCallback = TerminalProgress(sys.stderr)
    database: Database | None = None
    try:
        settings = load_settings(db_path=getattr(args, "db", None),
                                 lake=getattr(args, "lake", None),
                                 lake_data=getattr(args, "lake_data", None))
        if args.command == "sync":
            print(_sync(settings, args, progress))
        elif args.command == "status":
            _status(settings, args.limit, sys.stdout)
        else:
            database = open_database(settings)
            set_default_database(database)
            if args.command == "demo":
                # Only the demo needs the built-in fake Canvas.
                from tracker_db.sync.demo import load_demo_data

                results = load_demo_data(syncs=args.syncs, progress=progress)
                print(f"demo data loaded into {database.location}:")
                for result in results:
                    print(f"  {result.summary()}")
            else:
                print(maintain(database).summary())
    except TrackerError as e:
        print(f"canvas-tracker: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("canvas-tracker: interrupted; nothing was written", file=sys.stderr)
        return 130
    finally:
        if database is not None:
            set_default_database(None)
            database.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
