"""The full sync's write: validate and shape, then write every layer in ONE transaction.

Shaping (polars) happens before the transaction opens, so invalid input never reaches the
database. The write asks each stored domain in turn (``tracker_db.store``: layer 1 replaced,
the layer-2 changes appended, layer 0 and the summaries rewritten, the run recorded); any
failure rolls all of it back and the failed attempt is recorded afterwards in its own
transaction, so a failed sync leaves every layer exactly as it was.

Every run record carries its attempt's id, and a failure is never recorded for an attempt
whose sync committed (an error raised by a COMMIT that went through). An interrupt (Ctrl-C,
which DuckDB turns into an error of its own mid-statement) records nothing at all: it comes
out as ``KeyboardInterrupt``, and whoever started the attempt asks the database what became
of it (``read_models.sync_status.get_attempt_runs``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb
import polars as pl

from tracker_db.canvas.incremental import IncrementalPlan
from tracker_db.canvas.shaping import ShapedSync, shape_canvas_data
from tracker_db.db import Cursor, using, write
from tracker_db.errors import DatabaseError, DataValidationError, SyncError
from tracker_db.read_models.sync_status import get_unfinished_attempts
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
        attempt_id: The attempt's id, on its run record too.
        cleared_attempts: When the earlier attempts started that never finished (their
            process was stopped) and that this sync cleared from ``ops.sync_attempts``.
        conflicts: Per table, the objects Canvas sent more than once with different values
            (the later copy was stored; see ``tracker_db.canvas.shaping``).
        mode: ``full``, or ``incremental`` (only changed submissions were fetched; layer 0
            removed nothing, since an incremental cannot prove an absence).
        changes_since: An incremental's watermark: Canvas was asked for submissions graded
            or submitted after it.
        note: Said at the end of the summary (why an incremental ran as a full sync).
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
    attempt_id: str | None = None
    cleared_attempts: tuple[datetime, ...] = ()
    conflicts: dict[str, int] = field(default_factory=dict)
    mode: str = "full"
    changes_since: datetime | None = None
    note: str = ""

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
        """One line for people: counts, history rows added, duration, and what Canvas sent
        twice with different values."""
        c = self.counts
        return (
            ("incremental " if self.mode == "incremental" else "")
            + f"sync {self.sync_id}: {c['courses']} courses, {c['students']} students, "
            f"{c['enrollments']} enrollments, {c['assignments']} assignments, "
            f"{c['submissions']} submissions; {self.history_rows} history rows added"
            + (f", {self.removed_objects} removed" if self.removed_objects else "")
            + (f", {self.reactivated_objects} back" if self.reactivated_objects else "")
            + f" in {self.duration_seconds:.1f} s"
            + "".join(
                f"; an earlier attempt (started {t:%Y-%m-%d %H:%M:%S} UTC) never finished"
                for t in self.cleared_attempts
            )
            + (f"; {_conflict_words(self.conflicts)} Canvas sent twice with different values "
               "(the later copy kept)" if self.conflicts else "")
            + (f" ({self.note})" if self.note else "")
        )


# (singular, plural) of each table's objects, for the summary.
_NOUNS = {
    "courses": ("course", "courses"), "sections": ("section", "sections"),
    "students": ("student", "students"), "enrollments": ("enrollment", "enrollments"),
    "assignment_groups": ("assignment group", "assignment groups"),
    "assignments": ("assignment", "assignments"), "submissions": ("submission", "submissions"),
}


def _conflict_words(conflicts: Mapping[str, int]) -> str:
    """``{"submissions": 2, "students": 1}`` as "2 submissions, 1 student"."""
    return ", ".join(
        f"{n} {_NOUNS.get(table, (table, table))[n != 1]}" for table, n in conflicts.items()
    )


def was_interrupted(error: BaseException) -> bool:
    """Whether ``error`` is, or was caused by, an interrupt (Ctrl-C, or SIGTERM made one).

    DuckDB stops a statement on Ctrl-C and raises ``RuntimeError('Query interrupted')`` with
    the ``KeyboardInterrupt`` as its cause; other layers may wrap that again.
    """
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, KeyboardInterrupt):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def record_failed_run(
    cur: Cursor,
    started_at: datetime,
    source: str | None,
    error: str,
    attempt_id: str | None = None,
) -> dict[str, Any] | None:
    """Record a failed sync attempt in its own transaction (after the sync's rollback), and
    end the attempt's row in ``ops.sync_attempts`` with it.

    An attempt that has recorded a run already (its sync committed, then something raised)
    gets no failed one: ``ops.sync_runs`` never says "failed" of a sync that was saved.

    Returns:
        The attempt's run record (``status`` ``failed``, or ``succeeded`` for a sync that
        had committed); None when the database refused to record anything.
    """
    attempt_id = attempt_id or sync_runs.new_attempt_id()

    def record(c: Cursor) -> dict[str, Any]:
        recorded = sync_runs.run_of_attempt(c, attempt_id)
        if recorded is not None:
            return recorded
        row: dict[str, Any] = {
            "sync_id": sync_runs.next_sync_id(c),
            "started_at": started_at,
            "finished_at": datetime.now(UTC),
            "status": "failed",
            "source": source,
            "duration_seconds": (datetime.now(UTC) - started_at).total_seconds(),
            "error": error,
            "attempt_id": attempt_id,
        }
        sync_runs.record_run(c, row)
        sync_runs.end_attempts(c, [attempt_id])
        return row

    try:
        return write(cur, record)
    except (DatabaseError, duckdb.Error):
        # The database itself is failing; the caller still gets the original error.
        log.exception("could not record the failed sync run")
        return None


def write_sync(
    cur: Cursor,
    shaped: ShapedSync,
    *,
    started_at: datetime,
    recorded_at: datetime | None = None,
    source: str | None = None,
    attempt_id: str | None = None,
    changes_since: datetime | None = None,
) -> dict[str, Any]:
    """Write a shaped sync in one transaction: layers 1, 2 and 0, page summaries, run record,
    and the end of its attempt (with the leftovers of attempts whose process was stopped).

    With ``changes_since`` the sync is recorded as incremental (its submissions were merged
    from changes since then, ``tracker_db.canvas.incremental``): layer 0 then records new and
    returning objects but removes none, because an incremental cannot prove an absence; the
    next full sync does.

    The transaction is tried again whole when another process commits first (its sync id
    and every comparison are read again inside it).

    Returns:
        ``SyncResult`` fields: sync_id, counts, grade_history_rows, assignment_score_rows,
        removed_objects, reactivated_objects, attempt_id, cleared_attempts.
    """
    attempt = attempt_id or sync_runs.new_attempt_id()
    return write(cur, lambda c: _write_layers(
        c, shaped, started_at, recorded_at, source, attempt, changes_since
    ))


def _write_layers(
    cur: Cursor,
    shaped: ShapedSync,
    started_at: datetime,
    recorded_at: datetime | None,
    source: str | None,
    attempt_id: str,
    changes_since: datetime | None,
) -> dict[str, Any]:
    sync_id = sync_runs.next_sync_id(cur)
    incremental = changes_since is not None
    stamp = recorded_at or started_at
    # Submissions are compared with the previous layer 1, so before it is replaced.
    score_rows = history.append_assignment_scores(cur, sync_id, stamp, shaped.submissions)
    counts = snapshot.replace_snapshot(cur, shaped)
    grade_rows = history.append_grade_history(cur, sync_id, stamp)
    changes = lifecycle.update_lifecycle(cur, sync_id, stamp, proves_absence=not incremental)
    # The summary schema: what dashboard pages read instead of aggregating layers 1-2.
    summaries.write_course_students(cur, sync_id)
    summaries.write_students(cur)
    summaries.append_submission_changes(cur, sync_id)
    summaries.append_work_changes(cur, sync_id)
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
        "attempt_id": attempt_id,
        "mode": "incremental" if incremental else "full",
        "changes_since": changes_since,
    })
    # The flags count back from the sync just recorded (its time is "the latest sync").
    summaries.write_flags(cur)
    # This attempt has its outcome; earlier ones whose process is gone never will, and this
    # sync's summary says so once, as it clears them (a live or unknown one stays listed).
    leftovers = get_unfinished_attempts(cur=cur).filter(
        (pl.col("state") == "stopped") & (pl.col("attempt_id") != attempt_id)
    )
    sync_runs.end_attempts(cur, [attempt_id, *leftovers["attempt_id"]])
    return {
        "sync_id": sync_id,
        "counts": counts,
        "grade_history_rows": grade_rows,
        "assignment_score_rows": score_rows,
        "removed_objects": changes["removed"],
        "reactivated_objects": changes["reactivated"],
        "attempt_id": attempt_id,
        "cleared_attempts": tuple(sorted(leftovers["started_at"])),
    }


def _written_from_run(run: Mapping[str, Any], shaped: ShapedSync) -> dict[str, Any]:
    # What write_sync would have returned, from the run it recorded (the lifecycle's
    # removed and back counts are not kept there).
    return {
        "sync_id": int(run["sync_id"]),
        "counts": {table: int(run.get(table) or 0) for table in shaped.tables()},
        "grade_history_rows": int(run["grade_history_rows"] or 0),
        "assignment_score_rows": int(run["assignment_score_rows"] or 0),
        "attempt_id": run["attempt_id"],
    }


def full_canvas_sync(
    canvas_api_data: Mapping[str, object],
    *,
    source: str | None = None,
    started_at: datetime | None = None,
    recorded_at: datetime | None = None,
    cur: Cursor | None = None,
    attempt_id: str | None = None,
    plan: IncrementalPlan | None = None,
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
        attempt_id: The attempt this write belongs to (``sync_from_canvas`` recorded its
            start); default a new one.
        plan: For an incremental sync, its plan: ``canvas_api_data`` then holds only the
            submissions it fetched, and the plan completes them from the previous layer 1.

    Returns:
        Counts, history rows appended and timings.

    Raises:
        DataValidationError: The input is invalid (naming resource, id and field); nothing
            was written except the failed run's record.
        SyncError: Writing failed; everything was rolled back (the cause is chained).
        KeyboardInterrupt: Interrupted, also when DuckDB reported it as an error; nothing is
            recorded, and the sync may have committed (``get_attempt_runs`` tells).
    """
    started_at = started_at or datetime.now(UTC)
    attempt_id = attempt_id or sync_runs.new_attempt_id()
    t0 = time.perf_counter()
    with using(cur) as c:
        try:
            shaped = shape_canvas_data(canvas_api_data)
            if plan is not None:
                shaped = plan.merge(shaped)
        except DataValidationError as e:
            record_failed_run(c, started_at, source, f"invalid Canvas data: {e}", attempt_id)
            raise
        t1 = time.perf_counter()
        try:
            written = write_sync(
                c, shaped, started_at=started_at, recorded_at=recorded_at, source=source,
                attempt_id=attempt_id, changes_since=None if plan is None else plan.since,
            )
        except Exception as e:
            if was_interrupted(e):
                # Ctrl-C mid-statement, perhaps mid-COMMIT: what happened is in the database,
                # not in this error, so nothing is recorded here.
                raise KeyboardInterrupt from e
            # Any failure, ours or the driver's: the transaction has rolled back (unless the
            # error came from a COMMIT that went through, which the record then finds).
            recorded = record_failed_run(
                c, started_at, source, f"{type(e).__name__}: {e}", attempt_id
            )
            if recorded is None or recorded["status"] != "succeeded":
                raise SyncError(
                    f"sync failed and was rolled back; nothing changed: {e}"
                ) from e
            log.warning("sync %s was saved, but its commit reported an error: %s",
                        recorded["sync_id"], e)
            written = _written_from_run(recorded, shaped)
    t2 = time.perf_counter()
    result = SyncResult(
        started_at=started_at,
        **written,
        duration_seconds=(datetime.now(UTC) - started_at).total_seconds(),
        shape_seconds=t1 - t0,
        write_seconds=t2 - t1,
        source=source,
        conflicts=dict(shaped.conflicts),
        mode="full" if plan is None else "incremental",
        changes_since=None if plan is None else plan.since,
    )
    log.info("%s", result.summary())
    return result
