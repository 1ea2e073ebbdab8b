"""Finding students: the filter choices, the filtered students table, and a name search.

Course-level filters (curriculum, course, section, enrollment state) pick enrollments; the
table reads the summary schema the sync writes, so it costs the same at any program size.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

import polars as pl

from tracker_db.db import Cursor, like_pattern, read_frame, sql_file, using
from tracker_db.errors import DataValidationError
from tracker_db.exports import Column, to_csv
from tracker_db.read_models.display import shorten, shorten_columns
from tracker_db.read_models.flags import (
    flags_in_summary,
    get_flagged_student_ids,
    get_flagged_students,
)
from tracker_db.read_models.preferences import zone_info
from tracker_db.validation import validate_id

_SQL = sql_file("read_models/roster")

#: Rows the students table shows at most; the page says how many matched in all.
DEFAULT_STUDENT_LIMIT = 500


@dataclass(frozen=True)
class FilterOptions:
    """The choices the filters offer.

    Attributes:
        curricula: ``(curriculum_id, name)`` pairs.
        courses: ``(course_id, label)`` pairs (active courses).
        sections: ``(section_id, label, course_id)`` triples.
        tags: Student tags in use.
        groups: Custom groups in use.
        states: Enrollment states present (``deleted`` never offered).
    """

    curricula: list[tuple[str, str]] = field(default_factory=list)
    courses: list[tuple[int, str]] = field(default_factory=list)
    sections: list[tuple[int, str, int]] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    states: list[str] = field(default_factory=list)

    def curriculum_name(self, curriculum_id: str) -> str:
        """Return a curriculum's name (its id if unknown)."""
        return dict(self.curricula).get(curriculum_id, curriculum_id)

    def course_label(self, course_id: int) -> str:
        """Return a course's label (``course <id>`` if unknown)."""
        return dict(self.courses).get(course_id, f"course {course_id}")

    def sections_for(self, course_ids: Iterable[int]) -> list[tuple[int, str]]:
        """Return ``(section_id, label)`` of the given courses' sections (all when empty).

        Labels carry the course when several courses are involved, so "Section 01" of two
        courses can be told apart.
        """
        wanted = set(course_ids)
        chosen = [s for s in self.sections if not wanted or s[2] in wanted]
        if len({s[2] for s in chosen}) <= 1:
            return [(section_id, label) for section_id, label, _ in chosen]
        names = dict(self.courses)
        return [
            (section_id, f"{label} ({names.get(course_id, course_id)})")
            for section_id, label, course_id in chosen
        ]


def get_filter_options(*, cur: Cursor | None = None) -> FilterOptions:
    """Return the curricula, courses, sections, tags, groups and states to filter by."""
    with using(cur) as c:
        frame = shorten_columns(read_frame(c, _SQL["filter_options"]), ("label",))
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for row in frame.iter_rows(named=True):
        by_kind.setdefault(row["kind"], []).append(row)
    return FilterOptions(
        curricula=[(r["value"], r["label"]) for r in by_kind.get("curriculum", [])],
        courses=[(int(r["value"]), r["label"]) for r in by_kind.get("course", [])],
        sections=[
            (int(r["value"]), r["label"], int(r["parent"])) for r in by_kind.get("section", [])
        ],
        tags=[r["value"] for r in by_kind.get("tag", [])],
        groups=[r["value"] for r in by_kind.get("group", [])],
        states=[r["value"] for r in by_kind.get("state", [])],
    )


@dataclass(frozen=True)
class StudentFilters:
    """What the students table is filtered by; empty means "no filter".

    Attributes:
        curricula: Curriculum ids: students enrolled in any of their courses.
        course_ids: Students enrolled in any of these courses.
        section_ids: Students enrolled in any of these sections.
        tags: Students carrying any of these tags.
        groups: Students in any of these custom groups.
        states: Enrollments in any of these states.
        search: Part of the name, sortable name, login or SIS id, or the exact Canvas id.
        include_inactive: Also show students inactive or archived in layer 0.
        flagged: Only students with an open flag (in the chosen courses or curricula).
        below_score: Only students with a current score below it (percent) in a course
            the row shows; None for all.
    """

    curricula: tuple[str, ...] = ()
    course_ids: tuple[int, ...] = ()
    section_ids: tuple[int, ...] = ()
    tags: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    states: tuple[str, ...] = ()
    search: str = ""
    include_inactive: bool = False
    flagged: bool = False
    below_score: float | None = None

    @property
    def course_level(self) -> bool:
        """Whether a filter picks enrollments (then rows show only the matching courses)."""
        return bool(self.curricula or self.course_ids or self.section_ids or self.states)

    @property
    def column_per_course(self) -> bool:
        """Whether the table has a score column per course: a curriculum or several courses
        are chosen."""
        return bool(self.curricula) or len(set(self.course_ids)) > 1


@dataclass(frozen=True)
class StudentTable:
    """One page of the students table.

    Attributes:
        rows: Columns student_id, name, courses, enrollment_states and current_scores (both
            in the order of courses),
            mean_score, missing, late, change_since_last_sync (mean over the courses, in
            points; None before a second sync), tags, custom_group, flags (the open flags
            in words), then with a column per course ``score_<course id>``.
        total: How many students matched the filters in all.
        limit: The most rows a page holds.
        columns: The columns as the page shows them, in order (``STUDENT_COLUMNS`` and
            the per-course ones).
    """

    rows: pl.DataFrame
    total: int
    limit: int
    columns: dict[str, Column] = field(default_factory=dict)

    @property
    def truncated(self) -> bool:
        """Whether more students matched than the page shows."""
        return self.total > self.rows.height


STUDENT_TABLE_SCHEMA: dict[str, pl.DataType] = {
    "student_id": pl.Int64(),
    "name": pl.String(),
    "courses": pl.String(),
    "enrollment_states": pl.String(),
    "current_scores": pl.String(),
    "mean_score": pl.Float64(),
    "missing": pl.Int64(),
    "late": pl.Int64(),
    "change_since_last_sync": pl.Float64(),
    "tags": pl.String(),
    "custom_group": pl.String(),
    "flags": pl.String(),
}


def _ids(values: Iterable[object], what: str) -> list[int]:
    return [validate_id(v, what) for v in values]


def _score_limit(value: float | None) -> float | None:
    if value is None:
        return None
    try:
        limit = float(value)
    except (TypeError, ValueError) as e:
        raise DataValidationError(f"Score below: {value!r} is not a number") from e
    if not 0 <= limit <= 1000:  # finite too: NaN fails both comparisons
        raise DataValidationError(
            f"Score below: {value!r} is not a percentage from 0 to 1000")
    return limit


def get_students_table(
    filters: StudentFilters | None = None,
    *,
    limit: int = DEFAULT_STUDENT_LIMIT,
    cur: Cursor | None = None,
) -> StudentTable:
    """Return the students matching ``filters``, by sortable name, at most ``limit`` of them.

    Course-level filters (curriculum, course, section, enrollment state) pick enrollments: a
    student matches when one of theirs does, and the row then shows only those courses.

    Args:
        filters: What to filter by (default: nothing).
        limit: Most rows to return (1 to 10,000).
        cur: Cursor to use.

    Returns:
        The page of rows and the total number of matches.

    Raises:
        DataValidationError: A filter value is not one (an id, the score limit).
    """
    f = filters or StudentFilters()
    limit = max(1, min(int(limit), 10_000))
    below_score = _score_limit(f.below_score)
    with using(cur) as c:
        # Who is flagged at all only when the filter asks, inside the query while
        # summary.flags is current (a program's ids as a parameter cost more than the query);
        # the flags in words are looked up for the page's students alone, below.
        in_summary = f.flagged and flags_in_summary(cur=c)
        flagged_ids = (get_flagged_student_ids(course_ids=f.course_ids, curricula=f.curricula,
                                               cur=c) if f.flagged and not in_summary else [])
        frame = read_frame(
            c, _SQL["students_table"],
            {
                "curricula": [str(v) for v in f.curricula],
                "course_ids": _ids(f.course_ids, "course id"),
                "section_ids": _ids(f.section_ids, "section id"),
                "tags": [str(v) for v in f.tags],
                "groups": [str(v) for v in f.groups],
                "states": [str(v) for v in f.states],
                "search": f.search.strip(),
                "include_inactive": bool(f.include_inactive),
                "limit": limit,
                # without course-level filters, students come from summary.students alone
                "person_level": not f.course_level,
                "flagged_only": f.flagged,
                "flags_in_summary": in_summary,
                "flagged_ids": flagged_ids,
                "below_score": below_score,
            },
        )
        flagged = get_flagged_students(
            course_ids=f.course_ids, curricula=f.curricula,
            student_ids=frame["student_id"].to_list(), cur=c) if frame.height else None
    total = int(frame["total"][0]) if frame.height else 0
    course_scores = frame.select("student_id", "course_scores") if frame.height else None
    rows = (frame.drop("total", "course_scores") if frame.height
            else pl.DataFrame(schema={k: v for k, v in STUDENT_TABLE_SCHEMA.items()
                                      if k != "flags"}))
    if flagged is not None:
        rows = rows.join(flagged.select("student_id", "flags"), on="student_id", how="left")
    else:
        rows = rows.with_columns(flags=pl.lit(None, dtype=pl.String))
    rows = shorten_columns(rows, ("name", "courses", "tags", "custom_group"))
    rows = rows.cast(STUDENT_TABLE_SCHEMA)  # type: ignore[arg-type]
    columns = dict(STUDENT_COLUMNS)
    if f.column_per_course and course_scores is not None:
        rows, per_course = _column_per_course(rows, course_scores)
        columns.update(per_course)
    return StudentTable(rows=rows, total=total, limit=limit, columns=columns)


def _column_per_course(
    rows: pl.DataFrame, course_scores: pl.DataFrame
) -> tuple[pl.DataFrame, dict[str, Column]]:
    # One score column per course shown, ordered by the course's label (as in "courses").
    scores = course_scores.explode("course_scores").unnest("course_scores")
    courses = scores.select("course_id", "label").unique().sort("label", "course_id")
    columns = {
        f"score_{cid}": Column(shorten(label, 40) or str(cid), decimals=1, width=80,
                               help=f"Current score (%) in {label}")
        for cid, label in courses.iter_rows()
    }
    wide = scores.pivot(on="course_id", index="student_id", values="score",
                        aggregate_function="first")
    wide = wide.rename({c: f"score_{c}" for c in wide.columns if c != "student_id"})
    wide = wide.select("student_id", *[pl.col(n).cast(pl.Float64) for n in columns])
    return rows.join(wide, on="student_id", how="left"), columns


#: The students table as the page shows it, column by column (and so the download too).
#: The widths add up to what fits a 1400-pixel window beside the sidebar; a longer cell
#: ends in an ellipsis and shows whole on hover.
STUDENT_COLUMNS: dict[str, Column] = {
    "student_id": Column("Canvas id", width=72),
    "name": Column("Name", width=120),
    "courses": Column("Courses", width=100),
    "enrollment_states": Column(
        "Enrollment", width=90,
        help="Each course's enrollment, in the order listed: active, invited, inactive or "
        "completed (as Canvas says), or removed (Canvas no longer lists the student there; "
        "shown with Include inactive students)"),
    "current_scores": Column(
        "Scores", width=85, help="Current score (%) in each course, in the order listed"),
    "mean_score": Column("Mean", decimals=1, width=60,
                         help="Mean of the current course scores (%)"),
    "missing": Column("Missing", width=64),
    "late": Column("Late", width=48),
    "change_since_last_sync": Column(
        "Change", decimals=1, width=58,
        help="Mean change of the course scores since the previous sync, in points"),
    "tags": Column("Tags", width=60),
    "custom_group": Column("Group", width=56),
    "flags": Column("Flags", width=80,
                    help="Open flags, with their courses (the Overview lists why each fired)"),
}


def students_csv(rows: pl.DataFrame, columns: dict[str, Column] | None = None) -> bytes:
    """Return the rows as the page shows them (``StudentTable.columns``; default the
    ``STUDENT_COLUMNS``), as CSV safe to open in a spreadsheet."""
    return to_csv(rows, columns or STUDENT_COLUMNS)


def search_students(text: str, limit: int = 50, *, cur: Cursor | None = None) -> pl.DataFrame:
    """Return students whose name, login or SIS id contains ``text`` (or whose id it is).

    Students Canvas no longer lists are found by the name last seen.

    Columns: student_id, name, sortable_name; by sortable name, at most ``limit`` rows.
    """
    search = (text or "").strip()
    with using(cur) as c:
        frame = read_frame(
            c, _SQL["student_search"],
            {"search": search, "pattern": like_pattern(search),
             "limit": max(1, min(int(limit), 1000))},
        )
    return shorten_columns(frame, ("name", "sortable_name"))


def get_known_student_ids(*, cur: Cursor | None = None) -> list[int]:
    """Return the id of every student the tracker knows, those Canvas no longer lists
    included (the ones ``search_students`` can find), in order."""
    with using(cur) as c:
        return [i for (i,) in c.execute(_SQL["known_student_ids"]).fetchall()]


#: The list of students who left a course, as the page shows it (and so its download); the
#: widths, with the selection column, fit a 1400-pixel window beside the sidebar.
DEPARTURE_COLUMNS: dict[str, Column] = {
    "student_id": Column("Canvas id", width=80),
    "student_name": Column("Student", width=170),
    "course_name": Column("Course", width=190),
    "left_at": Column("Left", width=175, help="When the sync that first saw them gone ran"),
    "reason": Column("Why", width=180),
    "last_score": Column("Last score", decimals=1, width=85,
                         help="The last current score history holds for the course (%)"),
}


def get_departures(
    since: date | datetime,
    course_ids: Iterable[int] = (),
    *,
    time_zone: str = "UTC",
    cur: Cursor | None = None,
) -> pl.DataFrame:
    """Return the students who left a course since ``since``, newest first.

    Students the tracker saw active in a course whose enrollment then ended (dropped,
    deleted, inactive or completed) and has not come back; a course the teacher switched off
    is no departure. Read from ``lifecycle.enrollment_changes``.

    Args:
        since: A day (its start in ``time_zone``) or a moment.
        course_ids: Only these courses (empty: every course).
        time_zone: The zone a day is read in.
        cur: Cursor to use.

    Returns:
        Columns: course_id, course_name, student_id, student_name, left_at, reason,
        last_score.
    """
    if isinstance(since, datetime):
        moment = since if since.tzinfo else since.replace(tzinfo=zone_info(time_zone))
    elif isinstance(since, date):
        moment = datetime.combine(since, time(0), tzinfo=zone_info(time_zone))
    else:
        raise DataValidationError(f"since must be a date, got {since!r}")
    with using(cur) as c:
        frame = read_frame(c, _SQL["departures"], {
            "since": moment, "course_ids": _ids(course_ids, "course id"),
        })
    return shorten_columns(frame, ("course_name", "student_name"))


def departures_csv(rows: pl.DataFrame) -> bytes:
    """Return the departures as the page shows them, as CSV safe to open in a spreadsheet."""
    return to_csv(rows, DEPARTURE_COLUMNS)
