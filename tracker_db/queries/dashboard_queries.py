"""Read queries behind the dashboard pages; each returns plain data (polars frames or
dataclasses) ready to show, so pages only read widgets, call these, and render.

Default views show only active, non-archived objects (layer 0, ``lifecycle.object_status``;
objects without a row count as active). Functions that list students take
``include_inactive`` to lift that filter.

"Change since the last sync" compares a value now with its value at the previous successful
sync. History rows are appended only when a value changes, so the value of a key at sync N is
its latest row with ``sync_id <= N``; the SQL in ``sql/queries/dash_*.sql`` computes that for
the rows a page shows, not for the whole program.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb
import polars as pl

from tracker_db.operations.metadata_ops import get_student_notes, list_curricula, validate_id
from tracker_db.session import using
from tracker_db.sql_files import query

#: Rows the Students table shows at most; the page says how many matched in all.
DEFAULT_STUDENT_LIMIT = 500

#: Headings of the "needs attention" lists, in display order.
NEEDS_ATTENTION_KINDS: dict[str, str] = {
    "low_score": "Lowest current scores",
    "missing_work": "Most missing work",
    "score_drop": "Biggest drops since the previous sync",
}
#: What each list means, in words, for the page.
NEEDS_ATTENTION_HELP: dict[str, str] = {
    "low_score": "Active enrollments with the lowest current course score, next to the "
                 "course median.",
    "missing_work": "Students with the most submissions Canvas marks missing (excused work "
                    "not counted), across their courses.",
    "score_drop": "Course scores that fell the most between the previous successful sync and "
                  "the latest one.",
}


# ---------------------------------------------------------------------------------------------
# Sync state (sidebar, data version, empty states)


@dataclass(frozen=True)
class SyncState:
    """Where the database stands with syncs.

    Attributes:
        last_sync_id: The latest successful sync, None before the first one.
        previous_sync_id: The successful sync before it (None if there is none).
        last_synced_at: When the latest successful sync finished (UTC).
        succeeded_runs: How many syncs succeeded.
        last_attempt_id: The latest attempt of any outcome.
        last_attempt_status: ``"succeeded"`` or ``"failed"``.
        last_attempt_at: When the latest attempt finished.
        last_attempt_error: Its error text if it failed.
    """

    last_sync_id: int | None = None
    previous_sync_id: int | None = None
    last_synced_at: datetime | None = None
    succeeded_runs: int = 0
    last_attempt_id: int | None = None
    last_attempt_status: str | None = None
    last_attempt_at: datetime | None = None
    last_attempt_error: str | None = None

    @property
    def has_data(self) -> bool:
        """Whether at least one sync succeeded (the pages have something to show)."""
        return self.succeeded_runs > 0

    @property
    def last_attempt_failed(self) -> bool:
        """Whether the most recent attempt failed (the data shown is from an earlier one)."""
        return self.last_attempt_status == "failed"


def get_sync_state(*, cur: duckdb.DuckDBPyConnection | None = None) -> SyncState:
    """Return the latest successful sync, the one before it, and the latest attempt."""
    with using(cur) as c:
        row = c.execute(query("dash_sync_state")).pl().row(0, named=True)
    return SyncState(
        last_sync_id=row["last_sync_id"],
        previous_sync_id=row["previous_sync_id"],
        last_synced_at=row["last_synced_at"],
        succeeded_runs=int(row["succeeded_runs"] or 0),
        last_attempt_id=row["last_attempt_id"],
        last_attempt_status=row["last_attempt_status"],
        last_attempt_at=row["last_attempt_at"],
        last_attempt_error=row["last_attempt_error"],
    )


def format_age(moment: datetime | None, now: datetime | None = None) -> str:
    """Say how long ago ``moment`` was, in words ("just now", "3 hours ago", "never").

    Args:
        moment: A timezone-aware time, or None.
        now: The present (default: the clock), for tests.
    """
    if moment is None:
        return "never"
    now = now or datetime.now(UTC)
    seconds = (now - moment).total_seconds()
    if seconds < 0:
        return "in the future (check the clock)"
    if seconds < 60:
        return "just now"
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'' if count == 1 else 's'} ago"
    return "just now"  # pragma: no cover - the loop always returns


# ---------------------------------------------------------------------------------------------
# Overview


def get_course_overview(*, cur: duckdb.DuckDBPyConnection | None = None) -> pl.DataFrame:
    """Return one row per active course with its students' scores and work.

    Columns: course_id, name, course_code, term_name, workflow_state, tracked, students
    (active students with a non-deleted enrollment), mean_score, median_score (current score,
    percent), missing_count, late_count (excused work left out), last_synced_at.
    """
    with using(cur) as c:
        state = get_sync_state(cur=c)
        return c.execute(
            query("dash_course_overview"), {"last_sync_id": state.last_sync_id}
        ).pl()


def get_needs_attention(
    limit: int = 10, *, cur: duckdb.DuckDBPyConnection | None = None
) -> dict[str, pl.DataFrame]:
    """Return the students who need attention, each with the reason in words.

    Three lists of at most ``limit`` rows (see ``NEEDS_ATTENTION_KINDS``): the lowest current
    scores in active enrollments, the most missing work, and the biggest drops of a course
    score since the previous successful sync.

    Returns:
        One frame per kind, in ``NEEDS_ATTENTION_KINDS`` order (empty when nothing
        qualifies). Columns: student_id, student_name, course_id, course_name (None for
        missing work, which spans courses), value (score, count, or change in points),
        explanation.
    """
    limit = max(1, min(int(limit), 100))
    with using(cur) as c:
        frame = c.execute(query("dash_needs_attention"), {"limit": limit}).pl()
    frame = frame.drop("kind_order")
    return {
        kind: frame.filter(pl.col("kind") == kind).drop("kind")
        for kind in NEEDS_ATTENTION_KINDS
    }


# ---------------------------------------------------------------------------------------------
# Students


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


def get_filter_options(*, cur: duckdb.DuckDBPyConnection | None = None) -> FilterOptions:
    """Return the curricula, courses, sections, tags, groups and states to filter by."""
    with using(cur) as c:
        frame = c.execute(query("dash_filter_options")).pl()
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
    """What the Students table is filtered by; empty means "no filter".

    Attributes:
        curricula: Curriculum ids: students enrolled in any of their courses.
        course_ids: Students enrolled in any of these courses.
        section_ids: Students enrolled in any of these sections.
        tags: Students carrying any of these tags.
        groups: Students in any of these custom groups.
        states: Enrollments in any of these states.
        search: Part of the name, sortable name, login or SIS id, or the exact Canvas id.
        include_inactive: Also show students inactive or archived in layer 0.
    """

    curricula: tuple[str, ...] = ()
    course_ids: tuple[int, ...] = ()
    section_ids: tuple[int, ...] = ()
    tags: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    states: tuple[str, ...] = ()
    search: str = ""
    include_inactive: bool = False


@dataclass(frozen=True)
class StudentTable:
    """One page of the Students table.

    Attributes:
        rows: Columns student_id, name, courses, current_scores (same order as courses),
            mean_score, missing, late, change_since_last_sync (mean over the courses, in
            points; None before a second sync), tags, custom_group.
        total: How many students matched the filters in all.
        limit: The most rows a page holds.
    """

    rows: pl.DataFrame
    total: int
    limit: int

    @property
    def truncated(self) -> bool:
        """Whether more students matched than the page shows."""
        return self.total > self.rows.height


STUDENT_TABLE_SCHEMA: dict[str, pl.DataType] = {
    "student_id": pl.Int64(),
    "name": pl.String(),
    "courses": pl.String(),
    "current_scores": pl.String(),
    "mean_score": pl.Float64(),
    "missing": pl.Int64(),
    "late": pl.Int64(),
    "change_since_last_sync": pl.Float64(),
    "tags": pl.String(),
    "custom_group": pl.String(),
}


def like_pattern(text: str) -> str:
    """Return an ILIKE pattern matching ``text`` anywhere, its wildcards taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _ids(values: Iterable[object], what: str) -> list[int]:
    return [validate_id(v, what) for v in values]


def _texts(values: Iterable[object]) -> list[str]:
    return [str(v) for v in values]


def get_students_table(
    filters: StudentFilters | None = None,
    *,
    limit: int = DEFAULT_STUDENT_LIMIT,
    cur: duckdb.DuckDBPyConnection | None = None,
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
    """
    f = filters or StudentFilters()
    limit = max(1, min(int(limit), 10_000))
    search = f.search.strip()
    with using(cur) as c:
        frame = c.execute(
            query("dash_students"),
            {
                "curricula": _texts(f.curricula),
                "course_ids": _ids(f.course_ids, "course id"),
                "section_ids": _ids(f.section_ids, "section id"),
                "tags": _texts(f.tags),
                "groups": _texts(f.groups),
                "states": _texts(f.states),
                "search": search,
                "include_inactive": bool(f.include_inactive),
                "limit": limit,
                # without course-level filters, students come from summary.students alone
                "person_level": not (f.curricula or f.course_ids or f.section_ids or f.states),
            },
        ).pl()
    total = int(frame["total"][0]) if frame.height else 0
    rows = frame.drop("total") if frame.height else pl.DataFrame(schema=STUDENT_TABLE_SCHEMA)
    return StudentTable(rows=rows.cast(STUDENT_TABLE_SCHEMA), total=total, limit=limit)  # type: ignore[arg-type]


def students_csv(rows: pl.DataFrame) -> bytes:
    """Return the rows exactly as shown, as UTF-8 CSV (with a BOM, so Excel reads accents)."""
    return b"\xef\xbb\xbf" + rows.write_csv().encode("utf-8")


def search_students(
    text: str, limit: int = 50, *, cur: duckdb.DuckDBPyConnection | None = None
) -> pl.DataFrame:
    """Return students whose name, login or SIS id contains ``text`` (or whose id it is).

    Columns: student_id, name, sortable_name; by sortable name, at most ``limit`` rows.
    """
    search = (text or "").strip()
    with using(cur) as c:
        return c.execute(
            query("dash_student_search"),
            {"search": search, "pattern": like_pattern(search),
             "limit": max(1, min(int(limit), 1000))},
        ).pl()


# ---------------------------------------------------------------------------------------------
# One student


def get_student_profile(
    student_id: int, *, cur: duckdb.DuckDBPyConnection | None = None
) -> dict[str, Any] | None:
    """Return who a student is, or None if the tracker has never seen the id.

    Keys: student_id, name (the last known one once Canvas dropped them), sortable_name,
    login_id, sis_user_id, in_canvas, tags (list), custom_group, active, archived,
    removal_reason.
    """
    student_id = validate_id(student_id, "student id")
    with using(cur) as c:
        frame = c.execute(query("dash_student_profile"), {"student_id": student_id}).pl()
    return frame.row(0, named=True) if frame.height else None


def get_student_courses(
    student_id: int, *, cur: duckdb.DuckDBPyConnection | None = None
) -> pl.DataFrame:
    """Return a student's courses now with their score, work and change since the last sync.

    Columns: course_id, course_name, course_code, section_name, enrollment_state,
    current_score, current_grade, final_score, missing, late, change_since_last_sync,
    last_activity_at.
    """
    student_id = validate_id(student_id, "student id")
    with using(cur) as c:
        state = get_sync_state(cur=c)
        return c.execute(
            query("dash_student_courses"),
            {"student_id": student_id, "last_sync_id": state.last_sync_id,
             "previous_sync_id": state.previous_sync_id},
        ).pl()


def get_student_score_history(
    student_id: int, *, cur: duckdb.DuckDBPyConnection | None = None
) -> pl.DataFrame:
    """Return a student's course scores at every sync, with the class median then.

    Columns: sync_id, recorded_at, course_id, course_name, course_label, student_score,
    class_median, class_size; by course, then sync.
    """
    student_id = validate_id(student_id, "student id")
    with using(cur) as c:
        return c.execute(query("dash_student_score_history"), {"student_id": student_id}).pl()


def get_student_assignments(
    student_id: int, *, cur: duckdb.DuckDBPyConnection | None = None
) -> pl.DataFrame:
    """Return a student's assignments now with score and status in words.

    Columns: course_id, course_label, assignment_id, assignment_name, due_at,
    points_possible, score, grade, score_percent, status (excused, missing, late, late and
    graded, graded, submitted, not submitted), late, missing, excused, submitted_at.
    """
    student_id = validate_id(student_id, "student id")
    with using(cur) as c:
        return c.execute(query("dash_student_assignments"), {"student_id": student_id}).pl()


# ---------------------------------------------------------------------------------------------
# Progress


def _scope(course_ids: Sequence[int], curriculum_id: str | None) -> dict[str, Any]:
    return {
        "course_ids": _ids(course_ids, "course id"),
        "curriculum_id": curriculum_id or None,
    }


def get_score_trend(
    course_ids: Sequence[int] = (),
    curriculum_id: str | None = None,
    *,
    include_inactive: bool = False,
    cur: duckdb.DuckDBPyConnection | None = None,
) -> pl.DataFrame:
    """Return course scores over time for some courses and/or a curriculum.

    Columns: sync_id, recorded_at, students, mean_score, median_score, q1_score, q3_score;
    one row per successful sync with at least one score.
    """
    with using(cur) as c:
        return c.execute(
            query("dash_score_trend"),
            {**_scope(course_ids, curriculum_id), "include_inactive": bool(include_inactive)},
        ).pl()


def get_submission_trend(
    course_ids: Sequence[int] = (),
    curriculum_id: str | None = None,
    *,
    include_inactive: bool = False,
    cur: duckdb.DuckDBPyConnection | None = None,
) -> pl.DataFrame:
    """Return the share of due, non-excused work submitted at every sync.

    Columns: sync_id, recorded_at, due_pairs, submitted_pairs, submitted_share (0-1).
    """
    with using(cur) as c:
        return c.execute(
            query("dash_submission_trend"),
            {**_scope(course_ids, curriculum_id), "include_inactive": bool(include_inactive)},
        ).pl()


def get_assignment_distribution(
    course_id: int,
    *,
    include_inactive: bool = False,
    cur: duckdb.DuckDBPyConnection | None = None,
) -> pl.DataFrame:
    """Return every graded, non-excused score of one course's assignments now.

    Columns: assignment_id, assignment_name, position, due_at, points_possible, student_id,
    student_name, score, score_percent, status (missing, late, on time); by due date.
    """
    with using(cur) as c:
        return c.execute(
            query("dash_assignment_distribution"),
            {"course_id": validate_id(course_id, "course id"),
             "include_inactive": bool(include_inactive)},
        ).pl()


def get_course_distribution(
    course_ids: Sequence[int] = (),
    curriculum_id: str | None = None,
    *,
    include_inactive: bool = False,
    cur: duckdb.DuckDBPyConnection | None = None,
) -> pl.DataFrame:
    """Return current course scores of every student in some courses and/or a curriculum.

    Columns: course_id, course_label, student_id, student_name, current_score.
    """
    with using(cur) as c:
        return c.execute(
            query("dash_course_distribution"),
            {**_scope(course_ids, curriculum_id), "include_inactive": bool(include_inactive)},
        ).pl()


def get_curriculum_courses(
    curriculum_id: str, *, cur: duckdb.DuckDBPyConnection | None = None
) -> list[int]:
    """Return the ids of a curriculum's courses (empty if it has none or does not exist)."""
    frame = list_curricula(cur=cur).filter(pl.col("curriculum_id") == curriculum_id)
    return [int(x) for x in frame["course_ids"][0]] if frame.height else []


# ---------------------------------------------------------------------------------------------
# Metadata editors


def get_curricula_table(*, cur: duckdb.DuckDBPyConnection | None = None) -> pl.DataFrame:
    """Return the curricula for the editor; course ids as text (the editor's options).

    Columns: curriculum_id, name, color, description, start_date, courses (list of course
    ids as text).
    """
    frame = list_curricula(cur=cur)
    return frame.select(
        "curriculum_id", "name", "color", "description", "start_date",
        pl.col("course_ids").cast(pl.List(pl.String)).alias("courses"),
    )


def get_course_metadata_table(*, cur: duckdb.DuckDBPyConnection | None = None) -> pl.DataFrame:
    """Return every active course with the teacher's metadata, for the editor.

    Columns: course_id, name, course_code, notes, tags (list), color, course_hours, tracked.
    """
    with using(cur) as c:
        return c.execute(query("dash_course_metadata_editor")).pl()


def get_assignment_metadata_table(
    course_id: int, *, cur: duckdb.DuckDBPyConnection | None = None
) -> pl.DataFrame:
    """Return one course's active assignments with the teacher's metadata, for the editor.

    Columns: assignment_id, name, due_at, points_possible, notes, tags (list), difficulty,
    estimated_hours.
    """
    with using(cur) as c:
        return c.execute(
            query("dash_assignment_metadata_editor"),
            {"course_id": validate_id(course_id, "course id")},
        ).pl()


def get_student_metadata_table(
    course_id: int | None = None,
    search: str = "",
    *,
    limit: int = 500,
    include_inactive: bool = False,
    cur: duckdb.DuckDBPyConnection | None = None,
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
        return c.execute(
            query("dash_student_metadata_editor"),
            {
                "course_id": None if course_id is None else validate_id(course_id, "course id"),
                "search": search,
                "pattern": like_pattern(search),
                "limit": max(1, min(int(limit), 10_000)),
                "include_inactive": bool(include_inactive),
            },
        ).pl()


def distinct_tags(*frames: pl.DataFrame, column: str = "tags") -> list[str]:
    """Return the tags used in the list column ``column`` of the frames, sorted; the
    editors offer them as choices."""
    tags: set[str] = set()
    for frame in frames:
        if column in frame.columns and frame.height:
            tags.update(t for t in frame[column].explode().drop_nulls().to_list() if t)
    return sorted(tags, key=str.lower)


__all__ = [
    "DEFAULT_STUDENT_LIMIT",
    "NEEDS_ATTENTION_HELP",
    "NEEDS_ATTENTION_KINDS",
    "FilterOptions",
    "StudentFilters",
    "StudentTable",
    "SyncState",
    "distinct_tags",
    "format_age",
    "get_assignment_distribution",
    "get_assignment_metadata_table",
    "get_course_distribution",
    "get_course_metadata_table",
    "get_course_overview",
    "get_curricula_table",
    "get_curriculum_courses",
    "get_filter_options",
    "get_needs_attention",
    "get_score_trend",
    "get_student_assignments",
    "get_student_courses",
    "get_student_metadata_table",
    "get_student_notes",
    "get_student_profile",
    "get_student_score_history",
    "get_students_table",
    "get_submission_trend",
    "get_sync_state",
    "like_pattern",
    "search_students",
    "students_csv",
]
