"""Layer 1 (``canvas`` schema): what Canvas says now. The only writer of its tables.

A full sync replaces every table whole, inside the sync's transaction; a permanent delete
removes one object's rows (see ``OWNED_ROWS``).
"""

from __future__ import annotations

import polars as pl

from tracker_db.canvas.shaping import TABLE_COLUMNS, ShapedSync
from tracker_db.db import Cursor, staged
from tracker_db.errors import TrackerError
from tracker_db.store import OwnedRows

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
    return cur.execute(f"SELECT {columns} FROM {qualified_table(table)}").pl()


def replace_table(cur: Cursor, table: str, frame: pl.DataFrame) -> int:
    """Replace the contents of ``canvas.<table>`` with ``frame`` (inside a transaction).

    Rows travel as one Arrow table; columns are matched by name.

    Returns:
        The number of rows written.
    """
    qualified = qualified_table(table)
    cur.execute(f"DELETE FROM {qualified}")
    with staged(cur, "incoming_rows", frame):
        cur.execute(f"INSERT INTO {qualified} BY NAME SELECT * FROM incoming_rows")
    return frame.height


def replace_snapshot(cur: Cursor, shaped: ShapedSync) -> dict[str, int]:
    """Replace every layer-1 table with a shaped sync (inside the sync's transaction).

    Returns:
        ``{table: rows written}``.
    """
    return {table: replace_table(cur, table, frame) for table, frame in shaped.tables().items()}
