"""Bulk saves for the dashboard's table editors (layer 3, ``meta`` schema).

A teacher edits many rows at once; the save is all or nothing. Every row is validated first
(with the same rules as ``metadata_ops``) and every problem is reported as
``row N (label): reason``; only when all rows are valid are they written, in ONE
transaction: the clean rows go to DuckDB as Arrow (registered on the cursor as
``temp.staged_*``) and set-based SQL from ``sql/queries/dash_save_*.sql`` updates the rows
that changed and inserts the missing ones. A refused save changes nothing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import duckdb
import polars as pl

from tracker_db.errors import DataValidationError
from tracker_db.operations.metadata_ops import (
    MAX_NOTE_LENGTH,
    slugify,
    validate_color,
    validate_difficulty,
    validate_id,
    validate_name,
    validate_optional_number,
    validate_tags,
)
from tracker_db.session import transaction, using
from tracker_db.sql_files import query

Rows = pl.DataFrame | Sequence[Mapping[str, Any]]

#: How many row problems one message lists before it says "and N more".
MAX_LISTED_PROBLEMS = 5
_LABEL_LENGTH = 40


@dataclass(frozen=True)
class SaveResult:
    """What a bulk save wrote.

    Attributes:
        written: Rows inserted or updated (unchanged rows are not rewritten).
        created: New ids (curricula only).
        deleted: Removed ids (curricula only).
    """

    written: int
    created: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()


# ---------------------------------------------------------------------------------------------
# Cell clean-up shared by every editor


def _blank(value: object) -> bool:
    """Whether an editor cell is empty (None, NaN, NaT, or blank text)."""
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, str) and not value.strip():
        return True
    # pandas NA / NaT compare unequal to themselves without importing pandas here.
    try:
        return bool(value != value)
    except (TypeError, ValueError):
        return False


def _text(value: object, what: str) -> str | None:
    if _blank(value):
        return None
    if not isinstance(value, str):
        raise DataValidationError(f"{what} must be text, got {value!r}")
    if len(value) > MAX_NOTE_LENGTH:
        raise DataValidationError(f"{what} is longer than {MAX_NOTE_LENGTH} characters")
    return value


def _tags(value: object) -> list[str]:
    if _blank(value):
        return []
    if hasattr(value, "tolist"):  # numpy arrays and pandas/polars series from the editor
        value = value.tolist()
    return validate_tags(value)


def _number(value: object, what: str) -> float | None:
    return None if _blank(value) else validate_optional_number(value, what)


def _flag(value: object, what: str) -> bool:
    if hasattr(value, "item"):  # numpy.bool_
        value = value.item()
    if not isinstance(value, bool):
        raise DataValidationError(f"{what} must be ticked or not, got {value!r}")
    return value


def _date(value: object) -> date | None:
    if _blank(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if hasattr(value, "to_pydatetime"):  # pandas Timestamp
        return value.to_pydatetime().date()
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise DataValidationError(f"start date must be YYYY-MM-DD, got {value!r}") from None


def _label(value: object, fallback: str) -> str:
    text = "" if _blank(value) else str(value)
    text = " ".join(text.split())
    if len(text) > _LABEL_LENGTH:
        text = text[: _LABEL_LENGTH - 1] + "…"
    return text or fallback


def _records(rows: Rows) -> list[dict[str, Any]]:
    if isinstance(rows, pl.DataFrame):
        return rows.to_dicts()
    if hasattr(rows, "to_dict") and hasattr(rows, "columns"):  # a pandas frame
        return list(rows.to_dict("records"))  # type: ignore[union-attr]
    return [dict(row) for row in rows]


def _validate_all(
    records: list[dict[str, Any]],
    clean: Callable[[dict[str, Any]], dict[str, Any]],
    label: Callable[[dict[str, Any], int], str],
) -> list[dict[str, Any]]:
    """Clean every row; raise one error naming each bad row (row numbers from 1)."""
    problems: list[str] = []
    cleaned: list[dict[str, Any]] = []
    for number, record in enumerate(records, start=1):
        try:
            cleaned.append(clean(record))
        except DataValidationError as e:
            problems.append(f"row {number} ({label(record, number)}): {e}")
    if problems:
        _refuse(problems)
    return cleaned


def _refuse(problems: list[str]) -> None:
    listed = "; ".join(problems[:MAX_LISTED_PROBLEMS])
    more = len(problems) - MAX_LISTED_PROBLEMS
    suffix = f"; and {more} more" if more > 0 else ""
    raise DataValidationError(f"nothing was saved: {listed}{suffix}")


def _require_unique(cleaned: list[dict[str, Any]], records: list[dict[str, Any]],
                    key: str, what: str, label: Callable[[dict[str, Any], int], str]) -> None:
    seen: dict[Any, int] = {}
    problems = []
    for number, (row, record) in enumerate(zip(cleaned, records, strict=True), start=1):
        if row[key] in seen:
            problems.append(
                f"row {number} ({label(record, number)}): {what} {row[key]} is also in row "
                f"{seen[row[key]]}"
            )
        else:
            seen[row[key]] = number
    if problems:
        _refuse(problems)


@contextmanager
def _staged(c: duckdb.DuckDBPyConnection, name: str, frame: pl.DataFrame):
    """Register ``frame`` as ``temp.<name>`` on this cursor for the block."""
    c.register(name, frame.to_arrow())
    try:
        yield
    finally:
        c.unregister(name)


def _count(c: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = c.execute(sql).fetchone()
    return int(row[0]) if row else 0


# ---------------------------------------------------------------------------------------------
# Course, assignment and student metadata


_COURSE_SCHEMA = {
    "course_id": pl.Int64, "notes": pl.String, "tags": pl.List(pl.String),
    "color": pl.String, "course_hours": pl.Float64, "tracking_enabled": pl.Boolean,
}
_ASSIGNMENT_SCHEMA = {
    "assignment_id": pl.Int64, "notes": pl.String, "tags": pl.List(pl.String),
    "difficulty": pl.Int32, "estimated_hours": pl.Float64,
}
_STUDENT_SCHEMA = {
    "student_id": pl.Int64, "tags": pl.List(pl.String), "custom_group": pl.String,
}


def save_course_metadata(rows: Rows, *, cur: duckdb.DuckDBPyConnection | None = None) -> SaveResult:
    """Validate and save the course metadata table, all rows or none.

    Args:
        rows: The edited table: course_id, notes, tags (list or comma-separated text),
            color (``#RRGGBB`` or empty), course_hours, tracked (bool); other columns (name,
            course_code) are labels only.
        cur: Cursor to use.

    Returns:
        How many rows were written (unchanged rows are left alone).

    Raises:
        DataValidationError: Some row is invalid; the message names each such row and why,
            and nothing was saved.
    """
    records = _records(rows)

    def label(record: dict[str, Any], number: int) -> str:
        return _label(record.get("course_code") or record.get("name"),
                      f"course {record.get('course_id', '?')}")

    def clean(record: dict[str, Any]) -> dict[str, Any]:
        return {
            "course_id": validate_id(record.get("course_id"), "course id"),
            "notes": _text(record.get("notes"), "notes"),
            "tags": _tags(record.get("tags")),
            "color": validate_color(None if _blank(record.get("color")) else record["color"]),
            "course_hours": _number(record.get("course_hours"), "hours"),
            "tracking_enabled": _flag(record.get("tracked", True), "tracked"),
        }

    cleaned = _validate_all(records, clean, label)
    _require_unique(cleaned, records, "course_id", "course", label)
    frame = pl.DataFrame(cleaned, schema=_COURSE_SCHEMA)
    with using(cur) as c, transaction(c), _staged(c, "staged_course_metadata", frame):
        written = _count(c, query("dash_save_course_metadata_update"))
        written += _count(c, query("dash_save_course_metadata_insert"))
    return SaveResult(written=written)


def save_assignment_metadata(
    rows: Rows, *, cur: duckdb.DuckDBPyConnection | None = None
) -> SaveResult:
    """Validate and save the assignment metadata table, all rows or none.

    Args:
        rows: The edited table: assignment_id, notes, tags, difficulty (1-5 or empty),
            estimated_hours; ``name`` labels rows in messages.
        cur: Cursor to use.

    Raises:
        DataValidationError: Some row is invalid (each named); nothing was saved.
    """
    records = _records(rows)

    def label(record: dict[str, Any], number: int) -> str:
        return _label(record.get("name"), f"assignment {record.get('assignment_id', '?')}")

    def clean(record: dict[str, Any]) -> dict[str, Any]:
        difficulty = record.get("difficulty")
        return {
            "assignment_id": validate_id(record.get("assignment_id"), "assignment id"),
            "notes": _text(record.get("notes"), "notes"),
            "tags": _tags(record.get("tags")),
            "difficulty": None if _blank(difficulty) else validate_difficulty(difficulty),
            "estimated_hours": _number(record.get("estimated_hours"), "estimated hours"),
        }

    cleaned = _validate_all(records, clean, label)
    _require_unique(cleaned, records, "assignment_id", "assignment", label)
    frame = pl.DataFrame(cleaned, schema=_ASSIGNMENT_SCHEMA)
    with using(cur) as c, transaction(c), _staged(c, "staged_assignment_metadata", frame):
        written = _count(c, query("dash_save_assignment_metadata_update"))
        written += _count(c, query("dash_save_assignment_metadata_insert"))
    return SaveResult(written=written)


def save_student_metadata(
    rows: Rows, *, cur: duckdb.DuckDBPyConnection | None = None
) -> SaveResult:
    """Validate and save students' tags and groups, all rows or none.

    Args:
        rows: The edited table: student_id, tags, custom_group (empty for none); ``name``
            labels rows in messages.
        cur: Cursor to use.

    Raises:
        DataValidationError: Some row is invalid (each named); nothing was saved.
    """
    records = _records(rows)

    def label(record: dict[str, Any], number: int) -> str:
        return _label(record.get("name"), f"student {record.get('student_id', '?')}")

    def clean(record: dict[str, Any]) -> dict[str, Any]:
        group = record.get("custom_group")
        return {
            "student_id": validate_id(record.get("student_id"), "student id"),
            "tags": _tags(record.get("tags")),
            "custom_group": None if _blank(group) else validate_name(group, "group"),
        }

    cleaned = _validate_all(records, clean, label)
    _require_unique(cleaned, records, "student_id", "student", label)
    frame = pl.DataFrame(cleaned, schema=_STUDENT_SCHEMA)
    with using(cur) as c, transaction(c), _staged(c, "staged_student_metadata", frame):
        written = _count(c, query("dash_save_student_metadata_update"))
        written += _count(c, query("dash_save_student_metadata_insert"))
    return SaveResult(written=written)


# ---------------------------------------------------------------------------------------------
# Curricula


def removed_keys(original: pl.DataFrame, edited: Rows, key: str) -> list[str]:
    """Return the ``key`` values of ``original`` rows missing from ``edited`` (rows the
    teacher deleted in the editor), as text, in their original order."""
    kept = {str(r.get(key)) for r in _records(edited) if not _blank(r.get(key))}
    return [str(v) for v in original[key].to_list() if v is not None and str(v) not in kept]


def save_curricula(
    rows: Rows,
    *,
    deleted_ids: Iterable[str] = (),
    cur: duckdb.DuckDBPyConnection | None = None,
) -> SaveResult:
    """Validate and save the curricula table, all rows or none.

    Rows with a curriculum_id update that curriculum; rows without one create a curriculum
    (its id derived from the name). ``deleted_ids`` are removed with their course lists.

    Args:
        rows: The edited table: curriculum_id (empty for a new row), name, color,
            description, start_date (date or YYYY-MM-DD), courses (course ids, as numbers
            or text).
        deleted_ids: Curricula the teacher deleted from the table.
        cur: Cursor to use.

    Returns:
        Rows written, and the ids created and deleted.

    Raises:
        DataValidationError: Some row is invalid (each named), a name is used twice, or an
            id is unknown; nothing was saved.
    """
    records = _records(rows)
    deleted = sorted({str(x) for x in deleted_ids})

    def label(record: dict[str, Any], number: int) -> str:
        return _label(record.get("name"), "new curriculum")

    def clean(record: dict[str, Any]) -> dict[str, Any]:
        courses = record.get("courses")
        if hasattr(courses, "tolist"):  # numpy arrays from the editor
            courses = courses.tolist()
        if not isinstance(courses, list | tuple):
            courses = [] if _blank(courses) else str(courses).split(",")
        course_ids: list[int] = []
        for value in courses:
            course_id = validate_id(value, "course id")
            if course_id not in course_ids:
                course_ids.append(course_id)
        given_id = record.get("curriculum_id")
        return {
            "curriculum_id": None if _blank(given_id) else str(given_id),
            "name": validate_name(record.get("name"), "name"),
            "description": _text(record.get("description"), "description"),
            "color": validate_color(None if _blank(record.get("color")) else record["color"]),
            "start_date": _date(record.get("start_date")),
            "course_ids": course_ids,
        }

    cleaned = _validate_all(records, clean, label)
    problems = []
    names: dict[str, int] = {}
    for number, row in enumerate(cleaned, start=1):
        key = row["name"].lower()
        if key in names:
            problems.append(
                f"row {number} ({_label(row['name'], '')}): the name is also used in row "
                f"{names[key]}; curriculum names must be unique"
            )
        names.setdefault(key, number)
    if problems:
        _refuse(problems)

    with using(cur) as c, transaction(c):
        stored = dict(c.execute(query("dash_curricula_names")).fetchall())
        existing = set(stored)
        problems = []
        for number, row in enumerate(cleaned, start=1):
            given = row["curriculum_id"]
            if given is not None and given not in existing:
                problems.append(
                    f"row {number} ({_label(row['name'], '')}): curriculum {given!r} no longer "
                    "exists (deleted elsewhere?); reload the page"
                )
        kept = {row["curriculum_id"] for row in cleaned if row["curriculum_id"]}
        for gone in deleted:
            if gone not in existing:
                problems.append(f"curriculum {gone!r} to delete does not exist")
            if gone in kept:
                problems.append(f"curriculum {gone!r} cannot be both kept and deleted")
        # A curriculum the editor did not show (created elsewhere meanwhile) keeps its name.
        untouched = existing - kept - set(deleted)
        if untouched:
            taken = {str(stored[curriculum_id]).lower() for curriculum_id in untouched}
            for number, row in enumerate(cleaned, start=1):
                if row["name"].lower() in taken:
                    problems.append(
                        f"row {number} ({_label(row['name'], '')}): a curriculum named "
                        f"{row['name']!r} already exists"
                    )
        if problems:
            _refuse(problems)

        used = set(existing) - set(deleted)
        created: list[str] = []
        for row in cleaned:
            row["is_new"] = row["curriculum_id"] is None
            if row["is_new"]:
                base = slugify(row["name"])[:60].strip("-") or "curriculum"
                candidate, n = base, 2
                while candidate in used:
                    candidate, n = f"{base}-{n}", n + 1
                row["curriculum_id"] = candidate
                used.add(candidate)
                created.append(candidate)

        curricula = pl.DataFrame(
            [{k: row[k] for k in ("curriculum_id", "name", "description", "color",
                                  "start_date", "is_new")} for row in cleaned],
            schema={"curriculum_id": pl.String, "name": pl.String, "description": pl.String,
                    "color": pl.String, "start_date": pl.Date, "is_new": pl.Boolean},
        )
        links = pl.DataFrame(
            [{"curriculum_id": row["curriculum_id"], "course_id": course_id}
             for row in cleaned for course_id in row["course_ids"]],
            schema={"curriculum_id": pl.String, "course_id": pl.Int64},
        )
        removed = pl.DataFrame({"curriculum_id": deleted}, schema={"curriculum_id": pl.String})
        with (
            _staged(c, "staged_curricula", curricula),
            _staged(c, "staged_curriculum_courses", links),
            _staged(c, "staged_deleted_curricula", removed),
        ):
            c.execute(query("dash_save_curricula_delete"))
            c.execute(query("dash_save_curricula_delete_rows"))
            written = _count(c, query("dash_save_curricula_update"))
            written += _count(c, query("dash_save_curricula_insert"))
            c.execute(query("dash_save_curriculum_courses"))
    return SaveResult(written=written, created=tuple(created), deleted=tuple(deleted))
