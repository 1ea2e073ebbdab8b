"""Locate and read the project's SQL files (``sql/migrations`` and ``sql/queries``)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from tracker_db.errors import ConfigError

_PACKAGE_DIR = Path(__file__).resolve().parent


def sql_dir() -> Path:
    """Return the folder holding ``migrations/`` and ``queries/``.

    A checkout (or editable install) reads the top-level ``sql/``; a wheel carries a copy
    inside the package.
    """
    for candidate in (_PACKAGE_DIR.parent / "sql", _PACKAGE_DIR / "sql"):
        if (candidate / "migrations").is_dir():
            return candidate
    raise ConfigError(
        f"the SQL files are missing: no sql/migrations folder next to {_PACKAGE_DIR}; "
        "reinstall Canvas Tracker"
    )


@cache
def query(name: str) -> str:
    """Return the text of ``sql/queries/<name>.sql`` (read once per process).

    Args:
        name: File stem, e.g. ``"course_summary"``.
    """
    return (sql_dir() / "queries" / f"{name}.sql").read_text(encoding="utf-8")
