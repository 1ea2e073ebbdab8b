"""A course or a curriculum over time, and how its scores spread.

A scope is some courses and/or a curriculum (``meta.scope_courses``). Scores over time are
rebuilt from layer 2 (a history row holds from its sync until the next row of its key);
submitted shares come from the summary schema the sync writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from tracker_db.db import Cursor, read_frame, scalar, sql_file, using
from tracker_db.privacy import DEFAULT_MIN_GROUP_SIZE, drop_small_groups, hide_small_groups
from tracker_db.read_models.display import shorten_columns
from tracker_db.validation import validate_id

_SQL = sql_file("read_models/trends")


def _scoped(
    statement: str,
    course_ids: Sequence[int],
    curriculum_id: str | None,
    include_inactive: bool,
    cur: Cursor | None,
) -> pl.DataFrame:
    params: dict[str, Any] = {
        "course_ids": [validate_id(v, "course id") for v in course_ids],
        "curriculum_id": curriculum_id or None,
        "include_inactive": bool(include_inactive),
    }
    with using(cur) as c:
        frame = read_frame(c, _SQL[statement], params)
    return shorten_columns(frame, ("course_label", "student_name"))


def get_score_trend(
    course_ids: Sequence[int] = (),
    curriculum_id: str | None = None,
    *,
    include_inactive: bool = False,
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
    cur: Cursor | None = None,
) -> pl.DataFrame:
    """Return course scores over time for some courses and/or a curriculum.

    Columns: sync_id, recorded_at, students, mean_score, median_score, q1_score, q3_score
    (the scores None at a sync with fewer than ``min_group_size`` students); one row per
    successful sync with at least one score.
    """
    frame = _scoped("score_trend", course_ids, curriculum_id, include_inactive, cur)
    return hide_small_groups(frame, "students",
                             ("mean_score", "median_score", "q1_score", "q3_score"),
                             min_group_size)


def get_submission_trend(
    course_ids: Sequence[int] = (),
    curriculum_id: str | None = None,
    *,
    include_inactive: bool = False,
    cur: Cursor | None = None,
) -> pl.DataFrame:
    """Return the share of due, non-excused work submitted at every sync.

    Columns: sync_id, recorded_at, due_pairs, submitted_pairs, submitted_share (0-1).
    """
    return _scoped("submission_trend", course_ids, curriculum_id, include_inactive, cur)


def get_course_distribution(
    course_ids: Sequence[int] = (),
    curriculum_id: str | None = None,
    *,
    include_inactive: bool = False,
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
    cur: Cursor | None = None,
) -> pl.DataFrame:
    """Return current course scores of every student in some courses and/or a curriculum.

    Columns: course_id, course_label, student_id, student_name, current_score; courses with
    fewer than ``min_group_size`` scores are left out.
    """
    frame = _scoped("course_distribution", course_ids, curriculum_id, include_inactive, cur)
    return drop_small_groups(frame, ("course_id",), min_group_size)


def get_assignment_distribution(
    course_id: int,
    *,
    include_inactive: bool = False,
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
    cur: Cursor | None = None,
) -> pl.DataFrame:
    """Return every graded, non-excused score of one course's assignments now.

    Columns: assignment_id, assignment_name, position, due_at, points_possible, student_id,
    student_name, score, score_percent, status (missing, late, on time); by due date.
    Assignments with fewer than ``min_group_size`` graded scores are left out.
    """
    with using(cur) as c:
        frame = read_frame(
            c, _SQL["assignment_distribution"],
            {"course_id": validate_id(course_id, "course id"),
             "include_inactive": bool(include_inactive)},
        )
    frame = drop_small_groups(frame, ("assignment_id",), min_group_size)
    return shorten_columns(frame, ("assignment_name", "student_name"))


def get_curriculum_courses(curriculum_id: str, *, cur: Cursor | None = None) -> list[int]:
    """Return the ids of a curriculum's courses (empty if it has none or does not exist)."""
    with using(cur) as c:
        ids = scalar(c, _SQL["curriculum_course_ids"], [curriculum_id])
    return [int(x) for x in ids or []]
