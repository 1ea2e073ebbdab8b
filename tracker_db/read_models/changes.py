"""What changed between two syncs: new grades, regrades, work newly missing or submitted,
students added or gone, per course, read from the change logs every sync appends
(``summary.work_changes``, ``lifecycle.enrollment_changes``) rather than from the states."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import polars as pl

from tracker_db.db import Cursor, read_frame, scalar, sql_file, using
from tracker_db.errors import DataValidationError
from tracker_db.exports import Column, to_csv
from tracker_db.read_models.display import shorten_columns

_SQL = sql_file("read_models/changes")

#: The kinds of change, in the order pages and the command line list them.
CHANGE_KINDS = (
    "student added", "student gone", "newly missing", "regrade", "new grade",
    "newly submitted",
)

#: Each kind of change in the plural, for counts ("3 regrades").
KIND_PLURALS = {
    "student added": "students added", "student gone": "students gone",
    "newly missing": "newly missing", "regrade": "regrades", "new grade": "new grades",
    "newly submitted": "newly submitted",
}

#: Rows of detail a page shows at most (the counts always cover every change).
DETAIL_LIMIT = 500

#: Per kind of change, its column in ``get_change_counts``.
KIND_COUNT_COLUMNS = {
    "student added": "students_added",
    "student gone": "students_gone",
    "newly missing": "newly_missing",
    "regrade": "regrades",
    "new grade": "new_grades",
    "newly submitted": "newly_submitted",
}

#: The counts table as pages show it, column by column. The widths add up to what fits a
#: 1400-pixel window beside the sidebar.
COUNT_COLUMNS: dict[str, Column] = {
    "course_name": Column("Course", width=260),
    "students_added": Column("Added", width=75, help="Students added"),
    "students_gone": Column("Gone", width=70, help="Students gone"),
    "newly_missing": Column("Newly missing", width=115),
    "regrades": Column("Regrades", width=85, help="A score that changed (or was taken away)"),
    "new_grades": Column("New grades", width=95, help="A score where there was none"),
    "newly_submitted": Column("Newly submitted", width=125),
    "changes": Column("All", width=60, help="All changes"),
}

#: The list of changes as pages show it (and so its download too); it fits as the counts do.
DETAIL_COLUMNS: dict[str, Column] = {
    "course_name": Column("Course", width=180),
    "kind": Column("Change", width=115),
    "student_name": Column("Student", width=160),
    "assignment_name": Column("Assignment", width=195),
    "old_score": Column("Before", width=62, help="Points before (blank: no score)"),
    "new_score": Column("After", width=62, help="Points after (blank: no score)"),
    "reason": Column("Why gone", width=110,
                     help="Why the student is gone: no longer listed, or the enrollment's state"),
}


@dataclass(frozen=True)
class SyncRange:
    """Two successful syncs to compare: the changes after ``after_sync`` up to and including
    ``until_sync``.

    Attributes:
        after_sync: The earlier sync (its state is the "before").
        after_dated_at: When it happened, as the charts date it.
        until_sync: The later sync (its state is the "after").
        until_dated_at: When it happened.
    """

    after_sync: int
    after_dated_at: datetime
    until_sync: int
    until_dated_at: datetime


def list_comparable_syncs(*, cur: Cursor | None = None) -> pl.DataFrame:
    """Return the successful syncs, newest first.

    Columns: sync_id, dated_at (the time the charts give it), mode (``full`` or
    ``incremental``).
    """
    with using(cur) as c:
        return read_frame(c, _SQL["comparable_syncs"])


def resolve_range(
    since: int | str | date | datetime | None = None,
    until: int | None = None,
    *,
    time_zone: str = "UTC",
    cur: Cursor | None = None,
) -> SyncRange | None:
    """Turn "since when" into the two syncs to compare.

    Args:
        since: A sync id (the changes after it), a date or time (the changes after the
            state then: the latest sync at or before it; a date means its start in
            ``time_zone``), their ISO text, or None: the sync before ``until``.
        until: The later sync (default: the latest).
        time_zone: The zone a date or a time without an offset is read in.
        cur: Cursor to use.

    Returns:
        The range, or None when fewer than two syncs have succeeded (nothing to compare).

    Raises:
        DataValidationError: An unknown sync, a malformed date, a moment before the first
            sync, or a range that is not earlier-to-later; the message names the value.
    """
    with using(cur) as c:
        syncs = list_comparable_syncs(cur=c)
        if syncs.height < 2:
            return None
        dated = dict(zip(syncs["sync_id"].to_list(), syncs["dated_at"].to_list(), strict=True))
        ids = sorted(dated)
        until_id = ids[-1] if until is None else _known_sync(until, dated, "until")
        after_id = _since_sync(since, until_id, ids, dated, time_zone, c)
    if after_id >= until_id:
        raise DataValidationError(
            f"sync {after_id} is not before sync {until_id}: compare an earlier sync with a "
            "later one"
        )
    return SyncRange(after_id, dated[after_id], until_id, dated[until_id])


def _known_sync(value: object, dated: dict[int, datetime], what: str) -> int:
    try:
        sync_id = int(str(value).strip().removeprefix("#"))
    except ValueError:
        raise DataValidationError(f"{what}: {value!r} is not a sync number") from None
    if sync_id not in dated:
        known = sorted(dated)
        raise DataValidationError(
            f"{what}: there is no successful sync {sync_id} (the successful syncs are "
            f"{_ranges(known)})"
        )
    return sync_id


def _since_sync(
    since: object, until_id: int, ids: list[int], dated: dict[int, datetime],
    time_zone: str, cur: Cursor,
) -> int:
    if since is None:
        earlier = [i for i in ids if i < until_id]
        if not earlier:
            raise DataValidationError(
                f"sync {until_id} is the first successful sync: there is nothing before it "
                "to compare with"
            )
        return earlier[-1]
    return _sync_by_number_or_moment(since, ids, dated, time_zone, cur, "since")


def _sync_by_number_or_moment(
    value: object, ids: list[int], dated: dict[int, datetime], time_zone: str, cur: Cursor,
    what: str,
) -> int:
    if isinstance(value, int) or (isinstance(value, str) and value.strip().lstrip("#").isdigit()):
        return _known_sync(value, dated, what)
    moment = _moment(value, time_zone, what)
    found = scalar(cur, _SQL["sync_at_or_before"], {"moment": moment})
    if found is None:
        first = ids[0]
        raise DataValidationError(
            f"{what}: no sync happened by {moment:%Y-%m-%d %H:%M %Z}; the first was sync "
            f"{first} on {dated[first].astimezone(moment.tzinfo):%Y-%m-%d %H:%M %Z}"
        )
    return int(found)


def resolve_sync(value: object, *, time_zone: str = "UTC", cur: Cursor | None = None) -> int:
    """Turn "as of when" into a successful sync.

    Args:
        value: A sync id, or a date or time (the latest sync at or before it; a date means
            its start in ``time_zone``), or their ISO text.
        time_zone: The zone a date or a time without an offset is read in.
        cur: Cursor to use.

    Raises:
        DataValidationError: No successful sync yet, an unknown sync, a malformed date, or
            a moment before the first sync; the message names the value.
    """
    with using(cur) as c:
        syncs = list_comparable_syncs(cur=c)
        if syncs.is_empty():
            raise DataValidationError("there is no successful sync yet: nothing to show as of")
        dated = dict(zip(syncs["sync_id"].to_list(), syncs["dated_at"].to_list(), strict=True))
        return _sync_by_number_or_moment(value, sorted(dated), dated, time_zone, c, "as of")


def _moment(since: object, time_zone: str, what: str) -> datetime:
    zone = ZoneInfo(time_zone)
    if isinstance(since, datetime):
        moment = since
    elif isinstance(since, date):
        moment = datetime.combine(since, time(0))
    else:
        text = str(since).strip()
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise DataValidationError(
                f"{what}: {text!r} is neither a sync number nor a date (YYYY-MM-DD) or time "
                "(YYYY-MM-DD HH:MM)"
            ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def get_change_counts(
    span: SyncRange, course_ids: Iterable[int] = (), *, cur: Cursor | None = None
) -> pl.DataFrame:
    """Return, per course with any change in the range, how many of each kind.

    Args:
        span: The syncs to compare.
        course_ids: Only these courses (empty: every course).
        cur: Cursor to use.

    Returns:
        Columns: course_id, course_name, new_grades, regrades, newly_missing,
        newly_submitted, students_added, students_gone, changes (their sum); ordered by
        course name.
    """
    with using(cur) as c:
        frame = _read_changes(c, "change_counts", span, {
            "course_ids": sorted({int(i) for i in course_ids}),
        })
    return shorten_columns(frame, ("course_name",))


def get_change_details(
    span: SyncRange,
    course_ids: Iterable[int] = (),
    kinds: Iterable[str] = (),
    *,
    limit: int | None = DETAIL_LIMIT,
    cur: Cursor | None = None,
) -> pl.DataFrame:
    """Return the changes in the range, one row each.

    Args:
        span: The syncs to compare.
        course_ids: Only these courses (empty: every course).
        kinds: Only these kinds (see ``CHANGE_KINDS``; empty: every kind).
        limit: At most this many rows (None: all).
        cur: Cursor to use.

    Returns:
        Columns: course_id, course_name, kind, student_id, student_name, assignment_id,
        assignment_name (for work), old_score, new_score (points), reason (why a student
        is gone); ordered by course, kind (as ``CHANGE_KINDS``), student and assignment.

    Raises:
        DataValidationError: An unknown kind, named.
    """
    chosen = sorted(set(kinds))
    unknown = [k for k in chosen if k not in CHANGE_KINDS]
    if unknown:
        raise DataValidationError(
            f"unknown kind of change {unknown[0]!r}: choose from {', '.join(CHANGE_KINDS)}"
        )
    with using(cur) as c:
        frame = _read_changes(c, "change_details", span, {
            "course_ids": sorted({int(i) for i in course_ids}), "kinds": chosen,
            "limit": limit if limit is not None else 2**62,
        })
    return shorten_columns(frame, ("course_name", "student_name", "assignment_name"))


def _read_changes(
    cur: Cursor, statement: str, span: SyncRange, params: dict[str, object]
) -> pl.DataFrame:
    """Run a statement over the range's changes: one sync's own rows when the range holds
    one sync (the common case, and the fast one), else ``summary.changes_between``."""
    one_sync = scalar(cur, _SQL["successful_syncs_within"],
                      {"after": span.after_sync, "until": span.until_sync}) == 1
    source = _SQL["changes_of_one_sync"] if one_sync else "summary.changes_between($after, $until)"
    sql = _SQL[statement].format(changes=source)
    params = {**params, "until": span.until_sync}
    if not one_sync:
        params["after"] = span.after_sync
    return read_frame(cur, sql, params)


def count_totals(
    counts: pl.DataFrame, course_ids: Iterable[int] = (), kinds: Iterable[str] = ()
) -> dict[str, int]:
    """Return how many changes of each kind ``counts`` (of ``get_change_counts``) holds.

    Args:
        counts: The counts per course.
        course_ids: Only these courses (empty: every course).
        kinds: Only these kinds (empty: every kind).

    Returns:
        Per kind, in ``CHANGE_KINDS`` order, the total over the courses.
    """
    chosen = set(course_ids)
    if chosen:
        counts = counts.filter(pl.col("course_id").is_in(sorted(chosen)))
    wanted = set(kinds) or set(CHANGE_KINDS)
    return {kind: int(counts[column].sum()) for kind, column in KIND_COUNT_COLUMNS.items()
            if kind in wanted}


def changes_csv(details: pl.DataFrame) -> bytes:
    """Return the changes as the page lists them, as CSV safe to open in a spreadsheet."""
    return to_csv(details, DETAIL_COLUMNS)


def _ranges(ids: list[int]) -> str:
    """``[1, 2, 3, 5]`` as ``1-3, 5``."""
    parts: list[str] = []
    start = prev = ids[0]
    for i in [*ids[1:], None]:
        if i is not None and i == prev + 1:
            prev = i
            continue
        parts.append(str(start) if start == prev else f"{start}-{prev}")
        if i is not None:
            start = prev = i
    return ", ".join(parts)
