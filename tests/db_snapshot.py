"""Whole-database snapshots, for "nothing changed" assertions."""

from __future__ import annotations

from typing import Any

import duckdb

LAYER_SCHEMAS = ("canvas", "history", "meta", "lifecycle", "ops", "summary")
# The write token counts write transactions (a failed sync's record takes it too): it is
# bookkeeping of the writers, not data.
NOT_DATA = {"ops.write_token"}


def snapshot(cur: duckdb.DuckDBPyConnection, schemas: tuple[str, ...] = LAYER_SCHEMAS) -> dict[
    str, list[tuple[Any, ...]]
]:
    """Return every row of every table in ``schemas``, sorted, keyed by ``schema.table``."""
    tables = cur.execute(
        "SELECT table_schema, table_name FROM information_schema.tables "
        "WHERE table_type = 'BASE TABLE' AND list_contains(?, table_schema) "
        "AND table_catalog = current_database() "
        "ORDER BY ALL",
        [list(schemas)],
    ).fetchall()
    result: dict[str, list[tuple[Any, ...]]] = {}
    for schema, table in tables:
        if f"{schema}.{table}" in NOT_DATA:
            continue
        # .pl(): fetchall() of TIMESTAMPTZ would need pytz, which the project does not use.
        rows = cur.execute(f'SELECT * FROM "{schema}"."{table}"').pl().rows()
        result[f"{schema}.{table}"] = sorted(rows, key=repr)
    return result


def rebuilt_summaries(cur: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[Any, ...]]]:
    """The summary schema as derived from scratch now, in a transaction then rolled back."""
    from tracker_db.store import summaries

    cur.execute("BEGIN TRANSACTION")
    try:
        summaries.derive_summaries(cur)
        return snapshot(cur, ("summary",))
    finally:
        cur.execute("ROLLBACK")
