"""Privacy on screens and in exports: the medians and spreads of small groups stay hidden.

A median of four scores on a projector, or in a file that leaves the school, says too much
about each of the four. Groups smaller than the teachers' minimum (``ops.settings``, set on
the Sync page; default 5) have their medians, means and spreads left out, and the page says
why. A minimum of 1 shows everything.
"""

from __future__ import annotations

from collections.abc import Sequence

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
    """Whether a row of ``frame`` is of a group under ``min_size`` (its ``size`` column)."""
    return frame.height > 0 and bool((frame[size].fill_null(0) < min_size).any())


def small_group_note(min_size: int, what: str) -> str:
    """Why something is not shown, in words (``what``: "class medians are", "the mean and
    median are")."""
    return (f"{what[:1].upper()}{what[1:]} not shown for groups of fewer than {min_size} "
            "students, so no student's score can be worked out from them (the smallest group "
            "to show is set on the Sync page).")
