"""Layer 3 (``meta`` schema): the teachers' own data. The only writer of its tables; no sync
ever writes here.

Every write, a single note or tag as much as a whole editor table, goes one way: each row is
cleaned by ``tracker_db.validation`` (one set of rules, one set of messages), every problem is
reported with the row it is in (``row N (label): reason`` for a table, ``label: reason`` for
a single edit), and only when all rows are valid are they written, as Arrow, by set-based
statements of ``sql/store/metadata.sql`` inside the caller's transaction. A refused write
changes nothing. The tables carry no key constraints (they must move to DuckLake unchanged):
one row per key is kept here, by updating existing rows and inserting only missing ones.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

import polars as pl

from tracker_db.db import Cursor, count, one_row, sql_file, staged
from tracker_db.errors import DataValidationError
from tracker_db.flag_rules import RuleSetting, rule_spec
from tracker_db.store import OwnedRows
from tracker_db.validation import (
    MAX_SLUG_LENGTH,
    is_blank,
    slugify,
    validate_color,
    validate_course_ids,
    validate_date,
    validate_difficulty,
    validate_flag,
    validate_id,
    validate_name,
    validate_number,
    validate_slug,
    validate_tags,
    validate_text,
)

_SQL = sql_file("store/teacher_data")

#: An editor table: a polars frame, or rows as mappings (a pandas frame works too).
Rows = pl.DataFrame | Sequence[Mapping[str, Any]]

#: How many problems one message lists before it says "and N more".
MAX_LISTED_PROBLEMS = 5
_LABEL_LENGTH = 40

_COURSE_ASSIGNMENTS = (
    "assignment_id IN (SELECT object_id FROM lifecycle.object_status "
    "WHERE object_type = 'assignment' AND course_id = ?)"
)
#: A Canvas object's teacher data. A course takes its assignments' metadata with it.
OWNED_ROWS = OwnedRows({
    "student": [
        ("meta.student_notes", "student_id = ?"),
        ("meta.student_metadata", "student_id = ?"),
        ("meta.flag_decisions", "student_id = ?"),
    ],
    "course": [
        ("meta.course_metadata", "course_id = ?"),
        ("meta.curriculum_courses", "course_id = ?"),
        ("meta.flag_decisions", "course_id = ?"),
        ("meta.assignment_metadata", _COURSE_ASSIGNMENTS),
    ],
    "assignment": [
        ("meta.assignment_metadata", "assignment_id = ?"),
    ],
})


@dataclass(frozen=True)
class SaveResult:
    """What a save wrote.

    Attributes:
        written: Rows inserted or updated (unchanged rows are not rewritten).
        created: New ids (curricula only).
        deleted: Removed ids (curricula only).
    """

    written: int
    created: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()


# ---------------------------------------------------------------------------------------------
# Rows: clean every one, then refuse the save naming each bad row


def records(rows: Rows) -> list[dict[str, Any]]:
    """Return an editor table's rows as dicts (a polars or pandas frame, or mappings)."""
    if isinstance(rows, pl.DataFrame):
        return rows.to_dicts()
    if hasattr(rows, "to_dict") and hasattr(rows, "columns"):  # a pandas frame
        return list(rows.to_dict("records"))
    return [dict(row) for row in rows]


def label(value: object, fallback: str) -> str:
    """Return a short one-line label for a row in messages (``fallback`` when blank)."""
    text = " ".join(("" if is_blank(value) else str(value)).split())
    if len(text) > _LABEL_LENGTH:
        text = text[: _LABEL_LENGTH - 1] + "…"
    return text or fallback


class _Problems:
    """Collects what is wrong with a save, each with its row, then refuses it whole."""

    def __init__(self, numbered: bool) -> None:
        self.numbered = numbered
        self.items: list[str] = []

    def add(self, reason: str, number: int | None = None, row_label: str = "") -> None:
        if number is None:
            self.items.append(reason)
        elif self.numbered:
            self.items.append(f"row {number} ({row_label}): {reason}")
        else:
            self.items.append(f"{row_label}: {reason}")

    def refuse_if_any(self) -> None:
        if self.items:
            _refuse(self.items)


def _refuse(problems: list[str]) -> NoReturn:
    listed = "; ".join(problems[:MAX_LISTED_PROBLEMS])
    more = len(problems) - MAX_LISTED_PROBLEMS
    suffix = f"; and {more} more" if more > 0 else ""
    raise DataValidationError(f"nothing was saved: {listed}{suffix}")


def _clean_all(
    rows: list[dict[str, Any]],
    clean: Callable[[Mapping[str, Any]], dict[str, Any]],
    row_label: Callable[[Mapping[str, Any]], str],
    problems: _Problems,
) -> list[dict[str, Any]]:
    cleaned: list[dict[str, Any]] = []
    for number, row in enumerate(rows, start=1):
        try:
            cleaned.append(clean(row))
        except DataValidationError as e:
            problems.add(str(e), number, row_label(row))
    problems.refuse_if_any()
    return cleaned


# ---------------------------------------------------------------------------------------------
# Course, assignment and student metadata: one row per object


@dataclass(frozen=True)
class MetadataTable:
    """How one per-object table of ``meta`` is edited and stored.

    Attributes:
        table: The table in ``meta``.
        key: Its key column (a Canvas id).
        what: The object, for messages (``course``).
        label_fields: Editor columns that name a row, first non-blank wins.
        schema: The columns written, with their types.
        clean: Turns an editor row into a row of ``schema`` (raising on invalid values).
    """

    table: str
    key: str
    what: str
    label_fields: tuple[str, ...]
    schema: Mapping[str, pl.DataType]
    clean: Callable[[Mapping[str, Any]], dict[str, Any]]

    def label(self, row: Mapping[str, Any]) -> str:
        """The row's label in messages: its name, else ``<what> <id>``."""
        for name in self.label_fields:
            if not is_blank(row.get(name)):
                return label(row.get(name), "")
        return f"{self.what} {row.get(self.key, '?')}"


def _clean_course(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "course_id": validate_id(row.get("course_id"), "course id"),
        "notes": validate_text(row.get("notes"), "course notes"),
        "tags": validate_tags(row.get("tags")),
        "color": validate_color(row.get("color")),
        "course_hours": validate_number(row.get("course_hours"), "course hours"),
        # A course is tracked unless the teacher switched it off.
        "tracking_enabled": validate_flag(row.get("tracked", True), "tracked"),
    }


def _clean_assignment(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "assignment_id": validate_id(row.get("assignment_id"), "assignment id"),
        "notes": validate_text(row.get("notes"), "assignment notes"),
        "tags": validate_tags(row.get("tags")),
        "difficulty": validate_difficulty(row.get("difficulty")),
        "estimated_hours": validate_number(row.get("estimated_hours"), "estimated hours"),
    }


def _clean_student(row: Mapping[str, Any]) -> dict[str, Any]:
    group = row.get("custom_group")
    return {
        "student_id": validate_id(row.get("student_id"), "student id"),
        "tags": validate_tags(row.get("tags")),
        "custom_group": None if is_blank(group) else validate_name(group, "group"),
    }


COURSE_METADATA = MetadataTable(
    table="course_metadata", key="course_id", what="course",
    label_fields=("course_code", "name"),
    schema={"course_id": pl.Int64(), "notes": pl.String(), "tags": pl.List(pl.String()),
            "color": pl.String(), "course_hours": pl.Float64(),
            "tracking_enabled": pl.Boolean()},
    clean=_clean_course,
)
ASSIGNMENT_METADATA = MetadataTable(
    table="assignment_metadata", key="assignment_id", what="assignment",
    label_fields=("name",),
    schema={"assignment_id": pl.Int64(), "notes": pl.String(), "tags": pl.List(pl.String()),
            "difficulty": pl.Int32(), "estimated_hours": pl.Float64()},
    clean=_clean_assignment,
)
STUDENT_METADATA = MetadataTable(
    table="student_metadata", key="student_id", what="student",
    label_fields=("name",),
    schema={"student_id": pl.Int64(), "tags": pl.List(pl.String()),
            "custom_group": pl.String()},
    clean=_clean_student,
)

# Statement names per table, spelled out so every statement's user can be found by name.
_STATEMENTS: dict[str, tuple[str, str, str]] = {
    "course_metadata": (
        "update_course_metadata", "insert_course_metadata", "stored_course_metadata"),
    "assignment_metadata": (
        "update_assignment_metadata", "insert_assignment_metadata",
        "stored_assignment_metadata"),
    "student_metadata": (
        "update_student_metadata", "insert_student_metadata", "stored_student_metadata"),
}


def save_metadata(
    cur: Cursor, table: MetadataTable, rows: Rows, *, numbered: bool = True
) -> SaveResult:
    """Validate and write rows of a per-object table, all or none (inside a transaction).

    Args:
        cur: Cursor inside the caller's transaction.
        table: ``COURSE_METADATA``, ``ASSIGNMENT_METADATA`` or ``STUDENT_METADATA``.
        rows: Editor rows (columns as the editor tables of ``read_models.teacher_data``;
            other columns label rows only).
        numbered: Name bad rows by number (a table) rather than by label alone (one edit).

    Returns:
        How many rows were written (unchanged rows are left alone).

    Raises:
        DataValidationError: Some row is invalid or an object appears twice; the message
            names each such row and why, and nothing was written.
    """
    given = records(rows)
    problems = _Problems(numbered)
    cleaned = _clean_all(given, table.clean, table.label, problems)
    first_row: dict[object, int] = {}
    for number, (row, original) in enumerate(zip(cleaned, given, strict=True), start=1):
        key = row[table.key]
        if key in first_row:
            problems.add(f"{table.what} {key} is also in row {first_row[key]}", number,
                         table.label(original))
        first_row.setdefault(key, number)
    problems.refuse_if_any()

    update, insert, _ = _STATEMENTS[table.table]
    frame = pl.DataFrame(cleaned, schema=table.schema)
    with staged(cur, f"staged_{table.table}", frame):
        written = count(cur, _SQL[update]) + count(cur, _SQL[insert])
    return SaveResult(written=written)


def stored_metadata(cur: Cursor, table: MetadataTable, key: int) -> dict[str, Any]:
    """Return one object's stored row as an editor row (just its key when none is stored)."""
    _, _, select = _STATEMENTS[table.table]
    return one_row(cur, _SQL[select], [key]) or {table.key: key}


def untracked_course_ids(cur: Cursor) -> set[int]:
    """Return the courses a teacher switched off (``tracking_enabled`` false)."""
    return {int(row[0]) for row in cur.execute(_SQL["untracked_course_ids"]).fetchall()}


# ---------------------------------------------------------------------------------------------
# Curricula: a named group of courses


_CURRICULA_SCHEMA = {
    "curriculum_id": pl.String(), "name": pl.String(), "description": pl.String(),
    "color": pl.String(), "start_date": pl.Date(), "is_new": pl.Boolean(),
}


def _clean_curriculum(row: Mapping[str, Any]) -> dict[str, Any]:
    given_id = None if is_blank(row.get("curriculum_id")) else str(row["curriculum_id"])
    # A row without an id is new; a new row may also bring the id it wants.
    is_new = given_id is None or bool(row.get("is_new", False))
    return {
        "curriculum_id": validate_slug(given_id) if is_new and given_id else given_id,
        "is_new": is_new,
        "name": validate_name(row.get("name"), "curriculum name"),
        "description": validate_text(row.get("description"), "description"),
        "color": validate_color(row.get("color")),
        "start_date": validate_date(row.get("start_date")),
        "course_ids": validate_course_ids(row.get("courses")),
    }


def _curriculum_label(row: Mapping[str, Any]) -> str:
    return label(row.get("name"), "new curriculum")


def _unique_id(name: str, used: set[str]) -> str:
    base = slugify(name)[: MAX_SLUG_LENGTH - 4].strip("-") or "curriculum"
    candidate, n = base, 2
    while candidate in used:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def save_curricula(
    cur: Cursor,
    rows: Rows,
    *,
    deleted_ids: Iterable[str] = (),
    numbered: bool = True,
) -> SaveResult:
    """Validate and write curricula, all or none (inside a transaction).

    Rows with a curriculum_id update that curriculum (course list included); rows without
    one (or with ``is_new`` true) create one, its id derived from the name unless given.
    ``deleted_ids`` are removed with their course lists.

    Args:
        cur: Cursor inside the caller's transaction.
        rows: Editor rows: curriculum_id, name, color, description, start_date (date or
            YYYY-MM-DD), courses (course ids, as numbers or text); optionally is_new.
        deleted_ids: Curricula to delete.
        numbered: Name bad rows by number (a table) rather than by label alone (one edit).

    Returns:
        Rows written, and the ids created and deleted.

    Raises:
        DataValidationError: Some row is invalid, a name is used twice, an id is unknown
            (or taken, for a new one); each named, and nothing was written.
    """
    given = records(rows)
    deleted = sorted({str(x) for x in deleted_ids})
    problems = _Problems(numbered)
    cleaned = _clean_all(given, _clean_curriculum, _curriculum_label, problems)
    names: dict[str, int] = {}
    for number, row in enumerate(cleaned, start=1):
        key = row["name"].lower()
        if key in names:
            problems.add(f"the name is also used in row {names[key]}; curriculum names must "
                         "be unique", number, label(row["name"], ""))
        names.setdefault(key, number)
    problems.refuse_if_any()

    stored = {str(k): str(v) for k, v in cur.execute(_SQL["curriculum_names"]).fetchall()}
    for number, row in enumerate(cleaned, start=1):
        given_id, row_label = row["curriculum_id"], label(row["name"], "")
        if given_id is None:
            continue
        if row["is_new"] and given_id in stored:
            problems.add(f"curriculum id {given_id!r} is already taken", number, row_label)
        elif not row["is_new"] and given_id not in stored:
            problems.add(f"curriculum {given_id!r} no longer exists (deleted elsewhere?); "
                         "reload the page", number, row_label)
    kept = {row["curriculum_id"] for row in cleaned if row["curriculum_id"]}
    for gone in deleted:
        if gone not in stored:
            problems.add(f"curriculum {gone!r} to delete does not exist")
        if gone in kept:
            problems.add(f"curriculum {gone!r} cannot be both kept and deleted")
    # A curriculum the save does not show (created elsewhere meanwhile) keeps its name.
    taken = {stored[k].lower() for k in set(stored) - kept - set(deleted)}
    for number, row in enumerate(cleaned, start=1):
        if row["name"].lower() in taken:
            problems.add(f"a curriculum named {row['name']!r} already exists", number,
                         label(row["name"], ""))
    problems.refuse_if_any()

    used = (set(stored) | kept) - set(deleted)
    created: list[str] = []
    for row in cleaned:
        if row["curriculum_id"] is None:
            row["curriculum_id"] = _unique_id(row["name"], used)
            used.add(row["curriculum_id"])
        if row["is_new"]:
            created.append(row["curriculum_id"])

    curricula = pl.DataFrame(
        [{k: row[k] for k in _CURRICULA_SCHEMA} for row in cleaned], schema=_CURRICULA_SCHEMA
    )
    links = pl.DataFrame(
        [{"curriculum_id": row["curriculum_id"], "course_id": course_id}
         for row in cleaned for course_id in row["course_ids"]],
        schema={"curriculum_id": pl.String(), "course_id": pl.Int64()},
    )
    removed = pl.DataFrame({"curriculum_id": deleted}, schema={"curriculum_id": pl.String()})
    with (
        staged(cur, "staged_curricula", curricula),
        staged(cur, "staged_curriculum_courses", links),
        staged(cur, "staged_deleted_curricula", removed),
    ):
        cur.execute(_SQL["clear_curriculum_courses"])
        cur.execute(_SQL["delete_curricula"])
        written = count(cur, _SQL["update_curricula"]) + count(cur, _SQL["insert_curricula"])
        cur.execute(_SQL["insert_curriculum_courses"])
    return SaveResult(written=written, created=tuple(created), deleted=tuple(deleted))


def stored_curriculum(cur: Cursor, curriculum_id: str) -> dict[str, Any]:
    """Return one curriculum as an editor row (its courses as ids).

    Raises:
        DataValidationError: No curriculum has that id.
    """
    row = one_row(cur, _SQL["stored_curriculum"], [curriculum_id])
    if row is None:
        raise DataValidationError(f"no curriculum with id {curriculum_id!r}")
    return row


# ---------------------------------------------------------------------------------------------
# Student notes: a log, one row per note


def add_note(cur: Cursor, student_id: object, body: object) -> str:
    """Validate and add a note to a student's log (inside a transaction); return its id.

    Raises:
        DataValidationError: The id is not a positive integer, or the body is empty or too
            long; nothing was written.
    """
    params = {
        "student_id": validate_id(student_id, "student id"),
        "body": validate_text(body, "note", required=True),
        "note_id": str(uuid.uuid4()),
    }
    cur.execute(_SQL["insert_note"], params)
    return str(params["note_id"])


def delete_note(cur: Cursor, note_id: object) -> None:
    """Delete one note (inside a transaction).

    Raises:
        DataValidationError: No note has that id.
    """
    if not count(cur, _SQL["count_note"], [str(note_id)]):
        raise DataValidationError(f"no note with id {note_id!r}")
    cur.execute(_SQL["delete_note"], [str(note_id)])


# ---------------------------------------------------------------------------------------------
# Flags: the teachers' settings of the rules, and their decisions about single flags

#: What a teacher can decide about a flag.
FLAG_ACTIONS = ("dismiss", "flag again")
#: The longest facts a decision records (ids of missing work, a score).
MAX_FACTS_LENGTH = 20_000


def save_rule_setting(cur: Cursor, setting: RuleSetting) -> None:
    """Store one rule's setting, replacing the earlier one (inside a transaction).

    ``setting`` comes from ``flag_rules.validate_setting``, which checked it.
    """
    cur.execute(_SQL["delete_flag_rule"], [setting.rule])
    cur.execute(_SQL["insert_flag_rule"], {
        "rule": setting.rule, "enabled": setting.enabled, "threshold": setting.threshold,
        "days": setting.days,
    })


def add_flag_decision(
    cur: Cursor, course_id: object, student_id: object, rule: object, facts: object,
    action: str, note: object = None,
) -> str:
    """Validate and record a decision about one flag (inside a transaction); return its id.

    Raises:
        DataValidationError: An id is not a positive integer, the rule or action is unknown,
            the facts are missing, or the note is too long; nothing was written.
    """
    if action not in FLAG_ACTIONS:
        raise DataValidationError(f"a flag can be dismissed or flagged again, not {action!r}")
    if not isinstance(facts, str) or not facts or len(facts) > MAX_FACTS_LENGTH:
        raise DataValidationError("a flag decision needs the facts the flag stands on")
    params = {
        "decision_id": str(uuid.uuid4()),
        "course_id": validate_id(course_id, "course id"),
        "student_id": validate_id(student_id, "student id"),
        "rule": rule_spec(rule).rule,
        "facts": facts,
        "action": action,
        "note": validate_text(note, "note"),
    }
    cur.execute(_SQL["insert_flag_decision"], params)
    return str(params["decision_id"])
