"""Summaries for the overview and progress pages.

Every function shows active objects by default (layer 0: active courses, active or invited
enrollments, students not archived) and takes ``include_inactive=True`` for the rest.
"""

from __future__ import annotations

import duckdb
import polars as pl

from tracker_db.session import using
from tracker_db.sql_files import query


def get_course_summary(
    *, include_inactive: bool = False, cur: duckdb.DuckDBPyConnection | None = None
) -> pl.DataFrame:
    """Return one row per course in layer 1.

    Columns: course_id, name, course_code, workflow_state, term_name, students, active_students,
    mean_current_score, median_current_score, missing_count, late_count (excused submissions
    not counted), last_synced_at, active (layer 0).
    """
    with using(cur) as c:
        return c.execute(query("course_summary"), {"include_inactive": include_inactive}).pl()


def get_assignment_statistics(
    course_id: int | None = None,
    *,
    include_inactive: bool = False,
    cur: duckdb.DuckDBPyConnection | None = None,
) -> pl.DataFrame:
    """Return score statistics per assignment (excused submissions left out).

    With ``include_inactive``, assignments Canvas no longer lists are included too (``active``
    false), computed from their latest recorded submissions.

    Columns: assignment_id, course_id, name, points_possible, due_at, position, students,
    submitted, graded, submitted_share (0-1), mean_score, median_score, q1_score, q3_score,
    min_score, max_score (points), missing_count, late_count, active.
    """
    with using(cur) as c:
        return c.execute(
            query("assignment_statistics"),
            {"course_id": course_id, "include_inactive": include_inactive},
        ).pl()


def get_curriculum_summary(
    *, include_inactive: bool = False, cur: duckdb.DuckDBPyConnection | None = None
) -> pl.DataFrame:
    """Return one row per curriculum.

    Columns: curriculum_id, name, color, courses, students (distinct), mean_current_score,
    median_current_score (over student-course pairs), missing_count, late_count.
    """
    with using(cur) as c:
        return c.execute(
            query("curriculum_summary"), {"include_inactive": include_inactive}
        ).pl()
