"""Shared fixtures: throwaway databases in tmp_path, named for their state."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from tests.sample_data import make_canvas_data
from tracker_db.db import Database, set_default_database
from tracker_db.migrate import open_database
from tracker_db.sync.demo import load_demo_data
from tracker_db.sync.write import full_canvas_sync


@pytest.fixture
def fresh_db(tmp_path: Path) -> Iterator[Database]:
    """A migrated, empty database file, installed as the process-wide database."""
    manager = open_database(tmp_path / "tracker.duckdb")
    previous = set_default_database(manager)
    try:
        yield manager
    finally:
        set_default_database(previous)
        manager.close()


@pytest.fixture
def cur(fresh_db: Database) -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor on ``fresh_db``."""
    with fresh_db.session() as cursor:
        yield cursor


@pytest.fixture(scope="session")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo database, built once per test run: copy it, or open it without writing."""
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    manager = open_database(path)
    with manager.session() as cur:
        load_demo_data(cur=cur)
    manager.close()
    return path


@pytest.fixture
def synced_db(fresh_db: Database) -> Database:
    """``fresh_db`` after one sync of the sample data."""
    full_canvas_sync(make_canvas_data())
    return fresh_db
