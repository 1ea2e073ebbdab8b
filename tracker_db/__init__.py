"""Canvas Tracker's data module: the layered DuckDB store, the sync, and the queries.

Never imports streamlit: the dashboard is one consumer among others (the CLI, analysts).
"""

from tracker_db.errors import (
    CanvasAPIError,
    ConfigError,
    DatabaseBusyError,
    DatabaseError,
    DataValidationError,
    MigrationError,
    SyncError,
    TrackerError,
)
from tracker_db.session import DatabaseManager, get_session, transaction

__all__ = [
    "CanvasAPIError",
    "ConfigError",
    "DataValidationError",
    "DatabaseBusyError",
    "DatabaseError",
    "DatabaseManager",
    "MigrationError",
    "SyncError",
    "TrackerError",
    "get_session",
    "transaction",
]
