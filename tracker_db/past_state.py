"""Past states: the database as it stood right after any successful sync, rebuilt from the
history and lifecycle layers, for pages and exports to read exactly as they read the present.

A past state is a throwaway in-memory database with the tracker's own schema. Its layer 1
is rebuilt from layer 2 (each score, grade and state as that sync left it) and layer 0 (who
and what Canvas listed then); its summaries are derived from those by the summaries module,
as a sync derives them. So every read model, given a cursor on it, shows the past through
its own queries: nothing is written twice, no query has an "as of" variant. The stored
database is only read, in one snapshot.

What layer 2 does not keep is what it is now: names, points possible, due dates, sections
(or the last name layer 0 saw, for what Canvas no longer lists), teachers' notes, tags,
curricula, flag rules and decisions, the settings, and each student's last activity in
Canvas. So the "No activity" flag of a past state fires only where today's last activity
proves it did then (a last activity later than that sync says nothing about before).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

import duckdb

from tracker_db.db import Cursor, Database, count, read_frame, read_snapshot, sql_file, using
from tracker_db.errors import DatabaseError, DataValidationError
from tracker_db.migrate import open_database
from tracker_db.store import summaries

_SQL = sql_file("past_state")

#: Each table a past state fills (in load order), with the statement that reads it from the
#: stored layers. Only these names are ever formatted into SQL (an allowlist, not input).
PAST_TABLES = {
    "ops.sync_runs": "ops_sync_runs",
    "ops.settings": "ops_settings",
    "meta.curricula": "meta_curricula",
    "meta.curriculum_courses": "meta_curriculum_courses",
    "meta.course_metadata": "meta_course_metadata",
    "meta.assignment_metadata": "meta_assignment_metadata",
    "meta.student_metadata": "meta_student_metadata",
    "meta.student_notes": "meta_student_notes",
    "meta.flag_rules": "meta_flag_rules",
    "meta.flag_decisions": "meta_flag_decisions",
    "history.grade_history": "history_grade_history",
    "history.assignment_scores": "history_assignment_scores",
    "lifecycle.enrollment_changes": "lifecycle_enrollment_changes",
    "lifecycle.object_status": "lifecycle_object_status",
    "lifecycle.enrollment_status": "lifecycle_enrollment_status",
    "canvas.courses": "canvas_courses",
    "canvas.sections": "canvas_sections",
    "canvas.assignment_groups": "canvas_assignment_groups",
    "canvas.students": "canvas_students",
    "canvas.assignments": "canvas_assignments",
    "canvas.enrollments": "canvas_enrollments",
    "canvas.submissions": "canvas_submissions",
}


@dataclass
class PastState:
    """The database as it stood right after one sync (in memory; close it when done).

    Attributes:
        sync_id: The sync.
        dated_at: When it happened, as the charts date it.
        rows: How many rows each rebuilt table holds.
    """

    sync_id: int
    dated_at: datetime
    rows: dict[str, int]
    _database: Database = field(repr=False)

    @contextmanager
    def session(self) -> Iterator[Cursor]:
        """Yield a cursor on the past state (for any read model's ``cur=``)."""
        with self._database.session() as cur:
            yield cur

    def close(self) -> None:
        """Free the past state's memory (idempotent)."""
        self._database.close()


def open_past_state(sync_id: int, *, cur: Cursor | None = None) -> PastState:
    """Rebuild the state right after sync ``sync_id``.

    Args:
        sync_id: A successful sync.
        cur: Cursor on the stored database (only read).

    Returns:
        The past state, open.

    Raises:
        DataValidationError: ``sync_id`` is not a successful sync (the message lists them).
        DatabaseError: The stored layers cannot be read.
    """
    # Each table streams from the stored snapshot into the past state in Arrow batches (no
    # whole copy in Python). The past state is private to this call, so it needs neither a
    # transaction nor the process's write lock: on any failure it is simply thrown away.
    past = open_database(":memory:")
    rows: dict[str, int] = {}
    try:
        with using(cur) as c, read_snapshot(c), past.session() as p:
            listed = read_frame(c, _SQL["successful_syncs"])  # (polars: no pytz for times)
            syncs = dict(zip(listed["sync_id"].to_list(), listed["recorded_at"].to_list(),
                             strict=True))
            if int(sync_id) not in syncs:
                known = ", ".join(str(s) for s in syncs) or "none yet"
                raise DataValidationError(
                    f"there is no successful sync {sync_id} to show (the successful syncs: "
                    f"{known})"
                )
            params = {"sync_id": int(sync_id), "dated_at": syncs[int(sync_id)]}
            for table, statement in PAST_TABLES.items():
                sql = _SQL[statement]
                # (DuckDB refuses a parameter a statement does not use)
                batches = c.execute(sql, {k: v for k, v in params.items()
                                          if f"${k}" in sql}).to_arrow_reader()
                p.register("incoming_past_rows", batches)
                try:
                    rows[table] = count(p, _SQL["load_rows"].format(table=table))
                finally:
                    p.unregister("incoming_past_rows")
            # What changed reads the stored logs, never a past state's: no change log here.
            summaries.derive_summaries(p, change_log=False)
    except duckdb.Error as e:
        past.close()
        raise DatabaseError(f"cannot rebuild the state after sync {sync_id}: {e}") from e
    except BaseException:
        past.close()
        raise
    return PastState(int(sync_id), syncs[int(sync_id)], rows, past)
