"""Courses as they stand now."""

from __future__ import annotations

import polars as pl

from tracker_db.db import Cursor, read_frame, sql_file, using
from tracker_db.exports import Column
from tracker_db.privacy import DEFAULT_MIN_GROUP_SIZE, hide_small_groups
from tracker_db.read_models.display import shorten_columns
from tracker_db.read_models.sync_status import get_sync_state

_SQL = sql_file("read_models/courses")

#: The course overview as the Overview page shows it (and so its download); the widths fit a
#: 1400-pixel window beside the sidebar.
OVERVIEW_COLUMNS: dict[str, Column] = {
    "name": Column("Course", width=200),
    "course_code": Column("Code", width=80),
    "term_name": Column("Term", width=90),
    "students": Column("Students", width=72),
    "mean_score": Column("Mean", decimals=1, width=60, help="Mean current score (%)"),
    "median_score": Column("Median", decimals=1, width=65, help="Median current score (%)"),
    "missing_count": Column("Missing", width=64),
    "late_count": Column("Late", width=48),
    "tracked": Column("Tracked", width=66),
    "last_synced_at": Column("Last synced", width=175),
}


def get_course_overview(
    *, min_group_size: int = DEFAULT_MIN_GROUP_SIZE, cur: Cursor | None = None
) -> pl.DataFrame:
    """Return one row per active course with its students' scores and work.

    Columns: course_id, name, course_code, term_name, workflow_state, tracked, students
    (active students with a non-deleted enrollment), mean_score, median_score (current score,
    percent; None for a course of fewer than ``min_group_size`` students), missing_count,
    late_count (excused work left out), last_synced_at.
    """
    with using(cur) as c:
        state = get_sync_state(cur=c)
        frame = read_frame(c, _SQL["course_overview"], {"last_sync_id": state.last_sync_id})
    frame = hide_small_groups(frame, "students", ("mean_score", "median_score"), min_group_size)
    return shorten_columns(frame, ("name", "course_code", "term_name"))
