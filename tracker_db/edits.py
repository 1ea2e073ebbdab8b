"""Teachers' edits of their own data (layer 3, ``meta``): one write transaction each.

What the pages, the CLI and scripts call to change notes, tags, groups, curricula and the
metadata of courses and assignments. Every function is one write transaction (tried again
whole if another process commits first) that writes through ``store.teacher_data``, the only
writer of those tables: a single edit (one note, one student's tags) and a whole editor table
go through the same validators, statements and messages, and a refused edit changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any, Final

import polars as pl

from tracker_db.db import Cursor, using, write
from tracker_db.errors import DataValidationError
from tracker_db.flag_rules import RuleSetting, validate_setting
from tracker_db.privacy import (
    MIN_GROUP_SETTING,
    PSEUDONYM_KEY_SETTING,
    new_pseudonym_key,
    validate_min_group_size,
)
from tracker_db.read_models.preferences import (
    TIME_ZONE_SETTING,
    get_pseudonym_key,
    is_known_time_zone,
)
from tracker_db.store import settings as stored_settings
from tracker_db.store import summaries, teacher_data
from tracker_db.store.teacher_data import (
    ASSIGNMENT_METADATA,
    COURSE_METADATA,
    STUDENT_METADATA,
    MetadataTable,
    Rows,
    SaveResult,
)
from tracker_db.validation import (
    MAX_NOTE_LENGTH,
    is_blank,
    slugify,
    validate_course_ids,
    validate_id,
    validate_name,
    validate_slug,
    validate_tags,
)

__all__ = [
    "MAX_NOTE_LENGTH",
    "UNSET",
    "SaveResult",
    "add_student_note",
    "clear_student_group",
    "clear_student_tags",
    "create_curriculum",
    "delete_curriculum",
    "delete_student_note",
    "dismiss_flags",
    "ensure_pseudonym_key",
    "flag_again",
    "removed_keys",
    "rename_curriculum",
    "save_assignment_metadata",
    "save_course_metadata",
    "save_curricula",
    "save_student_metadata",
    "set_assignment_metadata",
    "set_course_metadata",
    "set_curriculum_courses",
    "set_flag_rule",
    "set_flag_rules",
    "set_min_group_size",
    "set_student_group",
    "set_student_tags",
    "set_time_zone",
    "update_curriculum",
]


class _Unset:
    """Marks an argument the caller did not pass (None means "clear the value")."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = _Unset()


def _given(**fields: object) -> dict[str, Any]:
    return {name: value for name, value in fields.items() if not isinstance(value, _Unset)}


# ---------------------------------------------------------------------------------------------
# Whole editor tables: all rows or none


def save_course_metadata(rows: Rows, *, cur: Cursor | None = None) -> SaveResult:
    """Validate and save the course metadata table, all rows or none.

    Args:
        rows: The edited table: course_id, notes, tags (list or comma-separated text),
            color (``#RRGGBB`` or empty), course_hours, tracked (bool); other columns (name,
            course_code) label rows in messages.
        cur: Cursor to use.

    Returns:
        How many rows were written (unchanged rows are left alone).

    Raises:
        DataValidationError: Some row is invalid; the message names each such row and why,
            and nothing was saved.
    """
    with using(cur) as c:
        return write(c, lambda c: teacher_data.save_metadata(c, COURSE_METADATA, rows))


def save_assignment_metadata(rows: Rows, *, cur: Cursor | None = None) -> SaveResult:
    """Validate and save the assignment metadata table, all rows or none.

    Args:
        rows: The edited table: assignment_id, notes, tags, difficulty (1-5 or empty),
            estimated_hours; ``name`` labels rows in messages.
        cur: Cursor to use.

    Raises:
        DataValidationError: Some row is invalid (each named); nothing was saved.
    """
    with using(cur) as c:
        return write(c, lambda c: teacher_data.save_metadata(c, ASSIGNMENT_METADATA, rows))


def save_student_metadata(rows: Rows, *, cur: Cursor | None = None) -> SaveResult:
    """Validate and save students' tags and groups, all rows or none.

    Args:
        rows: The edited table: student_id, tags, custom_group (empty for none); ``name``
            labels rows in messages.
        cur: Cursor to use.

    Raises:
        DataValidationError: Some row is invalid (each named); nothing was saved.
    """
    with using(cur) as c:
        return write(c, lambda c: teacher_data.save_metadata(c, STUDENT_METADATA, rows))


def save_curricula(
    rows: Rows, *, deleted_ids: Iterable[str] = (), cur: Cursor | None = None
) -> SaveResult:
    """Validate and save the curricula table, all rows or none.

    Rows with a curriculum_id update that curriculum; rows without one create a curriculum
    (its id derived from the name). ``deleted_ids`` are removed with their course lists.

    Args:
        rows: The edited table: curriculum_id (empty for a new row), name, color,
            description, start_date (date or YYYY-MM-DD), courses (course ids, as numbers
            or text).
        deleted_ids: Curricula the teacher deleted from the table (see ``removed_keys``).
        cur: Cursor to use.

    Returns:
        Rows written, and the ids created and deleted.

    Raises:
        DataValidationError: Some row is invalid (each named), a name is used twice, or an
            id is unknown; nothing was saved.
    """
    deleted = list(deleted_ids)
    with using(cur) as c:
        return write(c, lambda c: teacher_data.save_curricula(c, rows, deleted_ids=deleted))


def removed_keys(original: pl.DataFrame, edited: Rows, key: str) -> list[str]:
    """Return the ``key`` values of ``original`` rows missing from ``edited`` (rows the
    teacher deleted in the editor), as text, in their original order."""
    kept = {
        str(row.get(key)) for row in teacher_data.records(edited) if not is_blank(row.get(key))
    }
    return [str(v) for v in original[key].to_list() if v is not None and str(v) not in kept]


# ---------------------------------------------------------------------------------------------
# Single edits: the stored row, changed, through the same save


def _set_fields(
    table: MetadataTable, key_value: object, changes: dict[str, Any], cur: Cursor | None
) -> None:
    key = validate_id(key_value, f"{table.what} id")
    if not changes:
        return  # nothing to change
    def edit(c: Cursor) -> None:
        row = teacher_data.stored_metadata(c, table, key) | changes
        teacher_data.save_metadata(c, table, [row], numbered=False)

    with using(cur) as c:
        write(c, edit)


def set_course_metadata(
    course_id: int,
    *,
    notes: str | _Unset | None = UNSET,
    tags: Sequence[str] | str | _Unset | None = UNSET,
    color: str | _Unset | None = UNSET,
    course_hours: float | _Unset | None = UNSET,
    tracking_enabled: bool | _Unset = UNSET,
    cur: Cursor | None = None,
) -> None:
    """Set some of a course's metadata; fields not passed stay as they are.

    Raises:
        DataValidationError: Colour not ``#RRGGBB``, negative hours, non-boolean tracking
            flag; nothing was saved.
    """
    changes = _given(notes=notes, tags=tags, color=color, course_hours=course_hours,
                     tracked=tracking_enabled)
    _set_fields(COURSE_METADATA, course_id, changes, cur)


def set_assignment_metadata(
    assignment_id: int,
    *,
    notes: str | _Unset | None = UNSET,
    tags: Sequence[str] | str | _Unset | None = UNSET,
    difficulty: int | _Unset | None = UNSET,
    estimated_hours: float | _Unset | None = UNSET,
    cur: Cursor | None = None,
) -> None:
    """Set some of an assignment's metadata; fields not passed stay as they are.

    Raises:
        DataValidationError: Difficulty outside 1-5, negative hours; nothing was saved.
    """
    changes = _given(notes=notes, tags=tags, difficulty=difficulty,
                     estimated_hours=estimated_hours)
    _set_fields(ASSIGNMENT_METADATA, assignment_id, changes, cur)


def set_student_tags(
    student_id: int, tags: Sequence[str] | str, *, cur: Cursor | None = None
) -> list[str]:
    """Replace a student's tags; returns the cleaned tags that were stored."""
    clean = validate_tags(tags)
    _set_fields(STUDENT_METADATA, student_id, {"tags": clean}, cur)
    return clean


def clear_student_tags(student_id: int, *, cur: Cursor | None = None) -> None:
    """Remove all of a student's tags."""
    set_student_tags(student_id, [], cur=cur)


def set_student_group(student_id: int, group: str | None, *, cur: Cursor | None = None) -> None:
    """Set (or with None or empty text, clear) a student's custom group."""
    _set_fields(STUDENT_METADATA, student_id, {"custom_group": group}, cur)


def clear_student_group(student_id: int, *, cur: Cursor | None = None) -> None:
    """Remove a student's custom group."""
    set_student_group(student_id, None, cur=cur)


def add_student_note(student_id: int, body: str, *, cur: Cursor | None = None) -> str:
    """Add a note to a student's log.

    Returns:
        The new note's id.

    Raises:
        DataValidationError: The id is not a positive integer or the body is empty or too long.
    """
    with using(cur) as c:
        return write(c, lambda c: teacher_data.add_note(c, student_id, body))


def delete_student_note(note_id: str, *, cur: Cursor | None = None) -> None:
    """Delete one note.

    Raises:
        DataValidationError: No note has that id.
    """
    with using(cur) as c:
        write(c, lambda c: teacher_data.delete_note(c, note_id))


def create_curriculum(
    name: str,
    *,
    curriculum_id: str | None = None,
    description: str | None = None,
    color: str | None = None,
    start_date: date | str | None = None,
    course_ids: Iterable[int] = (),
    cur: Cursor | None = None,
) -> str:
    """Create a curriculum (a named group of courses).

    Args:
        name: Display name; unique, case-insensitively.
        curriculum_id: Its id (lowercase letters, digits, hyphens); default derived from the
            name.
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
    clean_name = validate_name(name, "curriculum name")
    chosen_id = validate_slug(curriculum_id or slugify(clean_name))
    row = {"curriculum_id": chosen_id, "is_new": True, "name": clean_name,
           "description": description, "color": color, "start_date": start_date,
           "courses": list(course_ids)}
    with using(cur) as c:
        write(c, lambda c: teacher_data.save_curricula(c, [row], numbered=False))
    return chosen_id


def _change_curriculum(curriculum_id: str, changes: dict[str, Any], cur: Cursor | None) -> None:
    def edit(c: Cursor) -> None:
        row = teacher_data.stored_curriculum(c, curriculum_id) | changes
        teacher_data.save_curricula(c, [row], numbered=False)

    with using(cur) as c:
        write(c, edit)


def update_curriculum(
    curriculum_id: str,
    *,
    name: str | _Unset = UNSET,
    description: str | _Unset | None = UNSET,
    color: str | _Unset | None = UNSET,
    start_date: date | str | _Unset | None = UNSET,
    cur: Cursor | None = None,
) -> None:
    """Change some fields of a curriculum; fields not passed stay as they are.

    Raises:
        DataValidationError: No such curriculum, an invalid field, or the new name is taken.
    """
    changes = _given(name=name, description=description, color=color, start_date=start_date)
    _change_curriculum(curriculum_id, changes, cur)


def rename_curriculum(curriculum_id: str, new_name: str, *, cur: Cursor | None = None) -> None:
    """Give a curriculum a new display name (its id stays)."""
    update_curriculum(curriculum_id, name=new_name, cur=cur)


def set_curriculum_courses(
    curriculum_id: str, course_ids: Iterable[int], *, cur: Cursor | None = None
) -> list[int]:
    """Replace which courses belong to a curriculum; returns the stored ids."""
    courses = validate_course_ids(list(course_ids))
    _change_curriculum(curriculum_id, {"courses": courses}, cur)
    return courses


def delete_curriculum(curriculum_id: str, *, cur: Cursor | None = None) -> None:
    """Delete a curriculum and its course list (the courses themselves are untouched).

    Raises:
        DataValidationError: No curriculum has that id.
    """
    def delete(c: Cursor) -> None:
        teacher_data.stored_curriculum(c, curriculum_id)  # refuses an unknown id in words
        teacher_data.save_curricula(c, [], deleted_ids=[curriculum_id], numbered=False)

    with using(cur) as c:
        write(c, delete)


# ---------------------------------------------------------------------------------------------
# Preferences: how pages show things (kept in ops.settings, shared by every process)


def set_time_zone(name: str | None, *, cur: Cursor | None = None) -> None:
    """Choose the time zone pages show times in; None goes back to the suggested one.

    Raises:
        DataValidationError: ``name`` is not a time zone this machine knows.
    """
    if name is not None and not is_known_time_zone(name):
        raise DataValidationError(
            f"{name!r} is not a time zone name this machine knows (e.g. Europe/Amsterdam)")
    with using(cur) as c:
        write(c, lambda c: stored_settings.write_settings(c, {TIME_ZONE_SETTING: name}))


def set_min_group_size(size: int | None, *, cur: Cursor | None = None) -> None:
    """Choose the smallest group whose medians and spreads pages show; None goes back to
    the default (``privacy.DEFAULT_MIN_GROUP_SIZE``).

    Raises:
        DataValidationError: ``size`` is not a whole number from 1 to 1000.
    """
    value = None if size is None else str(validate_min_group_size(size))
    with using(cur) as c:
        write(c, lambda c: stored_settings.write_settings(c, {MIN_GROUP_SETTING: value}))


def ensure_pseudonym_key(*, cur: Cursor | None = None) -> str:
    """Return the secret the pseudonyms are keyed with, making it on the first call.

    Made once per database and kept (``ops.settings``), so a student's pseudonym stays the
    same across sessions and processes; two processes asking at once get the same key (the
    transaction reads it again before writing).
    """
    with using(cur) as c:
        existing = get_pseudonym_key(cur=c)
        if existing:
            return existing

        def make(c: Cursor) -> str:
            found = get_pseudonym_key(cur=c)
            if found:
                return found
            key = new_pseudonym_key()
            stored_settings.write_settings(c, {PSEUDONYM_KEY_SETTING: key})
            return key

        return write(c, make)


# ---------------------------------------------------------------------------------------------
# Flags: the rules' settings, and a teacher's say about a single flag


def set_flag_rule(
    rule: str, *, enabled: bool, threshold: float, days: int | None = None,
    cur: Cursor | None = None,
) -> RuleSetting:
    """Set when a flag rule fires (``tracker_db.flag_rules.RULES``); kept for every process.

    Args:
        rule: The rule's name.
        enabled: Whether it raises flags.
        threshold: Its threshold, in the rule's unit.
        days: Its period, for a rule that has one (None: the default period).
        cur: Cursor to use.

    Returns:
        The setting as stored.

    Raises:
        DataValidationError: The rule is unknown or a value is out of its range (the message
            names the rule and the value); nothing was written.
    """
    setting = validate_setting(rule, enabled, threshold, days)
    with using(cur) as c:
        def save_one(c: Cursor) -> None:
            teacher_data.save_rule_setting(c, setting)
            summaries.write_flags(c)  # the flags under the rule as set now

        write(c, save_one)
    return setting


def set_flag_rules(settings: Iterable[RuleSetting], *, cur: Cursor | None = None) -> int:
    """Set several rules in one transaction: all are checked first, and a refused one
    writes none of them.

    Returns:
        How many rules were set.

    Raises:
        DataValidationError: A rule is unknown or a value is out of range.
    """
    checked = [validate_setting(s.rule, s.enabled, s.threshold, s.days) for s in settings]

    def save(c: Cursor) -> int:
        for setting in checked:
            teacher_data.save_rule_setting(c, setting)
        summaries.write_flags(c)  # the flags under the rules as set now, in the same commit
        return len(checked)

    with using(cur) as c:
        return write(c, save)


def _decide(flags: Iterable[Mapping[str, Any]], action: str, note: object,
            cur: Cursor | None) -> int:
    chosen = list(flags)
    if not chosen:
        raise DataValidationError("choose at least one flag")

    def record(c: Cursor) -> int:
        for flag in chosen:
            teacher_data.add_flag_decision(
                c, flag.get("course_id"), flag.get("student_id"), flag.get("rule"),
                flag.get("facts"), action, note)
        return len(chosen)

    with using(cur) as c:
        return write(c, record)


def dismiss_flags(
    flags: Iterable[Mapping[str, Any]], note: str | None = None, *, cur: Cursor | None = None
) -> int:
    """Dismiss flags while their facts stay as they are, in one transaction.

    Each flag is a row of ``read_models.flags.get_flags`` (``course_id``, ``student_id``,
    ``rule`` and ``facts`` are read). When a flag's facts change (more missing work, another
    score) it is raised again; the dismissal stays in its history.

    Args:
        flags: The flags to dismiss.
        note: Why, for the flag's history (optional).
        cur: Cursor to use.

    Returns:
        How many flags were dismissed.

    Raises:
        DataValidationError: No flag was given, an id, rule or facts are invalid, or the note
            is too long; nothing was written.
    """
    return _decide(flags, "dismiss", note, cur)


def flag_again(flags: Iterable[Mapping[str, Any]], *, cur: Cursor | None = None) -> int:
    """Undo dismissals, in one transaction: the flags show again (the dismissals stay in
    their history). Flags as for ``dismiss_flags``.

    Returns:
        How many flags were raised again.

    Raises:
        DataValidationError: No flag was given, or an id, rule or facts are invalid.
    """
    return _decide(flags, "flag again", None, cur)
