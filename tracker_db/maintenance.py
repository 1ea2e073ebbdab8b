"""Upkeep of a database: work no sync or teacher edit does on its own.

- ``maintain``: on DuckLake, expire old snapshots and delete the data files nothing
  references any more (old versions, and files a killed writer left behind); on a DuckDB
  file, a checkpoint. ``canvas-tracker maintain`` runs it, and the dashboard on a schedule.
- ``rebuild_summaries``: derive the summary schema again from layers 0-2, for a database
  filled without the sync (the program-scale benchmark builds one in SQL) or to repair one.

A file is deleted only when it is older than any write could still be running: a
transaction writes its files before its COMMIT makes the catalog point at them, so a young
unreferenced file may be one an open transaction is about to commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tracker_db.db import Cursor, Database, default_database, scalar, sql_file, using, write
from tracker_db.store import summaries

_SQL = sql_file("maintenance")

#: Snapshots younger than this stay (DuckLake can read the lake as it was then).
SNAPSHOT_RETENTION = timedelta(days=7)
#: Unreferenced files younger than this always stay, however fast the syncs have been.
MIN_FILE_AGE = timedelta(hours=1)
#: ...and younger than this many times the longest sync ever recorded.
SYNC_SAFETY_FACTOR = 3


@dataclass(frozen=True)
class UpkeepResult:
    """What ``maintain`` did.

    Attributes:
        backend: ``file`` or ``ducklake``.
        expired_snapshots: Snapshots forgotten.
        deleted_files: Files of expired snapshots deleted.
        orphaned_files: Unreferenced files deleted.
        file_age: Files younger than this were left alone.
    """

    backend: str
    expired_snapshots: int = 0
    deleted_files: int = 0
    orphaned_files: int = 0
    file_age: timedelta = MIN_FILE_AGE

    def summary(self) -> str:
        """One line for people."""
        if self.backend == "file":
            return "checkpointed the DuckDB file (a file keeps no old snapshots to clean)"
        hours = self.file_age.total_seconds() / 3600
        return (
            f"expired {self.expired_snapshots} old snapshot(s), deleted "
            f"{self.deleted_files} file(s) of them and {self.orphaned_files} unreferenced "
            f"file(s); files younger than {hours:.1f} h were left alone"
        )


def safe_file_age(cur: Cursor) -> timedelta:
    """How old an unreferenced file must be before it may go: longer than any write could
    still be running (``SYNC_SAFETY_FACTOR`` x the longest sync recorded, at least
    ``MIN_FILE_AGE``)."""
    longest = scalar(cur, _SQL["longest_sync_seconds"])
    return max(MIN_FILE_AGE, timedelta(seconds=float(longest or 0) * SYNC_SAFETY_FACTOR))


def maintain(
    database: Database | None = None,
    *,
    snapshot_retention: timedelta = SNAPSHOT_RETENTION,
    now: datetime | None = None,
) -> UpkeepResult:
    """Reclaim space: expire old snapshots, delete files nothing references any more.

    Args:
        database: The database (default: the process-wide one).
        snapshot_retention: Keep snapshots younger than this.
        now: The present (tests).

    Returns:
        What was done.
    """
    database = database or default_database()
    now = now or datetime.now(UTC)
    with database.session() as c:
        if database.backend == "file":
            c.execute(_SQL["checkpoint"])
            return UpkeepResult(backend="file")
        file_age = safe_file_age(c)
        expired = c.execute(_SQL["expire_snapshots"],
                            {"older_than": now - snapshot_retention}).fetchall()
        old = c.execute(_SQL["cleanup_old_files"], {"older_than": now - file_age}).fetchall()
        orphans = c.execute(_SQL["delete_orphaned_files"],
                            {"older_than": now - file_age}).fetchall()
    return UpkeepResult(
        backend="ducklake", expired_snapshots=len(expired), deleted_files=len(old),
        orphaned_files=len(orphans), file_age=file_age,
    )


def rebuild_summaries(*, cur: Cursor | None = None) -> None:
    """Recompute every summary table from layers 0, 1 and 2, in one transaction."""
    with using(cur) as c:
        write(c, summaries.derive_summaries)
