"""``ops.sync_runs``: one row per sync attempt, failed ones included. The only writer of it.

A successful sync records its run inside its own transaction; a failed one records the
attempt afterwards in a transaction of its own (``tracker_db.sync.write``), so the failure
is visible while every layer stays as it was.
"""

from __future__ import annotations

from collections.abc import Mapping

from tracker_db.db import Cursor, count, scalar, sql_file

_SQL = sql_file("store/sync_runs")

#: The columns a run record may set; the allowlist for the names ``record_run`` writes.
RUN_COLUMNS: tuple[str, ...] = (
    "sync_id", "started_at", "finished_at", "status", "source", "courses", "sections",
    "students", "enrollments", "assignment_groups", "assignments", "submissions",
    "grade_history_rows", "assignment_score_rows", "duration_seconds", "error",
)


def next_sync_id(cur: Cursor) -> int:
    """Return the id the next attempt takes (read inside the writing transaction)."""
    return count(cur, _SQL["next_sync_id"])


def last_successful_sync_id(cur: Cursor) -> int | None:
    """Return the latest successful sync, None before the first one."""
    value = scalar(cur, _SQL["last_successful_sync_id"])
    return None if value is None else int(value)


def record_run(cur: Cursor, row: Mapping[str, object]) -> None:
    """Insert one run record (columns by name; the caller owns the transaction).

    Raises:
        ValueError: A column that is not in ``RUN_COLUMNS``.
    """
    unknown = sorted(set(row) - set(RUN_COLUMNS))
    if unknown:
        raise ValueError(f"ops.sync_runs has no column(s) {unknown}")
    columns = ", ".join(row)
    placeholders = ", ".join(f"${name}" for name in row)
    cur.execute(f"INSERT INTO ops.sync_runs ({columns}) VALUES ({placeholders})", dict(row))


def sources(cur: Cursor) -> list[str]:
    """Return where this database's successful syncs came from."""
    return [row[0] for row in cur.execute(_SQL["sources"]).fetchall() if row[0]]
