"""The full sync's write: validate and shape, then write every layer in ONE transaction.

Shaping (polars) happens before the transaction opens, so invalid input never reaches the
database. The write asks each stored domain in turn (``tracker_db.store``: layer 1 replaced,
the layer-2 changes appended, layer 0 and the summaries rewritten, the run recorded); any
failure rolls all of it back and the failed attempt is recorded afterwards in its own
transaction, so a failed sync leaves every layer exactly as it was.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb

from tracker_db.canvas.shaping import ShapedSync, shape_canvas_data
from tracker_db.db import Cursor, using, write
from tracker_db.errors import DatabaseError, DataValidationError, SyncError
from tracker_db.store import history, lifecycle, snapshot, summaries, sync_runs

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SyncResult:
    """What a successful sync wrote.

    Attributes:
        sync_id: The run's id in ``ops.sync_runs`` (and on its history rows).
        started_at: When the sync started (UTC); by default also the `recorded_at` of its
            history rows.
        counts: Rows written to each layer-1 table.
        grade_history_rows: Rows appended to ``history.grade_history``.
        assignment_score_rows: Rows appended to ``history.assignment_scores``.
        duration_seconds: Wall time from the sync's start (its fetch included, when it
            fetched from Canvas) to its commit.
        shape_seconds: Time spent validating and shaping.
        write_seconds: Time spent in the write transaction.
        source: Where the data came from.
        removed_objects: Courses, students and assignments this sync found gone (layer 0).
        reactivated_objects: Those it found back again.
    """

    sync_id: int
    started_at: datetime
    counts: dict[str, int]
    grade_history_rows: int
    assignment_score_rows: int
    duration_seconds: float
    shape_seconds: float = 0.0
    write_seconds: float = 0.0
    source: str | None = field(default=None)
    removed_objects: int = 0
    reactivated_objects: int = 0

    @property
    def history_rows(self) -> int:
        """All layer-2 rows this sync appended."""
        return self.grade_history_rows + self.assignment_score_rows

    def __getattr__(self, name: str) -> int:
        # courses, students, enrollments, ... read straight from counts.
        counts: dict[str, int] = self.__dict__.get("counts", {})
        if name in counts:
            return counts[name]
        raise AttributeError(name)

    def summary(self) -> str:
        """One line for people: counts, history rows added, duration."""
        c = self.counts
        return (
            f"sync {self.sync_id}: {c['courses']} courses, {c['students']} students, "
            f"{c['enrollments']} enrollments, {c['assignments']} assignments, "
            f"{c['submissions']} submissions; {self.history_rows} history rows added"
            + (f", {self.removed_objects} removed" if self.removed_objects else "")
            + (f", {self.reactivated_objects} back" if self.reactivated_objects else "")
            + f" in {self.duration_seconds:.1f} s"
        )


def record_failed_run(
    cur: Cursor, started_at: datetime, source: str | None, error: str
) -> None:
    """Record a failed sync attempt in its own transaction (after the sync's rollback)."""
    def record(c: Cursor) -> None:
        sync_runs.record_run(c, {
            "sync_id": sync_runs.next_sync_id(c),
            "started_at": started_at,
            "finished_at": datetime.now(UTC),
            "status": "failed",
            "source": source,
            "duration_seconds": (datetime.now(UTC) - started_at).total_seconds(),
            "error": error,
        })

    try:
        write(cur, record)
    except (DatabaseError, duckdb.Error):
        # The database itself is failing; the caller still gets the original error.
        log.exception("could not record the failed sync run")


def write_sync(
    cur: Cursor,
    shaped: ShapedSync,
    *,
    started_at: datetime,
    recorded_at: datetime | None = None,
    source: str | None = None,
) -> dict[str, Any]:
    """Write a shaped sync in one transaction: layers 1, 2 and 0, page summaries, run record.

    The transaction is tried again whole when another process commits first (its sync id
    and every comparison are read again inside it).

    Returns:
        ``SyncResult`` fields: sync_id, counts, grade_history_rows, assignment_score_rows,
        removed_objects, reactivated_objects.
    """
    return write(cur, lambda c: _write_layers(c, shaped, started_at, recorded_at, source))


def _write_layers(
    cur: Cursor,
    shaped: ShapedSync,
    started_at: datetime,
    recorded_at: datetime | None,
    source: str | None,
) -> dict[str, Any]:
    sync_id = sync_runs.next_sync_id(cur)
    stamp = recorded_at or started_at
    # Submissions are compared with the previous layer 1, so before it is replaced.
    score_rows = history.append_assignment_scores(cur, sync_id, stamp, shaped.submissions)
    counts = snapshot.replace_snapshot(cur, shaped)
    grade_rows = history.append_grade_history(cur, sync_id, stamp)
    changes = lifecycle.update_lifecycle(cur, sync_id, stamp)
    # The summary schema: what dashboard pages read instead of aggregating layers 1-2.
    summaries.write_course_students(cur, sync_id)
    summaries.write_students(cur)
    summaries.append_submission_changes(cur, sync_id)
    summaries.write_hidden_submission_changes(cur)
    sync_runs.record_run(cur, {
        "sync_id": sync_id,
        "started_at": started_at,
        "finished_at": datetime.now(UTC),
        "status": "succeeded",
        "source": source,
        **counts,
        "grade_history_rows": grade_rows,
        "assignment_score_rows": score_rows,
        "duration_seconds": (datetime.now(UTC) - started_at).total_seconds(),
    })
    return {
        "sync_id": sync_id,
        "counts": counts,
        "grade_history_rows": grade_rows,
        "assignment_score_rows": score_rows,
        "removed_objects": changes["removed"],
        "reactivated_objects": changes["reactivated"],
    }


def full_canvas_sync(
    canvas_api_data: Mapping[str, object],
    *,
    source: str | None = None,
    started_at: datetime | None = None,
    recorded_at: datetime | None = None,
    cur: Cursor | None = None,
) -> SyncResult:
    """Validate, shape and write a whole Canvas sync atomically.

    Args:
        canvas_api_data: Raw Canvas JSON lists keyed by resource (``courses``, ``sections``,
            ``enrollments``, ``assignment_groups``, ``assignments``, ``submissions``), as the
            API returns them; assignment groups carry the ``course_id`` they were fetched for.
            Each value may also be a frame from ``shaping.raw_frame``. Missing keys mean empty.
        source: Where the data came from (e.g. the Canvas base URL), kept on the run record.
        started_at: When the sync started, if before this call (``sync_from_canvas`` passes
            the start of its fetch, so the run's duration covers the whole sync).
        recorded_at: Time stamped on this sync's history rows (default: its start). The
            demo spreads its syncs over past weeks with it.
        cur: Cursor to use; default a session of the process-wide database.

    Returns:
        Counts, history rows appended and timings.

    Raises:
        DataValidationError: The input is invalid (naming resource, id and field); nothing
            was written except the failed run's record.
        SyncError: Writing failed; everything was rolled back (the cause is chained).
    """
    started_at = started_at or datetime.now(UTC)
    t0 = time.perf_counter()
    with using(cur) as c:
        try:
            shaped = shape_canvas_data(canvas_api_data)
        except DataValidationError as e:
            record_failed_run(c, started_at, source, f"invalid Canvas data: {e}")
            raise
        t1 = time.perf_counter()
        try:
            written = write_sync(
                c, shaped, started_at=started_at, recorded_at=recorded_at, source=source
            )
        except Exception as e:
            # Any failure, ours or the driver's: the transaction has rolled back; report it
            # as one typed error with the cause chained.
            record_failed_run(c, started_at, source, f"{type(e).__name__}: {e}")
            raise SyncError(f"sync failed and was rolled back; nothing changed: {e}") from e
    t2 = time.perf_counter()
    result = SyncResult(
        started_at=started_at,
        **written,
        duration_seconds=(datetime.now(UTC) - started_at).total_seconds(),
        shape_seconds=t1 - t0,
        write_seconds=t2 - t1,
        source=source,
    )
    log.info("%s", result.summary())
    return result
