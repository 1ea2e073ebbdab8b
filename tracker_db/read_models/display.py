"""Text as pages show it: Canvas text can be any length (a megabyte name would freeze a
table or a title), so read models cut it for display; the database keeps every character.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import polars as pl

#: The most characters of one text value a page shows.
MAX_DISPLAY_CHARS = 200
ELLIPSIS = "…"


def shorten(text: str | None, limit: int = MAX_DISPLAY_CHARS) -> str | None:
    """``text`` cut to ``limit`` characters (the last one an ellipsis) when longer."""
    if text is None or len(text) <= limit:
        return text
    return text[: limit - 1] + ELLIPSIS


def shorten_columns(
    frame: pl.DataFrame, columns: Iterable[str], limit: int = MAX_DISPLAY_CHARS
) -> pl.DataFrame:
    """Cut the text ``columns`` of ``frame`` (those it has) for display."""
    present = [c for c in columns if c in frame.columns and frame.schema[c] == pl.String]
    if not present or frame.is_empty():
        return frame
    return frame.with_columns(
        pl.when(pl.col(c).str.len_chars() > limit)
        .then(pl.col(c).str.slice(0, limit - 1) + ELLIPSIS)
        .otherwise(pl.col(c))
        .alias(c)
        for c in present
    )


def shorten_values(row: dict[str, Any], columns: Iterable[str]) -> dict[str, Any]:
    """Cut the text values of one row (a dict) for display."""
    return {k: shorten(v) if k in set(columns) and isinstance(v, str) else v
            for k, v in row.items()}
