"""Courses as they stand now."""

from __future__ import annotations

import polars as pl

from tracker_db.db import Cursor, sql_file, using
from tracker_db.read_models.display import shorten_columns
from tracker_db.read_models.sync_status import get_sync_state

_SQL = sql_file("read_models/courses")


def get_course_overview(*, cur: Cursor | None = None) -> pl.DataFrame:
    """Return one row per active course with its students' scores and work.

    Columns: course_id, name, course_code, term_name, workflow_state, tracked, students
    (active students with a non-deleted enrollment), mean_score, median_score (current score,
    percent), missing_count, late_count (excused work left out), last_synced_at.
    """
    with using(cur) as c:
        state = get_sync_state(cur=c)
        frame = c.execute(_SQL["course_overview"], {"last_sync_id": state.last_sync_id}).pl()
    return shorten_columns(frame, ("name", "course_code", "term_name"))
