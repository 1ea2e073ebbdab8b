"""Flags: the students the teachers' rules say need them, each with the reason in words.

The rules are in ``tracker_db.flag_rules``; a teacher's settings of them and their
decisions (dismiss, flag again) are teachers' data, written by ``tracker_db.edits``. A
dismissed flag stays dismissed while the facts it stood on stay the same (the same missing
work, the same score, ...); when they change it is raised again.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import polars as pl

from tracker_db.db import Cursor, read_frame, sql_file, using
from tracker_db.exports import Column, to_csv
from tracker_db.flag_rules import RULES, RuleSetting, default_setting
from tracker_db.read_models.display import shorten_columns
from tracker_db.validation import validate_id

_SQL = sql_file("read_models/flags")

FLAG_SCHEMA: dict[str, pl.DataType] = {
    "course_id": pl.Int64(),
    "course_name": pl.String(),
    "student_id": pl.Int64(),
    "student_name": pl.String(),
    "rule": pl.String(),
    "flag": pl.String(),
    "value": pl.Float64(),
    "reason": pl.String(),
    "facts": pl.String(),
    "dismissed": pl.Boolean(),
    "dismissed_note": pl.String(),
    "dismissed_at": pl.Datetime("us", "UTC"),
}

#: What ``get_flags`` returns: the flags, and how many there are in all (for a cut list).
_LISTED_SCHEMA: dict[str, pl.DataType] = {**FLAG_SCHEMA, "listed_total": pl.Int64()}

#: The flags table as pages show it (and so its download).
FLAG_COLUMNS: dict[str, Column] = {
    "student_name": Column("Student", width=170),
    "course_name": Column("Course", width=110),
    "flag": Column("Flag", width=140),
    "reason": Column("Why", width=430),
}
#: The same, for dismissed flags.
DISMISSED_COLUMNS: dict[str, Column] = {
    **FLAG_COLUMNS,
    "reason": Column("Why", width=300),
    "dismissed_note": Column("Note", width=200),
}

#: A student's flag history as shown.
DECISION_COLUMNS: dict[str, Column] = {
    "decided_at": Column("When", width=175),
    "course_name": Column("Course", width=110),
    "flag": Column("Flag", width=150),
    "action": Column("Decision", width=90),
    "note": Column("Note", width=300),
}


def get_rule_settings(*, cur: Cursor | None = None) -> list[RuleSetting]:
    """Return every rule as it is set now (a teacher's setting, else its defaults), in the
    order of ``RULES``."""
    with using(cur) as c:
        stored = {row[0]: row for row in c.execute(_SQL["stored_rules"]).fetchall()}
    settings = []
    for rule in RULES:
        if rule in stored:
            _, enabled, threshold, days = stored[rule]
            settings.append(RuleSetting(rule, bool(enabled), float(threshold),
                                        None if days is None else int(days)))
        else:
            settings.append(default_setting(rule))
    return settings


def _parameters(settings: Iterable[RuleSetting], *, precomputed: bool = False) -> dict[str, Any]:
    # Read from summary.flags: no rule is applied (their constant false skips their reads).
    params: dict[str, Any] = {"precomputed": precomputed}
    for s in settings:
        params[f"{s.rule}_on"] = s.enabled and not precomputed
        params[f"{s.rule}_threshold"] = s.threshold
        if s.rule == "score_drop_days":
            params["drop_days"] = s.days
    return params


def rules_key(settings: Iterable[RuleSetting]) -> str:
    """The rules as set, as one string: what ``summary.flag_state`` says its flags were
    derived under (a change of any rule changes it)."""
    return json.dumps([[s.rule, s.enabled, s.threshold, s.days] for s in settings])


def _precomputed(cur: Cursor, settings: list[RuleSetting]) -> bool:
    # summary.flags holds the flags of the latest sync under the rules as set now.
    state = cur.execute(_SQL["flag_state"]).fetchone()
    return (state is not None and state[2] is not None and state[0] == state[2]
            and state[1] == rules_key(settings))


def raise_flags(cur: Cursor) -> tuple[pl.DataFrame, str]:
    """Apply the rules as set now to the latest sync (whatever ``summary.flags`` holds),
    for ``store.summaries.write_flags``.

    Returns:
        The flags (course_id, student_id, rule, value, facts, reason; dismissed ones too) and
        the rules' key (``rules_key``).
    """
    settings = get_rule_settings(cur=cur)
    params = _parameters(settings)
    params.update(course_ids=[], student_ids=[], curricula=[], limit=None)
    frame = read_frame(cur, _SQL["flags"], params)
    columns = ["course_id", "student_id", "rule", "value", "facts", "reason"]
    raised = (frame.select(columns) if frame.height else pl.DataFrame(
        schema={"course_id": pl.Int64, "student_id": pl.Int64, "rule": pl.String,
                "value": pl.Float64, "facts": pl.String, "reason": pl.String}))
    return raised, rules_key(settings)


def get_flags(
    *,
    course_ids: Iterable[int] = (),
    curricula: Iterable[str] = (),
    student_ids: Iterable[int] = (),
    include_dismissed: bool = False,
    limit: int | None = None,
    rules: list[RuleSetting] | None = None,
    cur: Cursor | None = None,
) -> pl.DataFrame:
    """Return the flags the rules raise as of the latest sync, by student and course.

    Args:
        course_ids: Only these courses (empty: every course).
        curricula: Only the courses of these curricula (empty: every course).
        student_ids: Only these students (empty: every student).
        include_dismissed: Also the flags a teacher dismissed (``dismissed`` is then true).
        limit: At most this many open (and this many dismissed) flags, the first by student
            (None: all); ``listed_total`` then says how many there are in all.
        rules: The rules as set (default: read them).
        cur: Cursor to use.

    Returns:
        One row per (course, student, rule), columns of ``FLAG_SCHEMA``: ``flag`` the rule's
        label, ``reason`` why it fired in words, ``facts`` what a dismissal is about (pass it
        back to ``edits.dismiss_flag``), and the dismissal's note and time.
    """
    students = sorted({validate_id(i, "student id") for i in student_ids})
    with using(cur) as c:
        settings = rules if rules is not None else get_rule_settings(cur=c)
        params = _parameters(settings, precomputed=_precomputed(c, settings))
        params.update(_scope(course_ids, curricula), student_ids=students,
                      limit=None if limit is None else max(1, int(limit)))
        frame = read_frame(c, _SQL["flags"], params)
    frame = _labelled(frame)
    if not include_dismissed:
        frame = frame.filter(~pl.col("dismissed"))
    frame = shorten_columns(frame, ("student_name", "course_name"))
    return frame.select(list(_LISTED_SCHEMA)).cast(_LISTED_SCHEMA)  # type: ignore[arg-type]


def _scope(course_ids: Iterable[int], curricula: Iterable[str]) -> dict[str, list[Any]]:
    # The $course_ids and $curricula of the flag queries, checked and in one order.
    return {"course_ids": sorted({validate_id(i, "course id") for i in course_ids}),
            "curricula": sorted({str(v) for v in curricula})}


def _labelled(frame: pl.DataFrame) -> pl.DataFrame:
    # Each flag's name in words (``flag``), from its rule.
    labels = {rule: spec.label for rule, spec in RULES.items()}
    return frame.with_columns(flag=pl.col("rule").replace_strict(labels, default=None))


@dataclass(frozen=True)
class FlagBoard:
    """The flags a page lists, open and dismissed, and the rules that raised them.

    Attributes:
        open: Flags not dismissed (``get_flags`` columns), the first ``limit`` by student.
        dismissed: Flags a teacher dismissed whose facts have not changed since (as many).
        rules: Every rule as it is set now.
        open_total: How many open flags there are in all (more than ``open`` holds when the
            list is cut).
    """

    open: pl.DataFrame
    dismissed: pl.DataFrame
    rules: list[RuleSetting]
    open_total: int = 0

    @property
    def rules_on(self) -> list[RuleSetting]:
        """The rules that raise flags now."""
        return [r for r in self.rules if r.enabled]


#: The most open flags a board lists (a whole program raises hundreds of thousands).
BOARD_LIMIT = 1000


def get_flag_board(
    *, course_ids: Iterable[int] = (), student_ids: Iterable[int] = (),
    limit: int = BOARD_LIMIT, cur: Cursor | None = None,
) -> FlagBoard:
    """Return the open and the dismissed flags (of some courses or students), at most
    ``limit`` of each, and the rules as set; arguments as ``get_flags``."""
    with using(cur) as c:
        rules = get_rule_settings(cur=c)
        every = get_flags(course_ids=course_ids, student_ids=student_ids,
                          include_dismissed=True, limit=limit, rules=rules, cur=c)
    opened = every.filter(~pl.col("dismissed"))
    return FlagBoard(open=opened, dismissed=every.filter(pl.col("dismissed")), rules=rules,
                     open_total=int(opened["listed_total"][0]) if opened.height else 0)


def get_flagged_students(
    *, course_ids: Iterable[int] = (), curricula: Iterable[str] = (),
    student_ids: Iterable[int] = (), cur: Cursor | None = None,
) -> pl.DataFrame:
    """Return each student with a flag that is not dismissed (of some courses or students,
    arguments as ``get_flags``): ``student_id``, ``flags`` (the flags' names with their
    courses, in words) and ``flag_count``."""
    students = sorted({validate_id(i, "student id") for i in student_ids})
    with using(cur) as c:
        settings = get_rule_settings(cur=c)
        if students and _precomputed(c, settings):
            # A page's students: their derived flags alone, not the whole flag list's query.
            flags = read_frame(c, _SQL["open_flags_of_students"],
                               {**_scope(course_ids, curricula), "student_ids": students})
            flags = shorten_columns(_labelled(flags), ("course_name",))
        else:
            flags = get_flags(course_ids=course_ids, curricula=curricula,
                              student_ids=students, rules=settings, cur=c)
    return (
        flags.group_by("student_id", maintain_order=True)
        .agg(flags=pl.concat_str(pl.col("flag"), pl.lit(" ("), pl.col("course_name"),
                                 pl.lit(")")).str.join("; "),
             flag_count=pl.len().cast(pl.Int64))
    )


def flags_in_summary(*, cur: Cursor | None = None) -> bool:
    """Whether ``summary.flags`` holds the flags of the latest sync under the rules as set
    now, so a query may read ``summary.open_flag_students`` instead of asking for ids."""
    with using(cur) as c:
        return _precomputed(c, get_rule_settings(cur=c))


def get_flagged_student_ids(
    *, course_ids: Iterable[int] = (), curricula: Iterable[str] = (),
    cur: Cursor | None = None,
) -> list[int]:
    """Return the ids of the students with a flag that is not dismissed (in some courses;
    arguments as ``get_flags``), in no order."""
    scope = _scope(course_ids, curricula)
    with using(cur) as c:
        settings = get_rule_settings(cur=c)
        if _precomputed(c, settings):  # else the rules are applied here
            return [i for (i,) in c.execute(_SQL["open_flag_students"], scope).fetchall()]
        flags = get_flags(course_ids=scope["course_ids"], curricula=scope["curricula"],
                          rules=settings, cur=c)
    return flags["student_id"].unique().to_list()


def get_flag_decisions(student_id: int, *, cur: Cursor | None = None) -> pl.DataFrame:
    """Return every decision about a student's flags, newest first: when, the course, the
    flag's name, the action ("dismiss" or "flag again"), the note, and the facts then."""
    sid = validate_id(student_id, "student id")
    with using(cur) as c:
        frame = read_frame(c, _SQL["decisions_of_student"], [sid])
    labels = {rule: spec.label for rule, spec in RULES.items()}
    return shorten_columns(
        frame.with_columns(flag=pl.col("rule").replace_strict(labels, default=pl.col("rule"))),
        ("course_name",),
    )


def flags_csv(rows: pl.DataFrame, *, dismissed: bool = False) -> bytes:
    """Return flags as the page shows them, as CSV safe to open in a spreadsheet."""
    return to_csv(rows, DISMISSED_COLUMNS if dismissed else FLAG_COLUMNS)
