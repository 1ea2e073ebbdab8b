"""One student's record: who they are, their courses now, scores over time, work and notes.

"Change since the last sync" compares a value now with its value at the previous successful
sync. History rows are appended only when a value changes, so the value of a key at sync N is
its latest row with ``sync_id <= N``; the statements compute that for one student's rows.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from tracker_db.db import Cursor, read_frame, sql_file, using
from tracker_db.exports import Column
from tracker_db.privacy import DEFAULT_MIN_GROUP_SIZE, hide_small_groups
from tracker_db.read_models.display import shorten_columns
from tracker_db.read_models.sync_status import get_sync_state
from tracker_db.validation import validate_id

_SQL = sql_file("read_models/student_record")


def get_student_profile(student_id: int, *, cur: Cursor | None = None) -> dict[str, Any] | None:
    """Return who a student is, or None if the tracker has never seen the id.

    Keys: student_id, name (the last known one once Canvas dropped them), sortable_name,
    login_id, sis_user_id, in_canvas, tags (list), custom_group, active, archived,
    removal_reason.
    """
    student_id = validate_id(student_id, "student id")
    with using(cur) as c:
        frame = read_frame(c, _SQL["profile"], {"student_id": student_id})
    frame = shorten_columns(frame, ("name", "sortable_name", "login_id", "sis_user_id",
                                    "removal_reason"))
    return frame.row(0, named=True) if frame.height else None


#: The Student page's course table as shown (and so its download).
COURSE_COLUMNS: dict[str, Column] = {
    "course_name": Column("Course", width=230),
    "section_name": Column("Section", width=110),
    "enrollment_state": Column("Enrollment", width=95),
    "current_score": Column("Current score", decimals=1, width=105),
    "current_grade": Column("Grade", width=60),
    "missing": Column("Missing", width=64),
    "late": Column("Late", width=48),
    "change_since_last_sync": Column(
        "Change", decimals=1, width=70,
        help="Change of the current score since the previous sync, in points"),
}
#: The Student page's assignments table as shown (and so its download).
ASSIGNMENT_COLUMNS: dict[str, Column] = {
    "course_label": Column("Course", width=80),
    "assignment_name": Column("Assignment", width=200),
    "due_at": Column("Due", width=175),
    "score": Column("Score", width=60),
    "points_possible": Column("Out of", width=60),
    "score_percent": Column("%", decimals=0, width=50),
    "status": Column("Status", width=100),
    "submitted_at": Column("Submitted", width=175),
}


def get_student_courses(student_id: int, *, cur: Cursor | None = None) -> pl.DataFrame:
    """Return a student's courses now with their score, work and change since the last sync.

    Columns: course_id, course_name, course_code, section_name, enrollment_state,
    current_score, current_grade, final_score, missing, late, change_since_last_sync,
    last_activity_at.
    """
    student_id = validate_id(student_id, "student id")
    with using(cur) as c:
        state = get_sync_state(cur=c)
        frame = read_frame(
            c, _SQL["courses_now"],
            {"student_id": student_id, "last_sync_id": state.last_sync_id,
             "previous_sync_id": state.previous_sync_id},
        )
    return shorten_columns(frame, ("course_name", "course_code", "section_name"))


def get_student_score_history(
    student_id: int, *, min_group_size: int = DEFAULT_MIN_GROUP_SIZE, cur: Cursor | None = None
) -> pl.DataFrame:
    """Return a student's course scores at every sync, with the class median then.

    Columns: sync_id, recorded_at, course_id, course_name, course_label, student_score,
    class_median (None where the class had fewer than ``min_group_size`` scores), class_size;
    by course, then sync.
    """
    student_id = validate_id(student_id, "student id")
    with using(cur) as c:
        frame = read_frame(c, _SQL["score_history"], {"student_id": student_id})
    frame = hide_small_groups(frame, "class_size", ("class_median",), min_group_size)
    return shorten_columns(frame, ("course_name", "course_label"))


def get_student_assignments(student_id: int, *, cur: Cursor | None = None) -> pl.DataFrame:
    """Return a student's assignments now with score and status in words.

    Columns: course_id, course_label, assignment_id, assignment_name, due_at,
    points_possible, score, grade, score_percent, status (excused, missing, late, late and
    graded, graded, submitted, not submitted), late, missing, excused, submitted_at.
    """
    student_id = validate_id(student_id, "student id")
    with using(cur) as c:
        frame = read_frame(c, _SQL["assignments_now"], {"student_id": student_id})
    return shorten_columns(frame, ("course_label", "assignment_name", "grade"))


def get_student_notes(student_id: int, *, cur: Cursor | None = None) -> pl.DataFrame:
    """Return a student's notes, newest first. Columns: note_id, student_id, body, created_at."""
    with using(cur) as c:
        return read_frame(
            c, _SQL["notes"], {"student_id": validate_id(student_id, "student id")}
        )


def get_student_progress_history(
    student_id: int, course_id: int | None = None, *, cur: Cursor | None = None
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
        return read_frame(
            c, _SQL["grade_changes"], {"student_id": student_id, "course_id": course_id}
        )
