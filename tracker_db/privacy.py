"""Privacy on screens and in exports: the medians and spreads of small groups stay hidden,
and students can be shown by stable pseudonyms.

A median of four scores on a projector, or in a file that leaves the school, says too much
about each of the four. Groups smaller than the teachers' minimum (``ops.settings``, set on
the Sync page; default 5) have their medians, means and spreads left out, and the page says
why. A minimum of 1 shows everything.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Sequence

import polars as pl

from tracker_db.errors import DataValidationError

#: The setting (in ``ops.settings``) that holds the minimum group size.
MIN_GROUP_SETTING = "privacy.min_group_size"
#: Until a teacher chooses: groups of fewer than five have no median or spread shown.
DEFAULT_MIN_GROUP_SIZE = 5
#: The sizes a teacher may choose (1: hide nothing).
MIN_GROUP_RANGE = (1, 1000)


def validate_min_group_size(value: object) -> int:
    """Return ``value`` as a minimum group size, or raise naming the setting.

    Raises:
        DataValidationError: Not a whole number within ``MIN_GROUP_RANGE``.
    """
    low, high = MIN_GROUP_RANGE
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise DataValidationError(
            f"Minimum group size: {value!r} is not a whole number from {low} to {high}")
    return value


def hide_small_groups(
    frame: pl.DataFrame, size: str, values: Sequence[str], min_size: int
) -> pl.DataFrame:
    """``frame`` with its ``values`` columns set to null on rows whose ``size`` column is
    under ``min_size`` (the rows stay, so counts still show)."""
    return frame.with_columns(
        pl.when(pl.col(size).fill_null(0) >= min_size).then(pl.col(v)).otherwise(None).alias(v)
        for v in values
    )


def drop_small_groups(frame: pl.DataFrame, group: Sequence[str], min_size: int) -> pl.DataFrame:
    """``frame`` without the rows of groups (rows sharing ``group``) of under ``min_size``
    rows: for distributions, where each row is one student's score."""
    if min_size <= 1 or frame.is_empty():
        return frame
    return frame.filter(pl.len().over(group) >= min_size)


def any_small(frame: pl.DataFrame, size: str, min_size: int) -> bool:
    """Whether a row of ``frame`` is of a group under ``min_size`` (its ``size`` column; a
    group of nobody hides nothing)."""
    sizes = frame[size].fill_null(0) if frame.height else None
    return sizes is not None and bool(((sizes > 0) & (sizes < min_size)).any())


def small_group_note(min_size: int, what: str) -> str:
    """Why something is not shown, in words (``what``: "class medians are", "the mean and
    median are")."""
    return (f"{what[:1].upper()}{what[1:]} not shown for groups of fewer than {min_size} "
            "students, so no student's score can be worked out from them (the smallest group "
            "to show is set on the Sync page).")


# ---------------------------------------------------------------------------------------------
# Pseudonyms: stable stand-ins for students on a shared screen and in files

#: The setting (in ``ops.settings``) that holds the pseudonyms' secret key.
PSEUDONYM_KEY_SETTING = "privacy.pseudonym_key"
#: Columns that name a student wherever they appear, replaced by the pseudonym.
NAME_COLUMNS = ("student_name", "sortable_name")
#: Columns that would identify a student another way: emptied.
IDENTIFYING_COLUMNS = ("login_id", "sis_user_id", "email")
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no I, O, 0 or 1 to misread


class Pseudonyms:
    """Stable pseudonyms for students: the same student gets the same name ("Student
    K7QM-2XPA") and number on every page, chart and file, and in every session.

    They are keyed with a secret kept in the database (HMAC-SHA256 of the Canvas id), so
    nobody who knows a student's Canvas id can work out their pseudonym without it.
    """

    def __init__(self, key: str) -> None:
        if len(key) < 32:
            raise ValueError("a pseudonym key has at least 32 characters")
        self._key = key.encode("utf-8")

    def _digest(self, student_id: int) -> bytes:
        return hmac.new(self._key, str(int(student_id)).encode(), hashlib.sha256).digest()

    def number(self, student_id: int) -> int:
        """A stand-in for the Canvas id: nine digits, never a real id's neighbour."""
        return 100_000_000 + int.from_bytes(self._digest(student_id)[:8], "big") % 900_000_000

    def find(self, number: int, student_ids: Iterable[int]) -> int | None:
        """The student among ``student_ids`` whose pseudonym number is ``number``, or None
        (a link carries the number, so the address bar shows no Canvas id)."""
        return next((s for s in student_ids if self.number(s) == number), None)

    def name(self, student_id: int) -> str:
        """A stand-in for the name: "Student" and eight letters and digits."""
        code = "".join(_ALPHABET[b % len(_ALPHABET)] for b in self._digest(student_id)[8:16])
        return f"Student {code[:4]}-{code[4:]}"

    def frame(self, frame: pl.DataFrame) -> pl.DataFrame:
        """``frame`` with every student in it shown by pseudonym.

        The rules (by column name): ``student_id`` becomes the pseudonym's number; the name
        columns (``student_name``, ``sortable_name``, and ``name`` beside a ``student_id``)
        become the pseudonym; login, SIS id and email are emptied. A list of objects of
        several kinds (``object_type``, ``object_id``, ``name``) has its students' rows
        replaced the same way. Rows keep their order, so a selection still points at the
        same student.
        """
        if frame.is_empty():
            return frame
        columns = set(frame.columns)
        changes: list[pl.Expr] = []
        if "student_id" in columns:
            ids = pl.col("student_id")
            names = [c for c in NAME_COLUMNS if c in columns]
            if "name" in columns and "object_type" not in columns:
                names.append("name")
            changes += [ids.map_elements(self.name, return_dtype=pl.String).alias(c)
                        for c in names]
            changes.append(ids.map_elements(self.number, return_dtype=pl.Int64)
                           .alias("student_id"))
        elif {"object_type", "object_id", "name"} <= columns:
            student = pl.col("object_type") == "student"
            changes += [
                pl.when(student).then(pl.col("object_id").map_elements(
                    self.name, return_dtype=pl.String)).otherwise(pl.col("name")).alias("name"),
                pl.when(student).then(pl.col("object_id").map_elements(
                    self.number, return_dtype=pl.Int64)).otherwise(pl.col("object_id"))
                .alias("object_id"),
            ]
        elif [c for c in NAME_COLUMNS if c in columns]:
            # A name without its id cannot be given its pseudonym: hide it instead.
            changes += [pl.lit("(hidden)").alias(c) for c in NAME_COLUMNS if c in columns]
        changes += [pl.lit(None, dtype=frame.schema[c]).alias(c)
                    for c in IDENTIFYING_COLUMNS if c in columns]
        return frame.with_columns(changes) if changes else frame


def new_pseudonym_key() -> str:
    """A fresh secret for ``Pseudonyms`` (64 hex digits)."""
    return secrets.token_hex(32)
