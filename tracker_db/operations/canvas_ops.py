"""Layer 1 (``canvas`` schema): what Canvas says now.

A full sync replaces every table whole; reads return polars frames.
"""

from __future__ import annotations

import duckdb
import polars as pl

from tracker_db.errors import TrackerError
from tracker_db.session import using
from tracker_db.shaping import TABLE_COLUMNS, ShapedSync

#: The layer-1 tables, in the order a sync writes them; the allowlist for table names.
CANVAS_TABLES: tuple[str, ...] = tuple(TABLE_COLUMNS)


def _checked_table(table: str) -> str:
    if table not in CANVAS_TABLES:
        raise TrackerError(f"unknown canvas table {table!r}; expected one of {CANVAS_TABLES}")
    return f"canvas.{table}"


def replace_table(cur: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> int:
    """Replace the contents of ``canvas.<table>`` with ``frame`` (call inside a transaction).

    Rows travel as one Arrow table; columns are matched by name.

    Returns:
        The number of rows written.
    """
    qualified = _checked_table(table)
    cur.execute(f"DELETE FROM {qualified}")
    cur.register("incoming_rows", frame.to_arrow())
    try:
        cur.execute(f"INSERT INTO {qualified} BY NAME SELECT * FROM incoming_rows")
    finally:
        cur.unregister("incoming_rows")
    return frame.height


def replace_layer1(cur: duckdb.DuckDBPyConnection, shaped: ShapedSync) -> dict[str, int]:
    """Replace every layer-1 table with a shaped sync (call inside a transaction).

    Returns:
        ``{table: rows written}``.
    """
    return {table: replace_table(cur, table, frame) for table, frame in shaped.tables().items()}


def read_table(table: str, *, cur: duckdb.DuckDBPyConnection | None = None) -> pl.DataFrame:
    """Return all rows of ``canvas.<table>`` in a stable order (by its id columns)."""
    qualified = _checked_table(table)
    order = ", ".join(c for c in TABLE_COLUMNS[table] if c.endswith("_id"))
    with using(cur) as c:
        return c.execute(f"SELECT * FROM {qualified} ORDER BY {order}").pl()


def count_rows(*, cur: duckdb.DuckDBPyConnection | None = None) -> dict[str, int]:
    """Return ``{table: row count}`` for every layer-1 table."""
    union = " UNION ALL ".join(
        f"SELECT '{t}' AS t, count(*) AS n FROM canvas.{t}" for t in CANVAS_TABLES
    )
    with using(cur) as c:
        return dict(c.execute(union).fetchall())
