"""Files the app hands out (CSV and Parquet): what a table shows, CSV safe to open in a
spreadsheet.

A spreadsheet evaluates a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return as a formula, so a Canvas name like ``=HYPERLINK("https://evil", "x")`` would
run when a teacher opens the download. As OWASP recommends for CSV injection, every text
cell that starts with one of those characters is prefixed with a single quote (and every
text cell is quoted); numbers stay numbers, rounded as the page shows them.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

#: What makes a spreadsheet read a cell as a formula (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    """How a table shows one column, and so how a download writes it.

    Attributes:
        label: The heading on the page and in the file.
        decimals: Digits after the point the page shows (numbers only; None: as stored).
        help: What the column means, for the page's tooltip.
        width: Pixels on the page (the widths of a table add up to what fits the page).
    """

    label: str
    decimals: int | None = None
    help: str | None = None
    width: int | None = None


def neutralize(value: str | None) -> str | None:
    """``value`` made inert for a spreadsheet: prefixed with ``'`` if it starts a formula."""
    if value is not None and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def to_csv(frame: pl.DataFrame, columns: Mapping[str, Column]) -> bytes:
    """Return ``frame``'s ``columns`` as UTF-8 CSV (with a BOM, so Excel reads accents):
    the page's headings, numbers rounded as shown, formula-starting text neutralized."""
    shown = []
    for name, column in columns.items():
        expr = pl.col(name)
        dtype = frame.schema[name]
        if dtype == pl.String:
            expr = expr.map_elements(neutralize, return_dtype=pl.String)
        elif dtype.is_float() and column.decimals is not None:
            expr = expr.round(column.decimals)
        shown.append(expr.alias(column.label))
    table = frame.select(shown)
    return b"\xef\xbb\xbf" + table.write_csv(quote_style="non_numeric").encode("utf-8")


def to_parquet(frame: pl.DataFrame, columns: Mapping[str, Column]) -> bytes:
    """Return ``frame``'s ``columns`` as a Parquet file under the page's headings, values as
    stored (types kept, numbers not rounded: for analysis rather than reading)."""
    buffer = io.BytesIO()
    frame.select(pl.col(name).alias(column.label) for name, column in columns.items()
                 ).write_parquet(buffer)
    return buffer.getvalue()
