"""Layer 0 (``lifecycle`` schema): which Canvas objects are active, gone, or back again,
and the log of when each student came into or left a course. The only writer of its tables.

Every sync rewrites layer 0 inside its own transaction, from the previous state and the
layer-1 tables it has just written. A teacher's review decision (keep as inactive, archive)
marks one removed object; a permanent delete forgets it (``tracker_db.review`` runs both).
"""

from __future__ import annotations

from datetime import datetime

from tracker_db.db import Cursor, one_row, sql_file
from tracker_db.errors import DataValidationError
from tracker_db.store import OwnedRows

_SQL = sql_file("store/lifecycle")

# table -> statement computing its next state
_NEXT_STATE = {
    "object_status": "next_object_status",
    "enrollment_status": "next_enrollment_status",
}

_COURSE_ASSIGNMENTS = "object_type = 'assignment' AND course_id = ?"

#: What belongs to an object in layer 0 besides its own row (``delete_status`` removes that
#: last): a student's and a course's enrollments, and a course's assignments.
OWNED_ROWS = OwnedRows({
    "student": [
        ("lifecycle.enrollment_status", "student_id = ?"),
        ("lifecycle.enrollment_changes", "student_id = ?"),
    ],
    "course": [
        ("lifecycle.enrollment_status", "course_id = ?"),
        ("lifecycle.enrollment_changes", "course_id = ?"),
        ("lifecycle.object_status", _COURSE_ASSIGNMENTS),
    ],
})


def update_lifecycle(
    cur: Cursor, sync_id: int, now: datetime, *, proves_absence: bool = True
) -> dict[str, int]:
    """Rewrite layer 0 for a sync (inside the sync's transaction, after layer 1), and log
    the (course, student) pairs it brings in or takes out in ``lifecycle.enrollment_changes``.

    Args:
        cur: Cursor inside the sync's transaction.
        sync_id: This sync's id.
        now: Time stamped on removals and returns.
        proves_absence: False for an incremental sync: an object active before stays
            active (removals wait for the next full sync); new and returning objects are
            recorded as usual.

    Returns:
        ``{"removed": n, "reactivated": n}``: objects this sync removed or brought back.
    """
    params = {"sync_id": sync_id, "now": now, "proves_absence": proves_absence}
    changes = {"removed": 0, "reactivated": 0}
    for table, statement in _NEXT_STATE.items():
        staging = f"next_{table}"
        # The next state reads the current one, so it is built aside, then swapped in.
        cur.execute(
            f"CREATE OR REPLACE TEMP TABLE {staging} AS "
            f"SELECT * FROM lifecycle.{table} LIMIT 0"
        )
        cur.execute(f"INSERT INTO {staging} BY NAME {_SQL[statement]}", params)
        if table == "object_status":
            transitions = one_row(cur, _SQL["count_transitions"]) or {}
            changes = {key: int(transitions.get(key) or 0) for key in changes}
        else:  # the log of comings and goings needs both states: write it before the swap
            cur.execute(_SQL["append_enrollment_changes"], {"sync_id": sync_id})
        cur.execute(f"DELETE FROM lifecycle.{table}")
        cur.execute(f"INSERT INTO lifecycle.{table} SELECT * FROM {staging}")
        cur.execute(f"DROP TABLE {staging}")
    return changes


def require_removed(cur: Cursor, object_type: str, object_id: int) -> str | None:
    """Return a removed object's last known name.

    Raises:
        DataValidationError: Layer 0 does not know the object, or it is active in Canvas
            (only removed objects take a review decision or a permanent delete).
    """
    row = one_row(cur, _SQL["removal_state"], [object_type, object_id])
    if row is None:
        raise DataValidationError(f"no {object_type} {object_id} is known to the tracker")
    if row["active"]:
        raise DataValidationError(
            f"{object_type} {object_id} is active in Canvas; only removed objects can be "
            "archived or deleted"
        )
    name = row["last_known_name"]
    return None if name is None else str(name)


def set_review_decision(
    cur: Cursor, object_type: str, object_id: int, *, archived: bool, at: datetime
) -> None:
    """Record a teacher's decision on a removed object (inside the caller's transaction)."""
    cur.execute(_SQL["set_review_decision"], {
        "archived": archived, "reviewed_at": at,
        "object_type": object_type, "object_id": object_id,
    })


def delete_status(cur: Cursor, object_type: str, object_id: int) -> None:
    """Forget an object's own layer-0 row (the last step of a permanent delete)."""
    cur.execute(_SQL["delete_status"], [object_type, object_id])
