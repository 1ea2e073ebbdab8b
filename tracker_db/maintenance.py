"""Upkeep of a database: work no sync or teacher edit does on its own.

- ``rebuild_summaries``: derive the summary schema again from layers 0-2, for a database
  filled without the sync (the program-scale benchmark builds one in SQL) or to repair one.
"""

from __future__ import annotations

from tracker_db.db import Cursor, transaction, using
from tracker_db.store import summaries


def rebuild_summaries(*, cur: Cursor | None = None) -> None:
    """Recompute every summary table from layers 0, 1 and 2, in one transaction."""
    with using(cur) as c, transaction(c):
        summaries.derive_summaries(c)
