"""The stored domains: one module per domain, and each module the only writer of its tables.

| module | schema | what it holds |
|---|---|---|
| ``snapshot`` | ``canvas`` (layer 1) | what Canvas says now; a full sync replaces it |
| ``history`` | ``history`` (layer 2) | append-only changes of grades and scores |
| ``lifecycle`` | ``lifecycle`` (layer 0) | which objects are active, gone, or back |
| ``summaries`` | ``summary`` | read models the sync derives for the pages |
| ``teacher_data`` | ``meta`` (layer 3) | the teachers' own data; no sync writes it |
| ``sync_runs`` | ``ops.sync_runs``, ``ops.sync_attempts`` | recorded attempts; those under way |

Functions here take a cursor and run inside the caller's transaction: a unit of work that
spans domains (a sync, a permanent delete, a teacher's edit) opens one transaction and calls
each domain in turn, so it commits or rolls back whole. Pages never import these modules;
they call ``tracker_db.edits``, ``tracker_db.review`` and ``tracker_db.sync``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from tracker_db.db import Cursor, count


@dataclass(frozen=True)
class OwnedRows:
    """The rows of one domain's tables that belong to a Canvas object, per object type.

    Deleting an object permanently removes them; the domain module that owns the tables
    declares them, so no other module names its tables in a write.

    Attributes:
        by_type: ``{object type: [(schema.table, condition with one ? for the id)]}``, in
            the order the rows are deleted.
    """

    by_type: Mapping[str, Sequence[tuple[str, str]]]

    def count(self, cur: Cursor, object_type: str, object_id: int) -> dict[str, int]:
        """Return ``{table: rows}`` that belong to the object (tables without any left out)."""
        rows: dict[str, int] = {}
        for table, condition in self.by_type.get(object_type, ()):
            n = count(cur, f"SELECT count(*) FROM {table} WHERE {condition}", [object_id])
            if n:
                rows[table] = n
        return rows

    def delete(self, cur: Cursor, object_type: str, object_id: int) -> None:
        """Delete the rows that belong to the object (inside the caller's transaction)."""
        for table, condition in self.by_type.get(object_type, ()):
            cur.execute(f"DELETE FROM {table} WHERE {condition}", [object_id])
