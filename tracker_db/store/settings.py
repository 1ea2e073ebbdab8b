"""``ops.settings``: what the app keeps in the database itself (the sync schedule, lake
upkeep), so every process that shares the database reads the same and a restart keeps it.
The only writer of that table.
"""

from __future__ import annotations

from collections.abc import Mapping

from tracker_db.db import Cursor, sql_file

_SQL = sql_file("store/settings")


def read_settings(cur: Cursor) -> dict[str, str | None]:
    """Return every stored setting, ``{name: value}``."""
    return {str(name): value for name, value in cur.execute(_SQL["read_settings"]).fetchall()}


def write_settings(cur: Cursor, values: Mapping[str, str | None]) -> None:
    """Store settings, replacing earlier values (inside the caller's transaction)."""
    for name, value in values.items():
        cur.execute(_SQL["delete_setting"], [name])
        cur.execute(_SQL["insert_setting"], [name, value])
