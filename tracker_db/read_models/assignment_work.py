"""One assignment, student by student: who has handed it in, who is late, missing or excused
(the Assignment page, reached from Progress and the Student page)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import polars as pl

from tracker_db.db import Cursor, one_row, read_frame, sql_file, using
from tracker_db.errors import DataValidationError
from tracker_db.exports import Column, to_csv
from tracker_db.read_models.display import shorten_columns, shorten_values
from tracker_db.validation import validate_id

_SQL = sql_file("read_models/assignment_work")

#: Each status a submission can have, in the order pages list them.
STATUSES = ("not submitted", "missing", "late", "late, graded", "submitted", "graded",
            "excused")

#: The table as the page shows it, column by column (and so its download).
WORK_COLUMNS: dict[str, Column] = {
    "student_id": Column("Canvas id", width=80),
    "student_name": Column("Student", width=240),
    "status": Column("Status", width=110),
    "score": Column("Score", width=65),
    "points_possible": Column("Out of", width=65),
    "score_percent": Column("%", decimals=0, width=55),
    "submitted_at": Column("Handed in", width=175),
    "enrollment_state": Column("Enrollment", width=95),
}


def get_course_assignments(course_id: int, *, cur: Cursor | None = None) -> pl.DataFrame:
    """Return a course's assignments (not hidden), by due date.

    Columns: assignment_id, assignment_name, due_at, points_possible, published.
    """
    course_id = validate_id(course_id, "course id")
    with using(cur) as c:
        frame = read_frame(c, _SQL["course_assignments"], {"course_id": course_id})
    return shorten_columns(frame, ("assignment_name",))


def get_assignment(assignment_id: int, *, cur: Cursor | None = None) -> dict[str, Any] | None:
    """Return one assignment with its course's name, or None for an unknown id.

    Keys: assignment_id, assignment_name, course_id, course_name, due_at, points_possible,
    published.
    """
    assignment_id = validate_id(assignment_id, "assignment id")
    with using(cur) as c:
        row = one_row(c, _SQL["one_assignment"], {"assignment_id": assignment_id})
    return None if row is None else shorten_values(row, ("assignment_name", "course_name"))


def get_assignment_work(
    assignment_id: int,
    statuses: Iterable[str] = (),
    *,
    include_inactive: bool = False,
    cur: Cursor | None = None,
) -> pl.DataFrame:
    """Return the assignment's work, one row per student of its course, by name.

    Args:
        assignment_id: Canvas assignment id.
        statuses: Only these statuses (see ``STATUSES``; empty: all).
        include_inactive: Also inactive, completed and archived students.
        cur: Cursor to use.

    Raises:
        DataValidationError: A bad id or an unknown status, named.

    Returns:
        Columns: student_id, student_name, sort_key, enrollment_state, status, score,
        points_possible, score_percent, submitted_at.
    """
    assignment_id = validate_id(assignment_id, "assignment id")
    chosen = set(statuses)
    unknown = sorted(chosen - set(STATUSES))
    if unknown:
        raise DataValidationError(
            f"unknown status {unknown[0]!r}: choose from {', '.join(STATUSES)}")
    with using(cur) as c:
        frame = read_frame(c, _SQL["assignment_work"], {
            "assignment_id": assignment_id, "include_inactive": bool(include_inactive),
        })
    if chosen:
        frame = frame.filter(pl.col("status").is_in(sorted(chosen)))
    return shorten_columns(frame, ("student_name",))


def count_statuses(work: pl.DataFrame) -> dict[str, int]:
    """Return how many students have each status (``STATUSES`` order, zeros kept)."""
    counts = dict(work.group_by("status").len().iter_rows())
    return {status: int(counts.get(status, 0)) for status in STATUSES}


def assignment_work_csv(work: pl.DataFrame) -> bytes:
    """Return the rows as the page shows them, as CSV safe to open in a spreadsheet."""
    return to_csv(work, WORK_COLUMNS)
