"""Layer 1 (``canvas`` schema): what Canvas says now. The only writer of its tables.

A full sync makes every table hold exactly what Canvas sent, inside the sync's transaction,
writing only the rows that differ; a permanent delete removes one object's rows (see
``OWNED_ROWS``).
"""

from __future__ import annotations

import polars as pl

from tracker_db.canvas.shaping import TABLE_COLUMNS, ShapedSync
from tracker_db.db import Cursor, read_frame, sql_file, staged
from tracker_db.errors import TrackerError
from tracker_db.store import OwnedRows

_SQL = sql_file("store/snapshot")

#: The layer-1 tables, in the order a sync writes them; the allowlist for table names.
CANVAS_TABLES: tuple[str, ...] = tuple(TABLE_COLUMNS)

#: An object's layer-1 rows. A permanent delete of an object that is inactive but still
#: listed removes them too, because change detection trusts layer 1 to match the latest
#: history row: the next sync brings such an object back as new, with a fresh history.
OWNED_ROWS = OwnedRows({
    "student": [
        ("canvas.students", "student_id = ?"),
        ("canvas.enrollments", "student_id = ?"),
        ("canvas.submissions", "student_id = ?"),
    ],
    "course": [
        ("canvas.courses", "course_id = ?"),
        ("canvas.sections", "course_id = ?"),
        ("canvas.enrollments", "course_id = ?"),
        ("canvas.assignment_groups", "course_id = ?"),
        ("canvas.assignments", "course_id = ?"),
        ("canvas.submissions", "course_id = ?"),
    ],
    "assignment": [
        ("canvas.assignments", "assignment_id = ?"),
        ("canvas.submissions", "assignment_id = ?"),
    ],
})


def qualified_table(table: str) -> str:
    """Return ``canvas.<table>`` for a layer-1 table.

    Raises:
        TrackerError: ``table`` is not one of ``CANVAS_TABLES``.
    """
    if table not in CANVAS_TABLES:
        raise TrackerError(f"unknown canvas table {table!r}; expected one of {CANVAS_TABLES}")
    return f"canvas.{table}"


def read_table(cur: Cursor, table: str) -> pl.DataFrame:
    """Return ``canvas.<table>`` whole (its ``TABLE_COLUMNS``), for a sync to build on.

    Raises:
        TrackerError: ``table`` is not one of ``CANVAS_TABLES``.
    """
    columns = ", ".join(TABLE_COLUMNS[table]) if table in TABLE_COLUMNS else "*"
    return read_frame(cur, f"SELECT {columns} FROM {qualified_table(table)}")


def replace_table(cur: Cursor, table: str, frame: pl.DataFrame) -> int:
    """Make ``canvas.<table>`` hold exactly the rows of ``frame`` (inside a transaction).

    Only the rows that differ are written: a row Canvas sends as it was stays as it is
    stored, so a sync that changes little writes little (less to log and checkpoint in a
    DuckDB file, fewer data and delete files on DuckLake). Columns are matched by name.

    Returns:
        The number of rows the table holds now.
    """
    names = {"table": qualified_table(table), "columns": ", ".join(TABLE_COLUMNS[table]),
             "key": TABLE_COLUMNS[table][0]}
    if not frame.height:
        cur.execute(_SQL["delete_all_rows"].format(**names))
        return 0
    with staged(cur, "incoming_rows", frame):
        cur.execute(_SQL["delete_rows_that_differ"].format(**names))
        cur.execute(_SQL["insert_rows_that_differ"].format(**names))
    return frame.height


def replace_snapshot(cur: Cursor, shaped: ShapedSync) -> dict[str, int]:
    """Replace every layer-1 table with a shaped sync (inside the sync's transaction).

    Returns:
        ``{table: rows written}``.
    """
    return {table: replace_table(cur, table, frame) for table, frame in shaped.tables().items()}
