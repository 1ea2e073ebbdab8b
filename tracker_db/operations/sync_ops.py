"""The full sync: validate and shape, then write every layer in ONE transaction.

Shaping (polars) happens before the transaction opens, so invalid input never reaches the
database. The write replaces layer 1, appends the layer-2 changes it finds, and records the
run; any failure rolls all of it back and the failed attempt is recorded afterwards in its
own transaction, so a failed sync leaves every layer exactly as it was.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import duckdb
import polars as pl

from tracker_db.canvas_client import (
    DEFAULT_MAX_IN_FLIGHT,
    CanvasClient,
    ProgressCallback,
    RetryPolicy,
    is_loopback,
)
from tracker_db.errors import (
    CanvasAPIError,
    ConfigError,
    DatabaseError,
    DataValidationError,
    SyncError,
    TrackerError,
)
from tracker_db.operations import canvas_ops, historical_ops, lifecycle_ops, summary_ops
from tracker_db.operations.metadata_ops import get_untracked_course_ids
from tracker_db.session import transaction, using
from tracker_db.shaping import ShapedSync, shape_canvas_data
from tracker_db.sql_files import query

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
        counts = self.__dict__.get("counts", {})
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


def _next_sync_id(cur: duckdb.DuckDBPyConnection) -> int:
    (next_id,) = cur.execute(
        "SELECT coalesce(max(sync_id), 0) + 1 FROM ops.sync_runs"
    ).fetchone()
    return int(next_id)


def record_run(cur: duckdb.DuckDBPyConnection, row: Mapping[str, object]) -> None:
    """Insert one ``ops.sync_runs`` row (columns by name; the caller owns the transaction)."""
    columns = ", ".join(row)
    placeholders = ", ".join(f"${name}" for name in row)
    cur.execute(f"INSERT INTO ops.sync_runs ({columns}) VALUES ({placeholders})", dict(row))


def record_failed_run(
    cur: duckdb.DuckDBPyConnection, started_at: datetime, source: str | None, error: str
) -> None:
    """Record a failed sync attempt in its own transaction (after the sync's rollback)."""
    try:
        with transaction(cur):
            record_run(cur, {
                "sync_id": _next_sync_id(cur),
                "started_at": started_at,
                "finished_at": datetime.now(UTC),
                "status": "failed",
                "source": source,
                "duration_seconds": (datetime.now(UTC) - started_at).total_seconds(),
                "error": error,
            })
    except (DatabaseError, duckdb.Error):
        # The database itself is failing; the caller still gets the original error.
        log.exception("could not record the failed sync run")


def write_sync(
    cur: duckdb.DuckDBPyConnection,
    shaped: ShapedSync,
    *,
    started_at: datetime,
    recorded_at: datetime | None = None,
    source: str | None = None,
) -> dict[str, Any]:
    """Write a shaped sync in one transaction: layers 1, 2 and 0, page summaries, run record.

    Returns:
        ``SyncResult`` fields: sync_id, counts, grade_history_rows, assignment_score_rows,
        removed_objects, reactivated_objects.
    """
    with transaction(cur):
        sync_id = _next_sync_id(cur)
        stamp = recorded_at or started_at
        # Submissions are compared with the previous layer 1, so before it is replaced.
        score_rows = historical_ops.append_assignment_scores(
            cur, sync_id, stamp, shaped.submissions
        )
        counts = canvas_ops.replace_layer1(cur, shaped)
        grade_rows = historical_ops.append_grade_history(cur, sync_id, stamp)
        changes = lifecycle_ops.update_lifecycle(cur, sync_id, stamp)
        # The summary schema: what dashboard pages read instead of aggregating layers 1-2.
        summary_ops.write_course_students(cur, sync_id)
        summary_ops.write_students(cur)
        summary_ops.append_submission_changes(cur, sync_id)
        summary_ops.write_hidden_submission_changes(cur)
        record_run(cur, {
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
    cur: duckdb.DuckDBPyConnection | None = None,
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


def get_recent_runs(
    limit: int = 20, *, cur: duckdb.DuckDBPyConnection | None = None
) -> pl.DataFrame:
    """Return the latest sync attempts, newest first.

    Columns: sync_id, started_at, finished_at, status, source, courses, students, enrollments,
    assignments, submissions, grade_history_rows, assignment_score_rows, history_rows,
    duration_seconds, error.
    """
    with using(cur) as c:
        return c.execute(query("recent_sync_runs"), {"limit": max(1, int(limit))}).pl()


def check_source_matches(source: str, *, cur: duckdb.DuckDBPyConnection | None = None) -> None:
    """Refuse to mix demo data (a Canvas on this machine) with a real Canvas in one file.

    A full sync replaces layer 1, and the fake Canvas's small ids could collide with real
    ones in history: each kind of data belongs in its own database file.

    Raises:
        ConfigError: The database already holds data of the other kind.
    """
    def is_local(url: str) -> bool:
        return is_loopback(urlsplit(url).hostname or "")

    with using(cur) as c:
        sources = [row[0] for row in c.execute(query("sync_sources")).fetchall()]
    other = sorted(s for s in sources if s and is_local(s) != is_local(source))
    if not other:
        return
    if is_local(source):
        raise ConfigError(
            f"this database already holds data synced from {other[0]}; load the demo into a "
            "separate file instead (TRACKER_DB_PATH=demo.duckdb, or canvas-tracker --db)"
        )
    raise ConfigError(
        "this database holds demo data from the built-in fake Canvas; sync your Canvas into a "
        "new file (TRACKER_DB_PATH=canvas_tracker.duckdb, or canvas-tracker --db)"
    )


def sync_from_canvas(
    base_url: str,
    token: str,
    *,
    max_in_flight: int | None = None,
    progress: ProgressCallback | None = None,
    retry: RetryPolicy | None = None,
    recorded_at: datetime | None = None,
    cur: duckdb.DuckDBPyConnection | None = None,
) -> SyncResult:
    """Fetch everything from Canvas, then write it with ``full_canvas_sync``.

    Courses the teacher switched off (``meta.course_metadata.tracking_enabled`` false) are
    listed but not fetched. Any failure, fetching or writing, leaves the database as it was
    and is recorded in ``ops.sync_runs`` with a readable reason.

    Args:
        base_url: The institution's Canvas address.
        token: The teacher's access token (never logged, shown or stored).
        max_in_flight: Requests in flight at once (default: the client's).
        progress: Optional ``(step, done, total, message)`` callback.
        retry: Retry settings for the client.
        recorded_at: Time stamped on the history rows (default: the sync's start).
        cur: Cursor to use; default a session of the process-wide database.

    Raises:
        ConfigError: Bad base URL or token, or demo data and real data would mix (nothing
            fetched, nothing recorded).
        CanvasAPIError: Canvas refused or failed.
        DataValidationError: Canvas sent data that does not validate.
        SyncError: Writing failed.
    """
    started_at = datetime.now(UTC)
    with using(cur) as c:
        client = CanvasClient(
            base_url, token,
            max_in_flight=DEFAULT_MAX_IN_FLIGHT if max_in_flight is None else max_in_flight,
            retry=retry, progress=progress,
        )
        source = client.base_url
        check_source_matches(source, cur=c)
        try:
            with client:
                data = client.fetch_all(untracked_course_ids=get_untracked_course_ids(cur=c))
        except TrackerError as e:
            record_failed_run(c, started_at, source, str(e))
            raise
        except Exception as e:
            # Anything else from the HTTP stack (an invalid URL, too many redirects ...).
            error = CanvasAPIError(f"fetching from Canvas failed: {type(e).__name__}: {e}")
            record_failed_run(c, started_at, source, str(error))
            raise error from e
        if progress is not None:
            progress("write", 0, 1, "validating and saving")
        result = full_canvas_sync(
            data, source=source, started_at=started_at, recorded_at=recorded_at, cur=c
        )
        if progress is not None:
            progress("write", 1, 1, result.summary())
        return result
