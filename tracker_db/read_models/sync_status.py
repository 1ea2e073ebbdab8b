"""Where the database stands with syncs: the state every page starts from, past runs, and
attempts that never finished."""

from __future__ import annotations

import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl

from tracker_db.db import Cursor, count, one_row, read_frame, sql_file, using
from tracker_db.exports import Column
from tracker_db.read_models.preferences import zone_info

_SQL = sql_file("read_models/sync_status")


@dataclass(frozen=True)
class SyncState:
    """Where the database stands with syncs.

    Attributes:
        last_sync_id: The latest successful sync, None before the first one.
        previous_sync_id: The successful sync before it (None if there is none).
        last_synced_at: When the latest successful sync finished (UTC).
        succeeded_runs: How many syncs succeeded.
        last_attempt_id: The latest attempt of any outcome.
        last_attempt_status: ``"succeeded"`` or ``"failed"``.
        last_attempt_at: When the latest attempt finished.
        last_attempt_error: Its error text if it failed.
    """

    last_sync_id: int | None = None
    previous_sync_id: int | None = None
    last_synced_at: datetime | None = None
    succeeded_runs: int = 0
    last_attempt_id: int | None = None
    last_attempt_status: str | None = None
    last_attempt_at: datetime | None = None
    last_attempt_error: str | None = None

    @property
    def has_data(self) -> bool:
        """Whether at least one sync succeeded (the pages have something to show)."""
        return self.succeeded_runs > 0

    @property
    def last_attempt_failed(self) -> bool:
        """Whether the most recent attempt failed (the data shown is from an earlier one)."""
        return self.last_attempt_status == "failed"


def get_sync_state(*, cur: Cursor | None = None) -> SyncState:
    """Return the latest successful sync, the one before it, and the latest attempt."""
    with using(cur) as c:
        row = one_row(c, _SQL["sync_state"]) or {}
    return SyncState(
        last_sync_id=row.get("last_sync_id"),
        previous_sync_id=row.get("previous_sync_id"),
        last_synced_at=row.get("last_synced_at"),
        succeeded_runs=int(row.get("succeeded_runs") or 0),
        last_attempt_id=row.get("last_attempt_id"),
        last_attempt_status=row.get("last_attempt_status"),
        last_attempt_at=row.get("last_attempt_at"),
        last_attempt_error=row.get("last_attempt_error"),
    )


#: The sync history as the Sync page shows it (and so its download).
RUN_COLUMNS: dict[str, Column] = {
    "sync_id": Column("Sync", width=55),
    "status": Column("Status", width=85),
    "dated_at": Column(
        "Date", width=175,
        help="The time the history and the charts give this sync: when it started (the "
             "demo's syncs are dated a week apart, as a term would be)."),
    "duration_seconds": Column("Seconds", decimals=1, width=70),
    "fetched": Column("Fetched", width=210),
    "history_rows": Column("History rows", width=95,
                           help="Rows this sync added to the history"),
    "source": Column("Source", width=65),
    "error": Column("Error", width=150),
}


def get_recent_runs(limit: int = 20, *, cur: Cursor | None = None) -> pl.DataFrame:
    """Return the latest sync attempts, newest first.

    Columns: sync_id, started_at, finished_at, dated_at (the time the history and the charts
    give a sync: its start, or the demo's backdated stamp), mode (``full`` or
    ``incremental``), fetched (the counts in words, for a successful sync, an incremental's
    marked so), status, source, courses, students, enrollments, assignments,
    submissions, grade_history_rows, assignment_score_rows, history_rows, duration_seconds,
    error.
    """
    with using(cur) as c:
        return read_frame(c, _SQL["recent_runs"], {"limit": max(1, int(limit))})


def format_age(moment: datetime | None, now: datetime | None = None) -> str:
    """Say how long ago ``moment`` was, in words ("just now", "3 hours ago", "never").

    Args:
        moment: A timezone-aware time, or None.
        now: The present (default: the clock), for tests.
    """
    if moment is None:
        return "never"
    now = now or datetime.now(UTC)
    seconds = (now - moment).total_seconds()
    if seconds < 0:
        return "in the future (check the clock)"
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'' if count == 1 else 's'} ago"
    return "just now"


#: An attempt whose process cannot be checked (another host) counts as stopped once it is
#: older than this many times the longest sync recorded...
STOPPED_AFTER_FACTOR = 3
#: ...and at least this old.
STOPPED_AFTER_MIN = timedelta(hours=1)

_ATTEMPT_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "attempt_id": pl.String, "started_at": pl.Datetime("us", "UTC"), "kind": pl.String,
    "trigger": pl.String, "pid": pl.Int32, "host": pl.String, "state": pl.String,
    "message": pl.String,
}


def _process_alive(pid: int | None) -> bool | None:
    """Whether process ``pid`` of this machine runs; None when it cannot be told."""
    if pid is None or pid <= 0 or os.name != "posix":
        return None  # (on Windows os.kill would stop the process instead of probing it)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it runs, as another user
    except OSError:
        return None
    try:
        # A killed process its parent has not reaped yet still answers, as a zombie.
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state not in ("Z", "X")


def _attempt_state(
    started_at: datetime, pid: int | None, host: str | None, now: datetime, limit: timedelta
) -> str:
    old = now - started_at > limit
    if host == socket.gethostname():
        alive = _process_alive(pid)
        if alive is False:
            return "stopped"
        # A live pid this old may be another process that got the number since.
        return "unknown" if old or alive is None else "running"
    return "stopped" if old else "unknown"


def _attempt_message(row: dict[str, object], state: str, time_zone: str) -> str:
    started = row["started_at"]
    when = (started.astimezone(zone_info(time_zone)).strftime(f"%Y-%m-%d %H:%M:%S {time_zone}")
            if isinstance(started, datetime) else "?")
    what = "A demo sync" if row["kind"] == "demo" else "A sync"
    who = f"pid {row['pid']} on {row['host']}"
    if state == "stopped":
        return (f"{what} started {when} ({who}) never finished: the process was stopped "
                "before it could record the outcome; nothing of it was saved.")
    if state == "running":
        return f"{what} started {when} ({who}) is still running."
    return (f"{what} started {when} ({who}) has not finished: it is still running, or its "
            "process was stopped (then nothing of it was saved).")


def get_unfinished_attempts(
    *, cur: Cursor | None = None, now: datetime | None = None, time_zone: str = "UTC"
) -> pl.DataFrame:
    """Return the sync attempts that started and recorded no outcome, newest first.

    An attempt records its start before it fetches and deletes that record in the same
    transaction as its outcome (or after an interrupt), so what is left either runs now or
    was stopped by force (SIGKILL, a power cut) and saved nothing. Which of the two is judged
    here: on this machine by its process; on another machine by its age (older than
    ``STOPPED_AFTER_FACTOR`` x the longest sync recorded, at least ``STOPPED_AFTER_MIN``).
    The next successful sync clears the stopped ones. A database at a schema older than
    migration 0009 has none.

    Args:
        cur: Cursor to use; default a session of the process-wide database.
        now: The present (default: the clock), for tests.
        time_zone: The zone the messages give the start time in (and name).

    Returns:
        Columns: attempt_id, started_at (UTC), kind (``canvas``/``demo``), trigger (what
        started it), pid and host (its process), state (``running``: its process runs on
        this machine; ``stopped``: it is gone, nothing was saved; ``unknown``: running
        elsewhere or stopped, cannot be told yet), message (one sentence for people).
    """
    with using(cur) as c:
        if not count(c, _SQL["has_attempts_table"]):
            return pl.DataFrame(schema=_ATTEMPT_SCHEMA)
        rows = read_frame(c, _SQL["unfinished_attempts"]).rows(named=True)
    now = now or datetime.now(UTC)
    out = []
    for row in rows:
        longest = timedelta(seconds=float(row.pop("longest_sync_seconds") or 0))
        limit = max(STOPPED_AFTER_MIN, longest * STOPPED_AFTER_FACTOR)
        state = _attempt_state(row["started_at"], row["pid"], row["host"], now, limit)
        out.append({**row, "state": state,
                    "message": _attempt_message(row, state, time_zone)})
    return pl.DataFrame(out, schema=_ATTEMPT_SCHEMA)


def get_attempt_runs(attempt_ids: Sequence[str], *, cur: Cursor | None = None) -> pl.DataFrame:
    """Return the runs the given attempts recorded (an attempt that recorded none is left
    out): what a caller that started them asks after an interrupt or a failure.

    Returns:
        Columns: attempt_id, sync_id, status (``succeeded`` or ``failed``), error.
    """
    with using(cur) as c:
        return read_frame(c, _SQL["attempt_runs"], {"attempt_ids": list(attempt_ids)})
