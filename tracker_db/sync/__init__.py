"""The sync: Canvas data in, every layer written in one transaction.

- ``write``: validate and shape raw Canvas data, then write layers 1, 2 and 0, the
  summaries and the run record in ONE transaction (``full_canvas_sync``).
- ``from_canvas``: fetch from Canvas with no transaction open, then write
  (``sync_from_canvas``).
- ``runner``: the dashboard's background runner, one sync at a time per process.
- ``demo``: the demo loader (the built-in fake Canvas, imported only when the demo runs).
"""

from tracker_db.sync.from_canvas import check_source_matches, sync_from_canvas
from tracker_db.sync.write import SyncResult, full_canvas_sync

__all__ = ["SyncResult", "check_source_matches", "full_canvas_sync", "sync_from_canvas"]
