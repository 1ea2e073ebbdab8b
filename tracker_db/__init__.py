"""Canvas Tracker's data module: the layered DuckDB store, the sync, and what pages read.

Never imports streamlit: the dashboard is one consumer among others (the CLI, analysts).

    >>> import tracker_db
    >>> tracker_db.set_default_database(tracker_db.open_database("canvas_tracker.duckdb"))

Then ``tracker_db.sync.full_canvas_sync`` / ``sync_from_canvas`` write syncs,
``tracker_db.edits`` and ``tracker_db.review`` change the teachers' data, and
``tracker_db.read_models`` reads (each function also takes ``cur=`` a cursor of its own).
"""

from tracker_db.db import Database, default_database, set_default_database, transaction
from tracker_db.errors import (
    CanvasAPIError,
    CanvasAuthError,
    ConfigError,
    CourseAccessError,
    DatabaseBusyError,
    DatabaseError,
    DataValidationError,
    MigrationError,
    SyncError,
    TrackerError,
)
from tracker_db.migrate import open_database

__all__ = [
    "CanvasAPIError",
    "CanvasAuthError",
    "ConfigError",
    "CourseAccessError",
    "DataValidationError",
    "Database",
    "DatabaseBusyError",
    "DatabaseError",
    "MigrationError",
    "SyncError",
    "TrackerError",
    "default_database",
    "open_database",
    "set_default_database",
    "transaction",
]
