"""Typed errors for Canvas Tracker.

Every error the tracker raises on purpose is a ``TrackerError``; callers (the pages, the CLI)
catch that one base and show its message. Driver errors are wrapped with ``raise ... from e`` so
the cause stays on the chain for debugging.
"""


class TrackerError(Exception):
    """Base class for every error Canvas Tracker raises on purpose."""


class ConfigError(TrackerError):
    """A setting (environment variable, path, URL) has a value the tracker cannot use."""


class DatabaseBusyError(TrackerError):
    """The database file is held by another process."""


class DatabaseError(TrackerError):
    """DuckDB refused an operation (a write conflict, a full disk ...); nothing was saved."""


class WriteConflictError(DatabaseError):
    """Another process committed first and the write was tried again too often; nothing was
    saved."""


class MigrationError(TrackerError):
    """The database schema cannot be brought to the version this code expects."""


class CanvasAPIError(TrackerError):
    """Canvas refused or failed a request, or answered with something unusable."""


class DataValidationError(TrackerError):
    """Input data (from Canvas or from a teacher) is invalid; nothing was written."""


class SyncError(TrackerError):
    """A sync failed; every layer was left as it was."""


class CanvasAuthError(CanvasAPIError):
    """Canvas refused the token (401)."""


class CourseAccessError(CanvasAPIError):
    """Canvas refused one course's data (403/404): the teacher can stop tracking it."""
