"""Layer 3 (``meta`` schema): the teachers' own data. No sync ever writes here.

Every function validates first and raises ``DataValidationError`` naming what was wrong, then
writes in one transaction, so a refused edit changes nothing. The tables carry no key
constraints (they must move to DuckLake unchanged); uniqueness is kept here instead.
"""

from __future__ import annotations

import math
import re
import unicodedata
import uuid
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any, Final

import duckdb
import polars as pl

from tracker_db.errors import DataValidationError
from tracker_db.session import transaction, using
from tracker_db.sql_files import query


class _Unset:
    """Marks an argument the caller did not pass (None means "clear the value")."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = _Unset()

MAX_NOTE_LENGTH = 20_000
MAX_TAG_LENGTH = 40
MAX_TAGS = 30
MAX_NAME_LENGTH = 120
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_COLOR = re.compile(r"^#[0-9A-Fa-f]{6}$")


# ---------------------------------------------------------------------------------------------
# Validation helpers (public so page editors can check a whole table before saving)


MAX_ID = 2**63 - 1  # Canvas ids are 64-bit integers


def validate_id(value: object, what: str) -> int:
    """Return ``value`` as a positive 64-bit integer id, or raise naming ``what``."""
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        elif isinstance(value, str) and re.fullmatch(r"[0-9]+", value.strip()):
            value = int(value.strip())
        else:
            raise DataValidationError(f"{what} must be a whole number, got {value!r}")
    if not 0 < value <= MAX_ID:
        raise DataValidationError(f"{what} must be a positive 64-bit id, got {value}")
    return value


def validate_name(value: object, what: str = "name") -> str:
    """Return a stripped, non-empty name of at most ``MAX_NAME_LENGTH`` characters."""
    if not isinstance(value, str) or not value.strip():
        raise DataValidationError(f"{what} must not be empty")
    value = value.strip()
    if len(value) > MAX_NAME_LENGTH:
        raise DataValidationError(f"{what} is longer than {MAX_NAME_LENGTH} characters")
    return value


def validate_color(value: object) -> str | None:
    """Return a ``#RRGGBB`` colour in upper case, None for empty, or raise."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str) or not _COLOR.match(value.strip()):
        raise DataValidationError(f"colour must look like #1A2B3C, got {value!r}")
    return value.strip().upper()


def validate_tags(value: object) -> list[str]:
    """Return clean tags: stripped, non-empty, de-duplicated in order, each short.

    Accepts a list of strings or one comma-separated string.
    """
    if value is None:
        return []
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, Iterable):
        raise DataValidationError(f"tags must be a list of text, got {value!r}")
    tags: list[str] = []
    for tag in value:
        if not isinstance(tag, str):
            raise DataValidationError(f"tag {tag!r} is not text")
        tag = tag.strip()
        if not tag:
            continue
        if len(tag) > MAX_TAG_LENGTH:
            raise DataValidationError(f"tag {tag[:20]!r}... is longer than {MAX_TAG_LENGTH}")
        if tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise DataValidationError(f"at most {MAX_TAGS} tags, got {len(tags)}")
    return tags


def validate_optional_number(value: object, what: str, *, low: float = 0.0) -> float | None:
    """Return a finite number >= ``low`` or None (empty), or raise naming ``what``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise DataValidationError(f"{what} must be a number, got {value!r}")
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise DataValidationError(f"{what} must be a number, got {value!r}") from None
    if not math.isfinite(number) or number < low:
        raise DataValidationError(f"{what} must be a number of at least {low:g}, got {value!r}")
    return number


def validate_difficulty(value: object) -> int | None:
    """Return a difficulty from 1 (easy) to 5 (hard), None for empty, or raise."""
    number = validate_optional_number(value, "difficulty", low=1)
    if number is None:
        return None
    if not number.is_integer() or not 1 <= number <= 5:
        raise DataValidationError(f"difficulty must be a whole number from 1 to 5, got {value!r}")
    return int(number)


def validate_slug(value: object) -> str:
    """Return a curriculum id: lowercase letters, digits and single hyphens."""
    if not isinstance(value, str) or not _SLUG.match(value) or len(value) > 64:
        raise DataValidationError(
            f"curriculum id must be lowercase letters, digits and hyphens (e.g. "
            f"'year-9-science'), got {value!r}"
        )
    return value


def slugify(name: str) -> str:
    """Derive a curriculum id from a name: ``"Year 9: Science"`` -> ``"year-9-science"``."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:64].strip("-")
    return slug or "curriculum"


def _optional_date(value: object) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise DataValidationError(f"start date must be YYYY-MM-DD, got {value!r}") from None


def _optional_text(value: object, what: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise DataValidationError(f"{what} must be text, got {value!r}")
    if len(value) > MAX_NOTE_LENGTH:
        raise DataValidationError(f"{what} is longer than {MAX_NOTE_LENGTH} characters")
    return value if value.strip() else None


# ---------------------------------------------------------------------------------------------
# Student notes, tags and groups


def add_student_note(
    student_id: int, body: str, *, cur: duckdb.DuckDBPyConnection | None = None
) -> str:
    """Add a note to a student's log.

    Returns:
        The new note's id.

    Raises:
        DataValidationError: The id is not a positive integer or the body is empty or too long.
    """
    student_id = validate_id(student_id, "student id")
    if not isinstance(body, str) or not body.strip():
        raise DataValidationError("note must not be empty")
    if len(body) > MAX_NOTE_LENGTH:
        raise DataValidationError(f"note is longer than {MAX_NOTE_LENGTH} characters")
    note_id = str(uuid.uuid4())
    with using(cur) as c, transaction(c):
        c.execute(
            "INSERT INTO meta.student_notes (note_id, student_id, body) VALUES (?, ?, ?)",
            [note_id, student_id, body],
        )
    return note_id


def delete_student_note(note_id: str, *, cur: duckdb.DuckDBPyConnection | None = None) -> None:
    """Delete one note.

    Raises:
        DataValidationError: No note has that id.
    """
    with using(cur) as c, transaction(c):
        (found,) = c.execute(
            "SELECT count(*) FROM meta.student_notes WHERE note_id::VARCHAR = ?", [str(note_id)]
        ).fetchone()
        if not found:
            raise DataValidationError(f"no note with id {note_id!r}")
        c.execute("DELETE FROM meta.student_notes WHERE note_id::VARCHAR = ?", [str(note_id)])


def get_student_notes(
    student_id: int, *, cur: duckdb.DuckDBPyConnection | None = None
) -> pl.DataFrame:
    """Return a student's notes, newest first. Columns: note_id, student_id, body, created_at."""
    with using(cur) as c:
        return c.execute(
            query("student_notes"), {"student_id": validate_id(student_id, "student id")}
        ).pl()


def _upsert(
    c: duckdb.DuckDBPyConnection, table: str, key: str, key_value: int, values: dict[str, Any]
) -> None:
    """Update the row of ``key_value`` with ``values`` or insert it (inside a transaction).

    ``table``, ``key`` and the column names come from this module, never from callers.
    """
    if not values:
        return  # nothing to change
    (exists,) = c.execute(
        f"SELECT count(*) FROM meta.{table} WHERE {key} = ?", [key_value]
    ).fetchone()
    if exists:
        assignments = ", ".join(f"{column} = ?" for column in values)
        c.execute(
            f"UPDATE meta.{table} SET {assignments}, updated_at = now() WHERE {key} = ?",
            [*values.values(), key_value],
        )
    else:
        columns = ", ".join([key, *values])
        marks = ", ".join("?" * (len(values) + 1))
        c.execute(
            f"INSERT INTO meta.{table} ({columns}) VALUES ({marks})", [key_value, *values.values()]
        )


def set_student_tags(
    student_id: int, tags: Sequence[str] | str, *, cur: duckdb.DuckDBPyConnection | None = None
) -> list[str]:
    """Replace a student's tags; returns the cleaned tags that were stored."""
    student_id = validate_id(student_id, "student id")
    clean = validate_tags(tags)
    with using(cur) as c, transaction(c):
        _upsert(c, "student_metadata", "student_id", student_id, {"tags": clean})
    return clean


def clear_student_tags(student_id: int, *, cur: duckdb.DuckDBPyConnection | None = None) -> None:
    """Remove all of a student's tags."""
    set_student_tags(student_id, [], cur=cur)


def set_student_group(
    student_id: int, group: str | None, *, cur: duckdb.DuckDBPyConnection | None = None
) -> None:
    """Set (or with None/empty, clear) a student's custom group."""
    student_id = validate_id(student_id, "student id")
    clean = None if group is None or not str(group).strip() else validate_name(group, "group")
    with using(cur) as c, transaction(c):
        _upsert(c, "student_metadata", "student_id", student_id, {"custom_group": clean})


def clear_student_group(student_id: int, *, cur: duckdb.DuckDBPyConnection | None = None) -> None:
    """Remove a student's custom group."""
    set_student_group(student_id, None, cur=cur)


def get_student_metadata(*, cur: duckdb.DuckDBPyConnection | None = None) -> pl.DataFrame:
    """Return every student's tags and group. Columns: student_id, tags, custom_group."""
    with using(cur) as c:
        return c.execute(query("student_metadata")).pl()


# ---------------------------------------------------------------------------------------------
# Curricula


def _curriculum_exists(c: duckdb.DuckDBPyConnection, curriculum_id: str) -> bool:
    (n,) = c.execute(
        "SELECT count(*) FROM meta.curricula WHERE curriculum_id = ?", [curriculum_id]
    ).fetchone()
    return bool(n)


def _require_curriculum(c: duckdb.DuckDBPyConnection, curriculum_id: str) -> None:
    if not _curriculum_exists(c, curriculum_id):
        raise DataValidationError(f"no curriculum with id {curriculum_id!r}")


def _require_unique_name(
    c: duckdb.DuckDBPyConnection, name: str, except_id: str | None = None
) -> None:
    (clash,) = c.execute(
        "SELECT count(*) FROM meta.curricula WHERE lower(name) = lower(?) "
        "AND curriculum_id IS DISTINCT FROM ?",
        [name, except_id],
    ).fetchone()
    if clash:
        raise DataValidationError(f"a curriculum named {name!r} already exists")


def _clean_course_ids(course_ids: Iterable[object]) -> list[int]:
    clean: list[int] = []
    for course_id in course_ids:
        value = validate_id(course_id, "course id")
        if value not in clean:
            clean.append(value)
    return clean


def create_curriculum(
    name: str,
    *,
    curriculum_id: str | None = None,
    description: str | None = None,
    color: str | None = None,
    start_date: date | str | None = None,
    course_ids: Iterable[int] = (),
    cur: duckdb.DuckDBPyConnection | None = None,
) -> str:
    """Create a curriculum (a named group of courses).

    Args:
        name: Display name; unique, case-insensitively.
        curriculum_id: Slug; default derived from the name.
        description: Free text.
        color: ``#RRGGBB``.
        start_date: When the curriculum starts.
        course_ids: Canvas course ids that belong to it.
        cur: Cursor to use.

    Returns:
        The curriculum id.

    Raises:
        DataValidationError: Invalid field, or the id or name is taken.
    """
    name = validate_name(name, "curriculum name")
    curriculum_id = validate_slug(curriculum_id or slugify(name))
    row = {
        "curriculum_id": curriculum_id,
        "name": name,
        "description": _optional_text(description, "description"),
        "color": validate_color(color),
        "start_date": _optional_date(start_date),
    }
    courses = _clean_course_ids(course_ids)
    with using(cur) as c, transaction(c):
        if _curriculum_exists(c, curriculum_id):
            raise DataValidationError(f"curriculum id {curriculum_id!r} is already taken")
        _require_unique_name(c, name)
        c.execute(
            "INSERT INTO meta.curricula (curriculum_id, name, description, color, start_date) "
            "VALUES ($curriculum_id, $name, $description, $color, $start_date)",
            row,
        )
        _write_curriculum_courses(c, curriculum_id, courses)
    return curriculum_id


def update_curriculum(
    curriculum_id: str,
    *,
    name: str | _Unset = UNSET,
    description: str | _Unset | None = UNSET,
    color: str | _Unset | None = UNSET,
    start_date: date | str | _Unset | None = UNSET,
    cur: duckdb.DuckDBPyConnection | None = None,
) -> None:
    """Change some fields of a curriculum; fields not passed stay as they are."""
    changes: dict[str, Any] = {}
    if not isinstance(name, _Unset):
        changes["name"] = validate_name(name, "curriculum name")
    if not isinstance(description, _Unset):
        changes["description"] = _optional_text(description, "description")
    if not isinstance(color, _Unset):
        changes["color"] = validate_color(color)
    if not isinstance(start_date, _Unset):
        changes["start_date"] = _optional_date(start_date)
    with using(cur) as c, transaction(c):
        _require_curriculum(c, curriculum_id)
        if "name" in changes:
            _require_unique_name(c, changes["name"], except_id=curriculum_id)
        if changes:
            assignments = ", ".join(f"{column} = ?" for column in changes)
            c.execute(
                f"UPDATE meta.curricula SET {assignments}, updated_at = now() "
                "WHERE curriculum_id = ?",
                [*changes.values(), curriculum_id],
            )


def rename_curriculum(
    curriculum_id: str, new_name: str, *, cur: duckdb.DuckDBPyConnection | None = None
) -> None:
    """Give a curriculum a new display name (its id stays)."""
    update_curriculum(curriculum_id, name=new_name, cur=cur)


def _write_curriculum_courses(
    c: duckdb.DuckDBPyConnection, curriculum_id: str, course_ids: list[int]
) -> None:
    c.execute("DELETE FROM meta.curriculum_courses WHERE curriculum_id = ?", [curriculum_id])
    if course_ids:
        rows = pl.DataFrame(
            {"curriculum_id": [curriculum_id] * len(course_ids), "course_id": course_ids},
            schema={"curriculum_id": pl.String, "course_id": pl.Int64},
        )
        c.register("curriculum_course_rows", rows.to_arrow())
        try:
            c.execute(
                "INSERT INTO meta.curriculum_courses BY NAME SELECT * FROM curriculum_course_rows"
            )
        finally:
            c.unregister("curriculum_course_rows")


def set_curriculum_courses(
    curriculum_id: str, course_ids: Iterable[int], *, cur: duckdb.DuckDBPyConnection | None = None
) -> list[int]:
    """Replace which courses belong to a curriculum; returns the stored ids."""
    courses = _clean_course_ids(course_ids)
    with using(cur) as c, transaction(c):
        _require_curriculum(c, curriculum_id)
        _write_curriculum_courses(c, curriculum_id, courses)
    return courses


def delete_curriculum(curriculum_id: str, *, cur: duckdb.DuckDBPyConnection | None = None) -> None:
    """Delete a curriculum and its course list (the courses themselves are untouched)."""
    with using(cur) as c, transaction(c):
        _require_curriculum(c, curriculum_id)
        c.execute("DELETE FROM meta.curriculum_courses WHERE curriculum_id = ?", [curriculum_id])
        c.execute("DELETE FROM meta.curricula WHERE curriculum_id = ?", [curriculum_id])


def list_curricula(*, cur: duckdb.DuckDBPyConnection | None = None) -> pl.DataFrame:
    """Return every curriculum with its courses.

    Columns: curriculum_id, name, description, color, start_date, course_ids (list), ordered by
    name.
    """
    with using(cur) as c:
        return c.execute(query("list_curricula")).pl()


# ---------------------------------------------------------------------------------------------
# Course and assignment metadata


def upsert_course_metadata(
    course_id: int,
    *,
    notes: str | _Unset | None = UNSET,
    tags: Sequence[str] | str | _Unset | None = UNSET,
    color: str | _Unset | None = UNSET,
    course_hours: float | _Unset | None = UNSET,
    tracking_enabled: bool | _Unset = UNSET,
    cur: duckdb.DuckDBPyConnection | None = None,
) -> None:
    """Set some of a course's metadata; fields not passed stay as they are.

    Raises:
        DataValidationError: Colour not ``#RRGGBB``, negative hours, non-boolean tracking flag.
    """
    course_id = validate_id(course_id, "course id")
    changes: dict[str, Any] = {}
    if not isinstance(notes, _Unset):
        changes["notes"] = _optional_text(notes, "course notes")
    if not isinstance(tags, _Unset):
        changes["tags"] = validate_tags(tags)
    if not isinstance(color, _Unset):
        changes["color"] = validate_color(color)
    if not isinstance(course_hours, _Unset):
        changes["course_hours"] = validate_optional_number(course_hours, "course hours")
    if not isinstance(tracking_enabled, _Unset):
        if not isinstance(tracking_enabled, bool):
            raise DataValidationError(f"tracked must be true or false, got {tracking_enabled!r}")
        changes["tracking_enabled"] = tracking_enabled
    with using(cur) as c, transaction(c):
        _upsert(c, "course_metadata", "course_id", course_id, changes)


def upsert_assignment_metadata(
    assignment_id: int,
    *,
    notes: str | _Unset | None = UNSET,
    tags: Sequence[str] | str | _Unset | None = UNSET,
    difficulty: int | _Unset | None = UNSET,
    estimated_hours: float | _Unset | None = UNSET,
    cur: duckdb.DuckDBPyConnection | None = None,
) -> None:
    """Set some of an assignment's metadata; fields not passed stay as they are.

    Raises:
        DataValidationError: Difficulty outside 1-5, negative hours.
    """
    assignment_id = validate_id(assignment_id, "assignment id")
    changes: dict[str, Any] = {}
    if not isinstance(notes, _Unset):
        changes["notes"] = _optional_text(notes, "assignment notes")
    if not isinstance(tags, _Unset):
        changes["tags"] = validate_tags(tags)
    if not isinstance(difficulty, _Unset):
        changes["difficulty"] = validate_difficulty(difficulty)
    if not isinstance(estimated_hours, _Unset):
        changes["estimated_hours"] = validate_optional_number(estimated_hours, "estimated hours")
    with using(cur) as c, transaction(c):
        _upsert(c, "assignment_metadata", "assignment_id", assignment_id, changes)


def get_course_metadata(*, cur: duckdb.DuckDBPyConnection | None = None) -> pl.DataFrame:
    """Return stored course metadata. Columns: course_id, notes, tags, color, course_hours,
    tracking_enabled."""
    with using(cur) as c:
        return c.execute(query("course_metadata")).pl()


def get_untracked_course_ids(*, cur: duckdb.DuckDBPyConnection | None = None) -> set[int]:
    """Return the ids of courses a teacher switched off (``tracking_enabled`` false)."""
    with using(cur) as c:
        rows = c.execute(query("untracked_courses")).fetchall()
    return {course_id for (course_id,) in rows}


def get_assignment_metadata(*, cur: duckdb.DuckDBPyConnection | None = None) -> pl.DataFrame:
    """Return stored assignment metadata. Columns: assignment_id, notes, tags, difficulty,
    estimated_hours."""
    with using(cur) as c:
        return c.execute(query("assignment_metadata")).pl()
