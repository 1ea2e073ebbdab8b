"""Objects that left Canvas (layer 0) and the data they still carry, for the teacher's review
(``tracker_db.review`` carries out the decisions)."""

from __future__ import annotations

import polars as pl

from tracker_db.db import Cursor, read_frame, sql_file, using
from tracker_db.exports import Column
from tracker_db.read_models.display import shorten_columns
from tracker_db.validation import validate_object_type

_SQL = sql_file("read_models/removals")

#: The list of removals as the Review removals page shows it (and so its download).
REMOVAL_COLUMNS: dict[str, Column] = {
    "object_type": Column("Type", width=80),
    "object_id": Column("Canvas id", width=80),
    "name": Column("Name", width=140),
    "removal_reason": Column("Why", width=140),
    "removed_at": Column("Removed", width=175),
    "archived": Column("Archived", width=70),
    "notes": Column("Notes", width=55),
    "has_metadata": Column("Metadata", width=75),
    "history_rows": Column("History rows", width=95, help="Rows of score history it carries"),
}


def list_removals(*, pending_only: bool = True, cur: Cursor | None = None) -> pl.DataFrame:
    """Return removed objects with the data they carry.

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
        frame = read_frame(c, _SQL["removals"], {"pending_only": pending_only})
    return shorten_columns(frame, ("name", "removal_reason"))


def get_object_status(object_type: str | None = None, *, cur: Cursor | None = None) -> pl.DataFrame:
    """Return layer-0 rows (all, or of one type), ordered by type and id."""
    checked = None if object_type is None else validate_object_type(object_type)
    with using(cur) as c:
        return read_frame(c, _SQL["object_status"], {"object_type": checked})
