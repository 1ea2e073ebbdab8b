"""The ``canvas-tracker`` command: sync, status, demo.

Errors are printed to stderr as one readable line and the command exits non-zero; the token
comes only from the environment (``CANVAS_TOKEN``) and is never printed.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from typing import TextIO

from tracker_db.canvas.client import ProgressCallback
from tracker_db.db import Database, set_default_database
from tracker_db.errors import TrackerError
from tracker_db.migrate import open_database
from tracker_db.read_models.sync_status import get_recent_runs
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
    # --db and -v work before or after the command (canvas-tracker sync --db x.duckdb).
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db", default=argparse.SUPPRESS,
        help="database file (default: $TRACKER_DB_PATH or ./canvas_tracker.duckdb)",
    )
    common.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                        help="log retries and steps")
    parser = argparse.ArgumentParser(
        prog="canvas-tracker", description="Sync Canvas LMS data into a local DuckDB file.",
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

    status = commands.add_parser("status", help="show the latest sync runs", parents=[common])
    status.add_argument("--limit", type=int, default=10)

    demo = commands.add_parser(
        "demo", help="fill the database from the built-in fake Canvas", parents=[common]
    )
    demo.add_argument("--syncs", type=int, default=4, help="syncs to run while the data moves")
    return parser


def _print_runs(database: Database, limit: int, out: TextIO) -> None:
    with database.session() as cur:
        runs = get_recent_runs(limit, cur=cur)
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


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    db_path = getattr(args, "db", None)
    logging.basicConfig(
        level=logging.INFO if getattr(args, "verbose", False) else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    progress: ProgressCallback = TerminalProgress(sys.stderr)
    database: Database | None = None
    try:
        database = open_database(db_path)
        set_default_database(database)
        if args.command == "sync":
            result = sync_from_canvas(
                args.base_url or "", os.environ.get("CANVAS_TOKEN", ""),
                max_in_flight=args.max_in_flight, progress=progress,
            )
            print(result.summary())
        elif args.command == "status":
            _print_runs(database, args.limit, sys.stdout)
        elif args.command == "demo":
            # Only the demo needs the built-in fake Canvas.
            from tracker_db.sync.demo import load_demo_data

            results = load_demo_data(syncs=args.syncs, progress=progress)
            print(f"demo data loaded into {database.db_path}:")
            for result in results:
                print(f"  {result.summary()}")
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
