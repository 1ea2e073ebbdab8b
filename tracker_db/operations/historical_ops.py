"""Layer 2 (``history`` schema): append-only change records.

A sync compares what it has just written to layer 1 with the latest history row of each key
and appends only the differences, all in SQL: no row ever passes through Python.
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import polars as pl

from tracker_db.session import using
from tracker_db.sql_files import query


def _append(cur: duckdb.DuckDBPyConnection, sql: str, sync_id: int, at: datetime) -> int:
    (appended,) = cur.execute(sql, {"sync_id": sync_id, "recorded_at": at}).fetchone()
    return int(appended)


def append_grade_history(
    cur: duckdb.DuckDBPyConnection, sync_id: int, recorded_at: datetime
) -> int:
    """Append course-grade changes found in ``canvas.enrollments`` (inside the sync's transaction).

    Returns:
        The number of rows appended.
    """
    return _append(cur, query("append_grade_history"), sync_id, recorded_at)


def append_assignment_scores(
    cur: duckdb.DuckDBPyConnection,
    sync_id: int,
    recorded_at: datetime,
    incoming_submissions: pl.DataFrame,
) -> int:
    """Append submission changes (inside the sync's transaction, BEFORE layer 1 is replaced).

    Args:
        cur: Cursor inside the sync's transaction.
        sync_id: This sync's id.
        recorded_at: Time stamped on the rows.
        incoming_submissions: This sync's shaped submissions; compared first with the
            previous layer 1, then with history for the keys that differ.

    Returns:
        The number of rows appended.
    """
    cur.register("incoming_submissions", incoming_submissions.to_arrow())
    try:
        return _append(cur, query("append_assignment_scores"), sync_id, recorded_at)
    finally:
        cur.unregister("incoming_submissions")


def count_history_rows(*, cur: duckdb.DuckDBPyConnection | None = None) -> dict[str, int]:
    """Return ``{"grade_history": n, "assignment_scores": n}``."""
    with using(cur) as c:
        return dict(
            c.execute(
                "SELECT 'grade_history', count(*) FROM history.grade_history "
                "UNION ALL SELECT 'assignment_scores', count(*) FROM history.assignment_scores"
            ).fetchall()
        )


def read_grade_history(
    *,
    student_id: int | None = None,
    course_id: int | None = None,
    cur: duckdb.DuckDBPyConnection | None = None,
) -> pl.DataFrame:
    """Return ``history.grade_history`` rows, optionally for one student and/or course.

    Columns: sync_id, recorded_at, course_id, student_id, enrollment_state, current_score,
    final_score, current_grade, final_grade; ordered by course, student, sync.
    """
    with using(cur) as c:
        return c.execute(
            query("grade_history"), {"student_id": student_id, "course_id": course_id}
        ).pl()
