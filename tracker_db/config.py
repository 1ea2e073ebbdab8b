"""Settings read from the environment.

Only ``TRACKER_DB_PATH`` lives here for now; the Canvas connection settings are read by the
client, which validates them before any request is made.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from tracker_db.errors import ConfigError

DEFAULT_DB_FILENAME = "canvas_tracker.duckdb"
MEMORY_DB = ":memory:"


@dataclass(frozen=True)
class Settings:
    """Resolved settings.

    Attributes:
        db_path: Absolute path of the DuckDB file, or ``":memory:"``.
    """

    db_path: str

    @property
    def in_memory(self) -> bool:
        """Whether the database lives only in this process."""
        return self.db_path == MEMORY_DB


def resolve_db_path(raw: str | os.PathLike[str] | None) -> str:
    """Check a database location and return it in the form DuckDB should open.

    Args:
        raw: A file path, ``":memory:"``, or None for the default file in the working directory.

    Returns:
        ``":memory:"`` or an absolute file path.

    Raises:
        ConfigError: The path is empty, names a directory, or its folder does not exist.
    """
    if raw is None:
        return str(Path.cwd() / DEFAULT_DB_FILENAME)
    text = os.fspath(raw).strip()
    if text == MEMORY_DB:
        return MEMORY_DB
    if not text:
        raise ConfigError("TRACKER_DB_PATH is empty: give a file path or ':memory:'")
    if "\x00" in text:
        raise ConfigError("TRACKER_DB_PATH contains a NUL character")
    path = Path(text).expanduser()
    if not path.is_absolute():
        path = Path.cwd() / path
    if path.is_dir():
        raise ConfigError(f"TRACKER_DB_PATH {text!r} is a directory; give a file path inside it")
    if not path.parent.is_dir():
        raise ConfigError(
            f"TRACKER_DB_PATH {text!r}: folder {str(path.parent)!r} does not exist"
        )
    return str(path)


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Read settings from the environment.

    Args:
        environ: Mapping to read instead of ``os.environ`` (tests pass their own).

    Returns:
        The resolved settings.

    Raises:
        ConfigError: A variable has a value the tracker cannot use.
    """
    env = os.environ if environ is None else environ
    return Settings(db_path=resolve_db_path(env.get("TRACKER_DB_PATH")))
