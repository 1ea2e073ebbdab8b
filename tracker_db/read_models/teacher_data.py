"""The teachers' own data (layer 3) beside the Canvas objects it describes.

The ``*_table`` functions return the rows the Metadata page's editors show; saving an edited
table goes through ``tracker_db.edits`` with the same columns. The ``get_*`` functions return
what is stored, as it is.
"""

from __future__ import annotations

import polars as pl

from tracker_db.db import Cursor, like_pattern, read_frame, sql_file, using
from tracker_db.read_models.display import shorten_columns
from tracker_db.validation import validate_id

_SQL = sql_file("read_models/teacher_data")


def list_curricula(*, cur: Cursor | None = None) -> pl.DataFrame:
    """Return every curriculum with its courses.

    Columns: curriculum_id, name, description, color, start_date, course_ids (list), ordered by
    name.
    """
    with using(cur) as c:
        return read_frame(c, _SQL["curricula"])


def get_curricula_table(*, cur: Cursor | None = None) -> pl.DataFrame:
    """Return the curricula for the editor; course ids as text (the editor's options).

    Columns: curriculum_id, name, color, description, start_date, courses (list of course
    ids as text).
    """
    return list_curricula(cur=cur).select(
        "curriculum_id", "name", "color", "description", "start_date",
        pl.col("course_ids").cast(pl.List(pl.String)).alias("courses"),
    )


def get_course_metadata_table(*, cur: Cursor | None = None) -> pl.DataFrame:
    """Return every active course with the teacher's metadata, for the editor.

    Columns: course_id, name, course_code, notes, tags (list), color, course_hours, tracked.
    """
    with using(cur) as c:
        frame = read_frame(c, _SQL["course_metadata_rows"])
    return shorten_columns(frame, ("name", "course_code"))  # labels only, never saved


def get_assignment_metadata_table(course_id: int, *, cur: Cursor | None = None) -> pl.DataFrame:
    """Return one course's active assignments with the teacher's metadata, for the editor.

    Columns: assignment_id, name, due_at, points_possible, notes, tags (list), difficulty,
    estimated_hours.
    """
    with using(cur) as c:
        frame = read_frame(
            c, _SQL["assignment_metadata_rows"], {"course_id": validate_id(course_id, "course id")}
        )
    return shorten_columns(frame, ("name",))  # a label only, never saved


def get_student_metadata_table(
    course_id: int | None = None,
    search: str = "",
    *,
    limit: int = 500,
    include_inactive: bool = False,
    cur: Cursor | None = None,
) -> pl.DataFrame:
    """Return students with their tags and group, for the editor.

    Args:
        course_id: Only this course's students (None: everyone).
        search: Part of the name or login, or the exact Canvas id.
        limit: Most rows (by sortable name).
        include_inactive: Also students inactive or archived in layer 0.
        cur: Cursor to use.

    Returns:
        Columns student_id, name, tags (list), custom_group.
    """
    search = (search or "").strip()
    with using(cur) as c:
        frame = read_frame(
            c, _SQL["student_metadata_rows"],
            {
                "course_id": None if course_id is None else validate_id(course_id, "course id"),
                "search": search,
                "pattern": like_pattern(search),
                "limit": max(1, min(int(limit), 10_000)),
                "include_inactive": bool(include_inactive),
            },
        )
    return shorten_columns(frame, ("name",))  # a label only, never saved


def distinct_tags(*frames: pl.DataFrame, column: str = "tags") -> list[str]:
    """Return the tags used in the list column ``column`` of the frames, sorted; the
    editors offer them as choices."""
    tags: set[str] = set()
    for frame in frames:
        if column in frame.columns and frame.height:
            tags.update(t for t in frame[column].explode().drop_nulls().to_list() if t)
    return sorted(tags, key=str.lower)


def get_course_metadata(*, cur: Cursor | None = None) -> pl.DataFrame:
    """Return stored course metadata. Columns: course_id, notes, tags, color, course_hours,
    tracking_enabled."""
    with using(cur) as c:
        return read_frame(c, _SQL["stored_course_metadata"])


def get_assignment_metadata(*, cur: Cursor | None = None) -> pl.DataFrame:
    """Return stored assignment metadata. Columns: assignment_id, notes, tags, difficulty,
    estimated_hours."""
    with using(cur) as c:
        return read_frame(c, _SQL["stored_assignment_metadata"])


def get_student_metadata(*, cur: Cursor | None = None) -> pl.DataFrame:
    """Return every student's tags and group. Columns: student_id, tags, custom_group."""
    with using(cur) as c:
        return read_frame(c, _SQL["stored_student_metadata"])
