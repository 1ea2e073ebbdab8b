"""A teacher's review of objects that left Canvas: keep as inactive, archive, or delete.

Layer 0 flags a removed course, student or assignment that carries notes, metadata or
history; the teacher then keeps it as inactive (reachable with "include inactive"), archives
it (hidden from default views, every row kept), or deletes it permanently after confirming a
plan that names every row that will go. Each decision is one write transaction; a permanent
delete asks every domain that holds rows of the object to delete them (each domain module
alone writes its tables), then brings the summaries up to date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from tracker_db.db import Cursor, using, write
from tracker_db.errors import DataValidationError
from tracker_db.store import OwnedRows, history, lifecycle, snapshot, summaries, teacher_data
from tracker_db.validation import validate_object_type

# The domains holding rows of an object, in the order they are deleted: teacher data first
# (a course's assignment metadata is found through layer 0), layer 0's own row last.
_OWNERS: tuple[OwnedRows, ...] = (
    teacher_data.OWNED_ROWS, history.OWNED_ROWS, lifecycle.OWNED_ROWS, snapshot.OWNED_ROWS,
)


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


def _plan(c: Cursor, object_type: str, object_id: int) -> DeletionPlan:
    object_type = validate_object_type(object_type)
    name = lifecycle.require_removed(c, object_type, object_id)
    rows: dict[str, int] = {}
    for owner in _OWNERS:
        rows.update(owner.count(c, object_type, object_id))
    return DeletionPlan(object_type, object_id, name, rows)


def plan_permanent_delete(
    object_type: str, object_id: int, *, cur: Cursor | None = None
) -> DeletionPlan:
    """Count what ``delete_permanently`` would remove, for the confirmation.

    Raises:
        DataValidationError: Unknown object, or one that is still active.
    """
    with using(cur) as c:
        return _plan(c, object_type, object_id)


def delete_permanently(
    object_type: str, object_id: int, *, confirm: DeletionPlan, cur: Cursor | None = None
) -> DeletionPlan:
    """Delete a removed object's teacher data, history, layer-1 rows and lifecycle record.

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
    def delete(c: Cursor) -> DeletionPlan:
        current = _plan(c, object_type, object_id)
        if (confirm.object_type, confirm.object_id, confirm.rows) != (
            current.object_type, current.object_id, current.rows
        ):
            raise DataValidationError(
                f"what would be deleted changed since it was confirmed: {current.describe()} "
                "Confirm again."
            )
        # A student's history is part of their assignments' submission counts, which the
        # summary recomputes without it.
        scored = history.scored_assignments(c, object_id) if object_type == "student" else []
        for owner in _OWNERS:
            owner.delete(c, current.object_type, object_id)
        lifecycle.delete_status(c, current.object_type, object_id)
        summaries.forget_object(c, current.object_type, object_id, scored)
        return current

    with using(cur) as c:
        return write(c, delete)


def _decide(object_type: str, object_id: int, *, archived: bool, cur: Cursor | None) -> None:
    object_type = validate_object_type(object_type)
    def decide(c: Cursor) -> None:
        # Only removed objects take a decision, and layer 0 hides them either way, so the
        # hidden students' submission counts stay as the sync wrote them.
        lifecycle.require_removed(c, object_type, object_id)
        lifecycle.set_review_decision(
            c, object_type, object_id, archived=archived, at=datetime.now(UTC)
        )

    with using(cur) as c:
        write(c, decide)


def keep_inactive(object_type: str, object_id: int, *, cur: Cursor | None = None) -> None:
    """Keep a removed object as inactive: reviewed, still reachable with "include inactive"."""
    _decide(object_type, object_id, archived=False, cur=cur)


def archive_object(object_type: str, object_id: int, *, cur: Cursor | None = None) -> None:
    """Archive a removed object: hidden from default views, every row of its data kept."""
    _decide(object_type, object_id, archived=True, cur=cur)
