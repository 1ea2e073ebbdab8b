"""One student's data over time."""

from __future__ import annotations

import duckdb
import polars as pl

from tracker_db.session import using
from tracker_db.sql_files import query


def get_student_progress_history(
    student_id: int,
    course_id: int | None = None,
    *,
    cur: duckdb.DuckDBPyConnection | None = None,
) -> pl.DataFrame:
    """Return a student's course grades over time from layer 2, one row per change.

    Args:
        student_id: Canvas user id.
        course_id: Only this course; None for all of the student's courses.
        cur: Cursor to use.

    Returns:
        Columns: sync_id, recorded_at, course_id, course_name, enrollment_state,
        current_score, final_score, current_grade, final_grade; ordered by course then sync.
    """
    with using(cur) as c:
        return c.execute(
            query("student_progress_history"), {"student_id": student_id, "course_id": course_id}
        ).pl()
