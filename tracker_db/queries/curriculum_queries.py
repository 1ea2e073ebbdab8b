"""Students by curriculum (a teacher-named group of courses)."""

from __future__ import annotations

from collections.abc import Iterable

import duckdb
import polars as pl

from tracker_db.errors import DataValidationError
from tracker_db.session import using
from tracker_db.sql_files import query


def get_curriculum_students(
    curricula: Iterable[str] | str,
    *,
    include_inactive: bool = False,
    cur: duckdb.DuckDBPyConnection | None = None,
) -> pl.DataFrame:
    """Return the students enrolled (any state but deleted) in any course of the curricula.

    Args:
        curricula: Curriculum ids or names (one string or several).
        include_inactive: Also students who are no longer active in Canvas or were archived
            (layer 0); those Canvas no longer lists at all are named and graded from what the
            tracker last recorded, with ``enrollment_state`` ``"removed: <reason>"``.
        cur: Cursor to use.

    Returns:
        One row per (student, course), ordered by sortable name then course. Columns:
        student_id, name, sortable_name, login_id, sis_user_id, course_id, course_name,
        curriculum_ids (list of the chosen curricula the course belongs to), enrollment_state,
        current_score, final_score, current_grade, final_grade, last_activity_at, tags (list),
        custom_group, student_active, student_archived.
    """
    if isinstance(curricula, str):
        names = [curricula]
    elif isinstance(curricula, Iterable):
        names = [str(c) for c in curricula]
    else:
        raise DataValidationError(
            f"curricula must be a curriculum id or name, or a list of them; got {curricula!r}"
        )
    with using(cur) as c:
        return c.execute(
            query("curriculum_students"),
            {"curricula": names, "include_inactive": include_inactive},
        ).pl()
