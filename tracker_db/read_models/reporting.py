"""Reports for analysts and scripts: per course, curriculum and assignment, and the stored
layers as they are.

Every function shows active objects by default (layer 0: active courses, active or invited
enrollments, students not archived) and takes ``include_inactive=True`` for the rest.
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from tracker_db.canvas.shaping import TABLE_COLUMNS
from tracker_db.db import Cursor, read_frame, sql_file, using
from tracker_db.errors import DataValidationError, TrackerError

_SQL = sql_file("read_models/reporting")

#: The layer-1 tables; the allowlist for ``read_canvas_table``.
CANVAS_TABLES: tuple[str, ...] = tuple(TABLE_COLUMNS)


def get_course_summary(
    *, include_inactive: bool = False, cur: Cursor | None = None
) -> pl.DataFrame:
    """Return one row per course in layer 1.

    Columns: course_id, name, course_code, workflow_state, term_name, students, active_students,
    mean_current_score, median_current_score, missing_count, late_count (excused submissions
    not counted), last_synced_at, active (layer 0).
    """
    with using(cur) as c:
        return read_frame(c, _SQL["course_summary"], {"include_inactive": include_inactive})


def get_curriculum_summary(
    *, include_inactive: bool = False, cur: Cursor | None = None
) -> pl.DataFrame:
    """Return one row per curriculum.

    Columns: curriculum_id, name, color, courses, students (distinct), mean_current_score,
    median_current_score (over student-course pairs), missing_count, late_count.
    """
    with using(cur) as c:
        return read_frame(c, _SQL["curriculum_summary"], {"include_inactive": include_inactive})


def get_assignment_statistics(
    course_id: int | None = None,
    *,
    include_inactive: bool = False,
    cur: Cursor | None = None,
) -> pl.DataFrame:
    """Return score statistics per assignment (excused submissions left out).

    With ``include_inactive``, assignments Canvas no longer lists are included too (``active``
    false), computed from their latest recorded submissions.

    Columns: assignment_id, course_id, name, points_possible, due_at, position, students,
    submitted, graded, submitted_share (0-1), mean_score, median_score, q1_score, q3_score,
    min_score, max_score (points), missing_count, late_count, active.
    """
    with using(cur) as c:
        return read_frame(
            c, _SQL["assignment_statistics"],
            {"course_id": course_id, "include_inactive": include_inactive},
        )


def get_curriculum_students(
    curricula: Iterable[str] | str,
    *,
    include_inactive: bool = False,
    cur: Cursor | None = None,
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
        return read_frame(
            c, _SQL["curriculum_students"],
            {"curricula": names, "include_inactive": include_inactive},
        )


def read_grade_history(
    *,
    student_id: int | None = None,
    course_id: int | None = None,
    cur: Cursor | None = None,
) -> pl.DataFrame:
    """Return ``history.grade_history`` rows, optionally for one student and/or course.

    Columns: sync_id, recorded_at, course_id, student_id, enrollment_state, current_score,
    final_score, current_grade, final_grade; ordered by course, student, sync.
    """
    with using(cur) as c:
        return read_frame(
            c, _SQL["grade_history"], {"student_id": student_id, "course_id": course_id}
        )


def read_canvas_table(table: str, *, cur: Cursor | None = None) -> pl.DataFrame:
    """Return all rows of ``canvas.<table>`` in a stable order (by its id columns).

    Raises:
        TrackerError: ``table`` is not a layer-1 table.
    """
    if table not in CANVAS_TABLES:
        raise TrackerError(f"unknown canvas table {table!r}; expected one of {CANVAS_TABLES}")
    order = ", ".join(c for c in TABLE_COLUMNS[table] if c.endswith("_id"))
    with using(cur) as c:
        return read_frame(c, f"SELECT * FROM canvas.{table} ORDER BY {order}")


def count_layer_rows(*, cur: Cursor | None = None) -> dict[str, int]:
    """Return ``{schema.table: rows}`` for every table of layers 1 and 2."""
    tables = [f"canvas.{t}" for t in CANVAS_TABLES]
    tables += ["history.grade_history", "history.assignment_scores"]
    union = " UNION ALL ".join(f"SELECT '{t}', count(*) FROM {t}" for t in tables)
    with using(cur) as c:
        return {str(name): int(n) for name, n in c.execute(union).fetchall()}
