"""Shared fixtures: throwaway databases in tmp_path, named for their state."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from tests.sample_data import make_canvas_data
from tracker_db.demo import load_demo_data
from tracker_db.operations.sync_ops import full_canvas_sync
from tracker_db.session import DatabaseManager, set_manager


@pytest.fixture
def fresh_db(tmp_path: Path) -> Iterator[DatabaseManager]:
    """A migrated, empty database file, installed as the process-wide database."""
    manager = DatabaseManager(tmp_path / "tracker.duckdb")
    previous = set_manager(manager)
    try:
        yield manager
    finally:
        set_manager(previous)
        manager.close()


@pytest.fixture
def cur(fresh_db: DatabaseManager) -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor on ``fresh_db``."""
    with fresh_db.session() as cursor:
        yield cursor


@pytest.fixture(scope="session")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo database, built once per test run: copy it, or open it without writing."""
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    manager = DatabaseManager(path)
    with manager.session() as cur:
        load_demo_data(cur=cur)
    manager.close()
    return path


@pytest.fixture
def synced_db(fresh_db: DatabaseManager) -> DatabaseManager:
    """``fresh_db`` after one sync of the sample data."""
    full_canvas_sync(make_canvas_data())
    return fresh_db
