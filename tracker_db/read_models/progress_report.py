"""Progress reports: what a printable report holds for one student, or for a whole course
(a page per student). ``tracker_db.printable`` turns them into HTML for printing."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import polars as pl

from tracker_db.db import Cursor, sql_file, using
from tracker_db.errors import DataValidationError
from tracker_db.privacy import DEFAULT_MIN_GROUP_SIZE
from tracker_db.read_models.student_record import (
    get_student_assignments,
    get_student_courses,
    get_student_notes,
    get_student_profile,
    get_student_score_history,
)
from tracker_db.read_models.sync_status import get_sync_state
from tracker_db.validation import validate_id

_SQL = sql_file("read_models/progress_report")


@dataclass(frozen=True)
class StudentReport:
    """One student's report, as of the latest sync.

    Attributes:
        student_id: Canvas id.
        name: The name Canvas gives (the last known one, once Canvas dropped them).
        synced_at: When the data's sync ran (None before any).
        courses: Their courses now (``get_student_courses``), the course report's only.
        history: Course scores at every sync with the class median and size
            (``get_student_score_history``).
        assignments: Assignments with score and status (``get_student_assignments``).
        notes: The teacher's notes chosen to include (note_id, body, created_at).
    """

    student_id: int
    name: str
    synced_at: datetime | None
    courses: pl.DataFrame
    history: pl.DataFrame
    assignments: pl.DataFrame
    notes: pl.DataFrame


def _report(student_id: int, course_id: int | None, note_ids: set[str] | None,
            min_group_size: int, cur: Cursor) -> StudentReport | None:
    profile = get_student_profile(student_id, cur=cur)
    if profile is None:
        return None
    courses = get_student_courses(student_id, cur=cur)
    history = get_student_score_history(student_id, min_group_size=min_group_size, cur=cur)
    assignments = get_student_assignments(student_id, cur=cur)
    if course_id is not None:
        courses = courses.filter(pl.col("course_id") == course_id)
        history = history.filter(pl.col("course_id") == course_id)
        assignments = assignments.filter(pl.col("course_id") == course_id)
    notes = get_student_notes(student_id, cur=cur).select("note_id", "body", "created_at")
    notes = notes.filter(pl.col("note_id").is_in(sorted(note_ids or ())))
    return StudentReport(
        student_id=student_id, name=profile["name"] or f"student {student_id}",
        synced_at=get_sync_state(cur=cur).last_synced_at, courses=courses, history=history,
        assignments=assignments, notes=notes)


def get_student_report(
    student_id: int,
    *,
    note_ids: Iterable[str] = (),
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
    cur: Cursor | None = None,
) -> StudentReport | None:
    """Return one student's report over all their courses, or None for an unknown student.

    Args:
        student_id: Canvas id.
        note_ids: The teacher's notes to include (ids of ``get_student_notes``); others
            stay out.
        min_group_size: Class medians of fewer students are left out.
        cur: Cursor to use.

    Raises:
        DataValidationError: The id is not a Canvas id, or a note is not this student's.
    """
    student_id = validate_id(student_id, "student id")
    wanted = {str(n) for n in note_ids}
    with using(cur) as c:
        report = _report(student_id, None, wanted, min_group_size, c)
    if report is not None and len(report.notes) < len(wanted):
        raise DataValidationError(
            f"a note chosen for the report is not one of student {student_id}'s notes")
    return report


def get_course_report(
    course_id: int, *, min_group_size: int = DEFAULT_MIN_GROUP_SIZE, cur: Cursor | None = None
) -> list[StudentReport]:
    """Return a course's report: a page per student its default views show, by sortable
    name, each with that course only (notes stay out of a whole-course report; class
    medians of fewer than ``min_group_size`` students are left out).

    Raises:
        DataValidationError: The id is not a Canvas id.
    """
    course_id = validate_id(course_id, "course id")
    with using(cur) as c:
        ids = [i for (i,) in c.execute(_SQL["course_report_students"],
                                       {"course_id": course_id}).fetchall()]
        reports = [_report(i, course_id, None, min_group_size, c) for i in ids]
    return [r for r in reports if r is not None]
