"""Where the database stands with syncs: the state every page starts from, and past runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import polars as pl

from tracker_db.db import Cursor, one_row, sql_file, using

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


def get_recent_runs(limit: int = 20, *, cur: Cursor | None = None) -> pl.DataFrame:
    """Return the latest sync attempts, newest first.

    Columns: sync_id, started_at, finished_at, status, source, courses, students, enrollments,
    assignments, submissions, grade_history_rows, assignment_score_rows, history_rows,
    duration_seconds, error.
    """
    with using(cur) as c:
        return c.execute(_SQL["recent_runs"], {"limit": max(1, int(limit))}).pl()


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
