"""Layer 2 (``history`` schema): append-only change records. The only writer of its tables.

A sync compares what Canvas sent with the latest history row of each key and appends only
the differences, all in SQL: no row ever passes through Python. Rows are never updated; a
permanent delete removes one object's rows (see ``OWNED_ROWS``).
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from tracker_db.db import Cursor, count, sql_file, staged
from tracker_db.store import OwnedRows

_SQL = sql_file("store/history")

#: An object's history rows.
OWNED_ROWS = OwnedRows({
    "student": [
        ("history.grade_history", "student_id = ?"),
        ("history.assignment_scores", "student_id = ?"),
    ],
    "course": [
        ("history.grade_history", "course_id = ?"),
        ("history.assignment_scores", "course_id = ?"),
    ],
    "assignment": [
        ("history.assignment_scores", "assignment_id = ?"),
    ],
})


def append_assignment_scores(
    cur: Cursor, sync_id: int, recorded_at: datetime, incoming_submissions: pl.DataFrame
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
    with staged(cur, "incoming_submissions", incoming_submissions):
        return count(cur, _SQL["append_assignment_scores"],
                     {"sync_id": sync_id, "recorded_at": recorded_at})


def append_grade_history(cur: Cursor, sync_id: int, recorded_at: datetime) -> int:
    """Append course-grade changes found in ``canvas.enrollments`` (inside the sync's
    transaction, after layer 1 is replaced).

    Returns:
        The number of rows appended.
    """
    return count(cur, _SQL["append_grade_history"],
                 {"sync_id": sync_id, "recorded_at": recorded_at})


def scored_assignments(cur: Cursor, student_id: int) -> list[int]:
    """Return the assignments a student's score history is about (before a delete, so the
    summaries of those assignments can be recomputed without the student)."""
    return [row[0] for row in cur.execute(_SQL["scored_assignments"], [student_id]).fetchall()]
