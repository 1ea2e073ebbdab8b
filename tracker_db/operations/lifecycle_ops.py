"""Layer 0 (``lifecycle`` schema): which Canvas objects are active, gone, or back again.

Every sync rewrites layer 0 inside its own transaction, from the previous state and the
layer-1 tables it has just written; the teacher then reviews removed objects that carry
data: keep them as inactive, archive them (hidden from default views, all data kept), or
delete them permanently (their layer-2 and layer-3 rows, after an explicit confirmation).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import duckdb
import polars as pl

from tracker_db.errors import DataValidationError
from tracker_db.operations import summary_ops
from tracker_db.session import transaction, using
from tracker_db.sql_files import query

ObjectType = Literal["course", "student", "assignment"]
OBJECT_TYPES: tuple[str, ...] = ("course", "student", "assignment")

# table -> SQL file computing its next state
_LIFECYCLE_TABLES = {
    "object_status": "lifecycle_next_object_status",
    "enrollment_status": "lifecycle_next_enrollment_status",
}

# What "delete permanently" removes, per object type: (table, condition on the object's id),
# in order: its teacher data (layer 3), its history (layer 2) and its lifecycle rows. An object
# removed only by an inactive enrollment still has layer-1 rows; they go too, because change
# detection trusts layer 1 to match the latest history row. Canvas still lists such an object,
# so the next sync brings it back as new, with a fresh history. A course takes its
# assignments' metadata and lifecycle rows with it. The summary schema (derived data, not
# listed to the teacher) then forgets the object too.
_COURSE_ASSIGNMENTS = (
    "assignment_id IN (SELECT object_id FROM lifecycle.object_status "
    "WHERE object_type = 'assignment' AND course_id = ?)"
)
_OWNED_ROWS: dict[str, list[tuple[str, str]]] = {
    "student": [
        ("meta.student_notes", "student_id = ?"),
        ("meta.student_metadata", "student_id = ?"),
        ("history.grade_history", "student_id = ?"),
        ("history.assignment_scores", "student_id = ?"),
        ("lifecycle.enrollment_status", "student_id = ?"),
        ("canvas.students", "student_id = ?"),
        ("canvas.enrollments", "student_id = ?"),
        ("canvas.submissions", "student_id = ?"),
    ],
    "course": [
        ("meta.course_metadata", "course_id = ?"),
        ("meta.curriculum_courses", "course_id = ?"),
        ("meta.assignment_metadata", _COURSE_ASSIGNMENTS),
        ("history.grade_history", "course_id = ?"),
        ("history.assignment_scores", "course_id = ?"),
        ("lifecycle.enrollment_status", "course_id = ?"),
        ("lifecycle.object_status", "object_type = 'assignment' AND course_id = ?"),
        ("canvas.courses", "course_id = ?"),
        ("canvas.sections", "course_id = ?"),
        ("canvas.enrollments", "course_id = ?"),
        ("canvas.assignment_groups", "course_id = ?"),
        ("canvas.assignments", "course_id = ?"),
        ("canvas.submissions", "course_id = ?"),
    ],
    "assignment": [
        ("meta.assignment_metadata", "assignment_id = ?"),
        ("history.assignment_scores", "assignment_id = ?"),
        ("canvas.assignments", "assignment_id = ?"),
        ("canvas.submissions", "assignment_id = ?"),
    ],
}


def update_lifecycle(cur: duckdb.DuckDBPyConnection, sync_id: int, now: datetime) -> dict[str, int]:
    """Rewrite layer 0 for a sync (call inside the sync's transaction, after layer 1).

    Returns:
        ``{"removed": n, "reactivated": n}``: objects this sync removed or brought back.
    """
    params = {"sync_id": sync_id, "now": now}
    changes = {"removed": 0, "reactivated": 0}
    for table, sql_name in _LIFECYCLE_TABLES.items():
        staging = f"next_{table}"
        # The next state reads the current one, so it is built aside, then swapped in.
        cur.execute(
            f"CREATE OR REPLACE TEMP TABLE {staging} AS "
            f"SELECT * FROM lifecycle.{table} LIMIT 0"
        )
        cur.execute(f"INSERT INTO {staging} BY NAME {query(sql_name)}", params)
        if table == "object_status":
            removed, reactivated = cur.execute(query("lifecycle_transitions")).fetchone()
            changes = {"removed": int(removed), "reactivated": int(reactivated)}
        cur.execute(f"DELETE FROM lifecycle.{table}")
        cur.execute(f"INSERT INTO lifecycle.{table} SELECT * FROM {staging}")
        cur.execute(f"DROP TABLE {staging}")
    return changes


def _check_type(object_type: str) -> str:
    if object_type not in OBJECT_TYPES:
        raise DataValidationError(
            f"object type must be one of {', '.join(OBJECT_TYPES)}, got {object_type!r}"
        )
    return object_type


def get_object_status(
    object_type: str | None = None, *, cur: duckdb.DuckDBPyConnection | None = None
) -> pl.DataFrame:
    """Return layer-0 rows (all, or of one type), ordered by type and id."""
    with using(cur) as c:
        return c.execute(
            query("object_status"), {"object_type": object_type and _check_type(object_type)}
        ).pl()


def list_removals(
    *, pending_only: bool = True, cur: duckdb.DuckDBPyConnection | None = None
) -> pl.DataFrame:
    """Return removed objects with the data they carry, for the "Review removals" view.

    Args:
        pending_only: Only those still waiting for a decision (default); else every
            inactive object.
        cur: Cursor to use.

    Returns:
        Columns: object_type, object_id, name, course_id, removal_reason, removed_at,
        last_seen_sync, pending_review, archived, notes, has_metadata, history_rows,
        history_from, history_to; ordered by removal time, newest first.
    """
    with using(cur) as c:
        return c.execute(query("lifecycle_removals"), {"pending_only": pending_only}).pl()


@dataclass(frozen=True)
class DeletionPlan:
    """What deleting one object permanently would remove.

    Attributes:
        object_type: ``course``, ``student`` or ``assignment``.
        object_id: Its Canvas id.
        name: Its last known name.
        rows: ``{table: rows}`` that would be deleted (tables with none left out).
    """

    object_type: str
    object_id: int
    name: str | None
    rows: dict[str, int]

    @property
    def total_rows(self) -> int:
        """All rows that would be deleted."""
        return sum(self.rows.values())

    def describe(self) -> str:
        """A sentence naming the object and what would be deleted."""
        label = f"{self.object_type} {self.object_id}" + (f" ({self.name})" if self.name else "")
        if not self.rows:
            return f"Deleting {label} removes only its lifecycle record."
        parts = ", ".join(f"{n} row(s) of {table}" for table, n in self.rows.items())
        return f"Deleting {label} permanently removes {parts}."


def _require_removed(
    c: duckdb.DuckDBPyConnection, object_type: str, object_id: int
) -> str | None:
    row = c.execute(
        "SELECT active, last_known_name FROM lifecycle.object_status "
        "WHERE object_type = ? AND object_id = ?",
        [object_type, object_id],
    ).fetchone()
    if row is None:
        raise DataValidationError(f"no {object_type} {object_id} is known to the tracker")
    if row[0]:
        raise DataValidationError(
            f"{object_type} {object_id} is active in Canvas; only removed objects can be "
            "archived or deleted"
        )
    return row[1]


def plan_permanent_delete(
    object_type: str, object_id: int, *, cur: duckdb.DuckDBPyConnection | None = None
) -> DeletionPlan:
    """Count what ``delete_permanently`` would remove, for the confirmation.

    Raises:
        DataValidationError: Unknown object, or one that is still active.
    """
    object_type = _check_type(object_type)
    with using(cur) as c:
        name = _require_removed(c, object_type, object_id)
        rows: dict[str, int] = {}
        for table, condition in _OWNED_ROWS[object_type]:
            (n,) = c.execute(
                f"SELECT count(*) FROM {table} WHERE {condition}", [object_id]
            ).fetchone()
            if n:
                rows[table] = int(n)
        return DeletionPlan(object_type, object_id, name, rows)


def delete_permanently(
    object_type: str,
    object_id: int,
    *,
    confirm: DeletionPlan,
    cur: duckdb.DuckDBPyConnection | None = None,
) -> DeletionPlan:
    """Delete a removed object's history, teacher data and lifecycle record (see _OWNED_ROWS).

    Args:
        object_type: ``course``, ``student`` or ``assignment``.
        object_id: Its Canvas id.
        confirm: The plan the teacher confirmed (from ``plan_permanent_delete``); if the data
            changed since (a sync added rows), nothing is deleted and the new plan must be
            confirmed.
        cur: Cursor to use.

    Returns:
        The plan that was carried out.

    Raises:
        DataValidationError: Unknown or active object, or the confirmed plan is out of date.
    """
    object_type = _check_type(object_type)
    with using(cur) as c, transaction(c):
        current = plan_permanent_delete(object_type, object_id, cur=c)
        if (confirm.object_type, confirm.object_id, confirm.rows) != (
            current.object_type, current.object_id, current.rows
        ):
            raise DataValidationError(
                f"what would be deleted changed since it was confirmed: {current.describe()} "
                "Confirm again."
            )
        # A student's history is part of their assignments' submission counts, which the
        # summary recomputes without it.
        touched_assignments: list[int] = []
        if object_type == "student":
            touched_assignments = [row[0] for row in c.execute(
                "SELECT DISTINCT assignment_id FROM history.assignment_scores "
                "WHERE student_id = ?", [object_id],
            ).fetchall()]
        for table, condition in _OWNED_ROWS[object_type]:
            c.execute(f"DELETE FROM {table} WHERE {condition}", [object_id])
        c.execute(
            "DELETE FROM lifecycle.object_status WHERE object_type = ? AND object_id = ?",
            [object_type, object_id],
        )
        summary_ops.forget_object(c, object_type, object_id, touched_assignments)
    return current


def _set_decision(
    object_type: str, object_id: int, *, archived: bool, cur: duckdb.DuckDBPyConnection | None
) -> None:
    object_type = _check_type(object_type)
    with using(cur) as c, transaction(c):
        # Only removed objects take a decision, and layer 0 hides them either way, so the
        # hidden students' submission counts stay as the sync wrote them.
        _require_removed(c, object_type, object_id)
        c.execute(
            "UPDATE lifecycle.object_status SET pending_review = false, archived = ?, "
            "reviewed_at = ? WHERE object_type = ? AND object_id = ?",
            [archived, datetime.now(UTC), object_type, object_id],
        )


def keep_inactive(
    object_type: str, object_id: int, *, cur: duckdb.DuckDBPyConnection | None = None
) -> None:
    """Keep a removed object as inactive: reviewed, still reachable with "include inactive"."""
    _set_decision(object_type, object_id, archived=False, cur=cur)


def archive_object(
    object_type: str, object_id: int, *, cur: duckdb.DuckDBPyConnection | None = None
) -> None:
    """Archive a removed object: hidden from default views, every row of its data kept."""
    _set_decision(object_type, object_id, archived=True, cur=cur)
