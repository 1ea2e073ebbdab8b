"""``ops.sync_runs`` and ``ops.sync_attempts``: the outcome of every sync attempt that
recorded one, and the attempts still under way. The only writer of both.

A successful sync records its run inside its own transaction; a failed one records the
attempt afterwards in a transaction of its own (``tracker_db.sync.write``), so the failure
is visible while every layer stays as it was. Both take the next run number: the numbers
count recorded attempts, failed ones included (the Sync page lists them all).

An attempt also has a row in ``ops.sync_attempts`` from its start until the transaction that
records its outcome (or, after an interrupt, a cleanup) deletes it; a row left behind is the
trace of a process that died mid-sync. Each run record carries its attempt's id, so whoever
started an attempt can ask what became of it.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from tracker_db.db import Cursor, count, one_row, scalar, sql_file

_SQL = sql_file("store/sync_runs")

#: The columns a run record may set; the allowlist for the names ``record_run`` writes.
RUN_COLUMNS: tuple[str, ...] = (
    "sync_id", "started_at", "finished_at", "status", "source", "courses", "sections",
    "students", "enrollments", "assignment_groups", "assignments", "submissions",
    "grade_history_rows", "assignment_score_rows", "duration_seconds", "error", "attempt_id",
    "mode", "changes_since",
)


def next_sync_id(cur: Cursor) -> int:
    """Return the id the next attempt takes (read inside the writing transaction)."""
    return count(cur, _SQL["next_sync_id"])


def last_successful_sync_id(cur: Cursor) -> int | None:
    """Return the latest successful sync, None before the first one."""
    value = scalar(cur, _SQL["last_successful_sync_id"])
    return None if value is None else int(value)


def last_successful_run(cur: Cursor) -> dict[str, Any] | None:
    """Return the latest successful sync's ``sync_id``, ``started_at``, ``mode`` (``full``
    or ``incremental``) and ``source``; None before the first one."""
    return one_row(cur, _SQL["last_successful_run"])


def full_sync_cadence(cur: Cursor) -> tuple[datetime | None, int]:
    """Return when the latest successful full sync started (None if none) and how many
    successful incremental syncs followed it."""
    row = one_row(cur, _SQL["full_sync_cadence"]) or {}
    return row.get("last_full_at"), int(row.get("incrementals_since") or 0)


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


def run_of_attempt(cur: Cursor, attempt_id: str) -> dict[str, Any] | None:
    """Return the run an attempt recorded (every ``RUN_COLUMNS`` value), None if it has
    recorded none."""
    return one_row(cur, _SQL["run_of_attempt"], {"attempt_id": attempt_id})


def new_attempt_id() -> str:
    """Return a new attempt id (a uuid4 in text)."""
    return str(uuid.uuid4())


def start_attempt(
    cur: Cursor, attempt_id: str, started_at: datetime, *, kind: str, trigger: str
) -> None:
    """Record that an attempt started in this process (inside the caller's transaction)."""
    cur.execute(_SQL["start_attempt"], {
        "attempt_id": attempt_id, "started_at": started_at, "kind": kind, "trigger": trigger,
        "pid": os.getpid(), "host": socket.gethostname(),
    })


def end_attempts(cur: Cursor, attempt_ids: Sequence[str]) -> None:
    """Delete the rows of attempts that ended (inside the caller's transaction); ids
    without a row are ignored."""
    if attempt_ids:
        cur.execute(_SQL["end_attempts"], {"attempt_ids": list(attempt_ids)})
