"""Where the data lives: settings read from the environment (and, for the app, its secrets).

Two backends share one schema and one SQL:

- ``file`` (the embedded default): a DuckDB file, ``TRACKER_DB_PATH``. One process writes it.
- ``ducklake``: a DuckLake catalog (on PostgreSQL) with its data files under a path every
  process reaches, ``TRACKER_LAKE`` and ``TRACKER_LAKE_DATA``. Many processes and hosts read
  and write it at once. When ``TRACKER_LAKE`` is set it wins.

The Canvas connection settings are read by the client, which validates them before any
request is made.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from tracker_db.errors import ConfigError

DEFAULT_DB_FILENAME = "canvas_tracker.duckdb"
MEMORY_DB = ":memory:"
Backend = Literal["file", "ducklake"]

#: The settings' names, the same in the environment and in ``.streamlit/secrets.toml``.
SETTING_NAMES = ("TRACKER_DB_PATH", "TRACKER_LAKE", "TRACKER_LAKE_DATA")

_PASSWORD = re.compile(r"(password\s*=\s*)(\S+)", re.IGNORECASE)


def redact(text: str) -> str:
    """Return ``text`` with any ``password=...`` of a connection string hidden."""
    return _PASSWORD.sub(r"\1***", text)


@dataclass(frozen=True)
class Settings:
    """Resolved settings.

    Attributes:
        db_path: Absolute path of the DuckDB file, or ``":memory:"`` (the file backend).
        lake: The DuckLake attach string (``ducklake:postgres:dbname=...``), or None.
        lake_data: Where the lake's data files live (a folder, or ``s3://bucket/prefix/``).
    """

    db_path: str
    lake: str | None = None
    lake_data: str | None = None

    @property
    def backend(self) -> Backend:
        """``ducklake`` when a lake is configured, else ``file``."""
        return "ducklake" if self.lake else "file"

    @property
    def in_memory(self) -> bool:
        """Whether the database lives only in this process."""
        return self.backend == "file" and self.db_path == MEMORY_DB

    @property
    def location(self) -> str:
        """Where the data is, for people (a connection password is never shown)."""
        if self.lake:
            return f"{redact(self.lake)} (data in {self.lake_data})"
        return self.db_path

    @property
    def description(self) -> str:
        """The backend in words, for the sidebar and the CLI."""
        if self.backend == "ducklake":
            return "DuckLake (shared: many processes and hosts)"
        return "DuckDB file (embedded: one process writes it)"


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


def resolve_lake(lake: str | None, lake_data: str | None) -> tuple[str | None, str | None]:
    """Check the DuckLake settings; return them cleaned, or ``(None, None)`` for no lake.

    Raises:
        ConfigError: The attach string is not a ``ducklake:`` one, holds a quote or a control
            character, or the data path is missing or unusable.
    """
    lake = (lake or "").strip() or None
    lake_data = (lake_data or "").strip() or None
    if lake is None:
        if lake_data is not None:
            raise ConfigError(
                "TRACKER_LAKE_DATA is set but TRACKER_LAKE is not: set both to use the shared "
                "backend, or neither for the DuckDB file"
            )
        return None, None
    if not lake.startswith("ducklake:"):
        raise ConfigError(
            f"TRACKER_LAKE {redact(lake)!r} is not a DuckLake attach string; it looks like "
            "'ducklake:postgres:dbname=tracker host=127.0.0.1 port=5432 user=tracker'"
        )
    for name, value in (("TRACKER_LAKE", lake), ("TRACKER_LAKE_DATA", lake_data or "")):
        if "'" in value or any(ord(ch) < 32 for ch in value):
            raise ConfigError(f"{name} must not contain quotes or control characters")
    if lake_data is None:
        raise ConfigError(
            "TRACKER_LAKE is set but TRACKER_LAKE_DATA is not: name the folder (or s3:// "
            "prefix) every process reaches for the lake's data files"
        )
    if "://" not in lake_data:
        folder = Path(lake_data).expanduser()
        if not folder.is_absolute():
            folder = Path.cwd() / folder
        if folder.exists() and not folder.is_dir():
            raise ConfigError(f"TRACKER_LAKE_DATA {lake_data!r} is a file, not a folder")
        if not folder.exists() and not folder.parent.is_dir():
            raise ConfigError(
                f"TRACKER_LAKE_DATA {lake_data!r}: folder {str(folder.parent)!r} does not exist"
            )
        lake_data = str(folder) + "/"
    return lake, lake_data


def load_settings(
    environ: Mapping[str, str] | None = None,
    *,
    db_path: str | os.PathLike[str] | None = None,
    lake: str | None = None,
    lake_data: str | None = None,
) -> Settings:
    """Read settings from the environment, with explicit values (CLI options) taking priority.

    Args:
        environ: Mapping to read instead of ``os.environ`` (tests and the app pass their own).
        db_path: ``--db``.
        lake: ``--lake``.
        lake_data: ``--lake-data``.

    Returns:
        The resolved settings.

    Raises:
        ConfigError: A value the tracker cannot use.
    """
    env = os.environ if environ is None else environ
    raw_path = db_path if db_path is not None else env.get("TRACKER_DB_PATH")
    chosen_lake, chosen_data = resolve_lake(
        lake if lake is not None else env.get("TRACKER_LAKE"),
        lake_data if lake_data is not None else env.get("TRACKER_LAKE_DATA"),
    )
    if chosen_lake is not None:  # the lake wins; no file is opened, so none is checked
        return Settings(db_path="", lake=chosen_lake, lake_data=chosen_data)
    return Settings(db_path=resolve_db_path(raw_path))
