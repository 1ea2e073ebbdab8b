"""Validators for what teachers type: one per kind of value, each naming what was wrong.

The teachers' data (``store.teacher_data``) and the filters of the read models check input with
these, so a value is refused with the same words wherever it is typed. Editor cells arrive as
Python values, numpy scalars or pandas NA/NaT; every validator treats a blank cell (None,
NaN, NaT, empty text) as "no value".
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from datetime import date, datetime
from typing import Literal

from tracker_db.errors import DataValidationError

MAX_ID = 2**63 - 1  # Canvas ids are 64-bit integers
MAX_NOTE_LENGTH = 20_000
MAX_TAG_LENGTH = 40
MAX_TAGS = 30
MAX_NAME_LENGTH = 120
MAX_SLUG_LENGTH = 64
ObjectType = Literal["course", "student", "assignment"]
#: The Canvas objects layer 0 follows, and that a teacher can archive or delete.
OBJECT_TYPES: tuple[ObjectType, ...] = ("course", "student", "assignment")
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_COLOR = re.compile(r"^#[0-9A-Fa-f]{6}$")


def is_blank(value: object) -> bool:
    """Whether a value means "empty": None, NaN, NaT, pandas NA, or blank text."""
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, str) and not value.strip():
        return True
    # pandas NA / NaT compare unequal to themselves, without importing pandas here.
    try:
        return bool(value != value)
    except (TypeError, ValueError):
        return False


def _plain(value: object) -> object:
    """A numpy scalar or array (from an editor frame) as the plain Python value."""
    if hasattr(value, "tolist"):
        return value.tolist()
    return value


def validate_id(value: object, what: str) -> int:
    """Return ``value`` as a positive 64-bit integer id, or raise naming ``what``."""
    value = _plain(value)
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
    if is_blank(value) or not isinstance(value, str):
        raise DataValidationError(f"{what} must not be empty")
    value = value.strip()
    if len(value) > MAX_NAME_LENGTH:
        raise DataValidationError(f"{what} is longer than {MAX_NAME_LENGTH} characters")
    return value


def validate_text(value: object, what: str, *, required: bool = False) -> str | None:
    """Return free text of at most ``MAX_NOTE_LENGTH`` characters, None for blank.

    Args:
        value: The text.
        what: What it is, for messages ("note", "course notes" ...).
        required: Refuse blank text instead of returning None.
    """
    if is_blank(value):
        if required:
            raise DataValidationError(f"{what} must not be empty")
        return None
    if not isinstance(value, str):
        raise DataValidationError(f"{what} must be text, got {value!r}")
    if len(value) > MAX_NOTE_LENGTH:
        raise DataValidationError(f"{what} is longer than {MAX_NOTE_LENGTH} characters")
    return value


def validate_color(value: object) -> str | None:
    """Return a ``#RRGGBB`` colour in upper case, None for blank, or raise."""
    if is_blank(value):
        return None
    if not isinstance(value, str) or not _COLOR.match(value.strip()):
        raise DataValidationError(f"colour must look like #1A2B3C, got {value!r}")
    return value.strip().upper()


def validate_tags(value: object) -> list[str]:
    """Return clean tags: stripped, non-empty, de-duplicated in order, each short.

    Accepts a list of text or one comma-separated text.
    """
    value = _plain(value)
    if is_blank(value):
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


def validate_number(value: object, what: str, *, low: float = 0.0) -> float | None:
    """Return a finite number of at least ``low``, None for blank, or raise naming ``what``."""
    value = _plain(value)
    if is_blank(value):
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
    """Return a difficulty from 1 (easy) to 5 (hard), None for blank, or raise."""
    number = validate_number(value, "difficulty", low=1)
    if number is None:
        return None
    if not number.is_integer() or not 1 <= number <= 5:
        raise DataValidationError(f"difficulty must be a whole number from 1 to 5, got {value!r}")
    return int(number)


def validate_flag(value: object, what: str) -> bool:
    """Return a ticked-or-not value as a bool, or raise naming ``what``."""
    value = _plain(value)
    if not isinstance(value, bool):
        raise DataValidationError(f"{what} must be true or false, got {value!r}")
    return value


def validate_date(value: object, what: str = "start date") -> date | None:
    """Return a date (from a date, a datetime or ``YYYY-MM-DD`` text), None for blank."""
    if is_blank(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if hasattr(value, "to_pydatetime"):  # a pandas Timestamp from the editor
        moment: datetime = value.to_pydatetime()
        return moment.date()
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise DataValidationError(f"{what} must be YYYY-MM-DD, got {value!r}") from None


def validate_slug(value: object) -> str:
    """Return a curriculum id: lowercase letters, digits and single hyphens."""
    if not isinstance(value, str) or not _SLUG.match(value) or len(value) > MAX_SLUG_LENGTH:
        raise DataValidationError(
            f"curriculum id must be lowercase letters, digits and hyphens (e.g. "
            f"'year-9-science'), got {value!r}"
        )
    return value


def slugify(name: str) -> str:
    """Derive a curriculum id from a name: ``"Year 9: Science"`` -> ``"year-9-science"``."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug[:MAX_SLUG_LENGTH].strip("-") or "curriculum"


def validate_course_ids(value: object) -> list[int]:
    """Return course ids (a list, or comma-separated text), de-duplicated in order."""
    value = _plain(value)
    if is_blank(value):
        return []
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, Iterable):
        raise DataValidationError(f"courses must be a list of course ids, got {value!r}")
    course_ids: list[int] = []
    for item in items:
        course_id = validate_id(item, "course id")
        if course_id not in course_ids:
            course_ids.append(course_id)
    return course_ids


def validate_object_type(value: object) -> ObjectType:
    """Return ``value`` if it is one of ``OBJECT_TYPES``, or raise."""
    for known in OBJECT_TYPES:
        if value == known:
            return known
    raise DataValidationError(
        f"object type must be one of {', '.join(OBJECT_TYPES)}, got {value!r}"
    )
