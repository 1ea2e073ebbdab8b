"""Shared fixtures: throwaway databases, named for their state, on the backend under test.

``--backend file`` (the default) puts every test database in a DuckDB file under
``tmp_path``; ``--backend ducklake`` (or ``TRACKER_TEST_BACKEND=ducklake``) puts each in a lake
of its own: a database of a throwaway PostgreSQL server started for the run, with its data
files under ``tmp_path``. Tests about one backend only say so with the ``file_only`` or
``ducklake_only`` markers; the DuckLake run leaves out the tests that use no database of the
backend under test (they would run exactly as on the file backend).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from tests.postgres import ThrowawayPostgres
from tests.sample_data import make_canvas_data
from tracker_db.config import Settings
from tracker_db.db import Database, set_default_database
from tracker_db.migrate import open_database
from tracker_db.sync.demo import load_demo_data
from tracker_db.sync.write import full_canvas_sync

BACKENDS = ("file", "ducklake")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--backend", choices=BACKENDS, default=os.environ.get("TRACKER_TEST_BACKEND", "file"),
        help="where test databases live: a DuckDB file, or DuckLake on a throwaway PostgreSQL",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    backend = config.getoption("--backend")
    if backend != "file":
        # A test that never asks for a database of the backend under test (the client, the
        # shaping, the fake Canvas, the charts ...) runs exactly as on the file backend:
        # the DuckLake run leaves it out instead of running it a second time.
        unused = [i for i in items if "backend" not in getattr(i, "fixturenames", ())]
        if unused:
            config.hook.pytest_deselected(items=unused)
            items[:] = [i for i in items if i not in unused]
    for item in items:
        for marker, only in (("file_only", "file"), ("ducklake_only", "ducklake")):
            if item.get_closest_marker(marker) and backend != only:
                item.add_marker(pytest.mark.skip(reason=f"runs on the {only} backend"))


@pytest.fixture(scope="session")
def backend(request: pytest.FixtureRequest) -> str:
    """``file`` or ``ducklake``: where this run's test databases live."""
    return str(request.config.getoption("--backend"))


@pytest.fixture(scope="session")
def postgres(backend: str) -> Iterator[ThrowawayPostgres | None]:
    """The run's PostgreSQL server (None on the file backend)."""
    if backend != "ducklake":
        yield None
        return
    with ThrowawayPostgres() as server:
        yield server


class Stores:
    """Makes empty test databases on the backend under test.

    Args:
        backend: ``file`` or ``ducklake``.
        postgres: The run's server (ducklake).
        folder: Where files (a DuckDB file, or a lake's data files) go.
    """

    def __init__(self, backend: str, postgres: ThrowawayPostgres | None, folder: Path) -> None:
        self.backend = backend
        self.postgres = postgres
        self.folder = folder

    def settings(self, name: str = "tracker") -> Settings:
        """Settings of a new, empty database (nothing is created on a file backend)."""
        if self.backend == "file":
            return Settings(db_path=str(self.folder / f"{name}.duckdb"))
        assert self.postgres is not None
        database = self.postgres.new_database()
        return Settings(db_path="", lake=self.postgres.attach_string(database),
                        lake_data=str(self.folder / f"{name}-{database}-data") + "/")

    @staticmethod
    def env(settings: Settings) -> dict[str, str]:
        """The environment a process (the app, the CLI) needs to open ``settings``."""
        if settings.lake:
            return {"TRACKER_LAKE": settings.lake, "TRACKER_LAKE_DATA": settings.lake_data or ""}
        return {"TRACKER_DB_PATH": settings.db_path}

    def copy(self, source: Settings, name: str) -> Settings:
        """A new database holding everything ``source`` holds (closed; nothing has it open)."""
        target = self.settings(name)
        if self.backend == "file":
            shutil.copy(source.db_path, target.db_path)
            return target
        empty = Database(target)
        try:
            con = empty.cursor()
            con.execute(
                f"ATTACH '{source.lake}' AS template (DATA_PATH '{source.lake_data}', READ_ONLY)"
            )
            con.execute("COPY FROM DATABASE template TO lake")
            con.execute("DETACH template")
            con.close()
        finally:
            empty.close()
        return target


@pytest.fixture
def stores(backend: str, postgres: ThrowawayPostgres | None, tmp_path: Path) -> Stores:
    """Makes this test's databases."""
    return Stores(backend, postgres, tmp_path)


@pytest.fixture
def fresh_db(stores: Stores) -> Iterator[Database]:
    """A migrated, empty database, installed as the process-wide database."""
    database = open_database(stores.settings())
    previous = set_default_database(database)
    try:
        yield database
    finally:
        set_default_database(previous)
        database.close()


@pytest.fixture
def cur(fresh_db: Database) -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor on ``fresh_db``."""
    with fresh_db.session() as cursor:
        yield cursor


@pytest.fixture(scope="session")
def demo_template(
    backend: str, postgres: ThrowawayPostgres | None, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    """The demo database, built once per test run: copy it (``stores.copy``), or open it
    without writing."""
    settings = Stores(backend, postgres, tmp_path_factory.mktemp("demo")).settings("demo")
    database = open_database(settings)
    with database.session() as cur:
        load_demo_data(cur=cur)
    database.close()
    return settings


@pytest.fixture
def demo_copy(demo_template: Settings, stores: Stores) -> Iterator[Database]:
    """A private copy of the demo database, installed as the process-wide one."""
    manager = open_database(stores.copy(demo_template, "copy"))
    previous = set_default_database(manager)
    yield manager
    set_default_database(previous)
    manager.close()


@pytest.fixture
def synced_db(fresh_db: Database) -> Database:
    """``fresh_db`` after one sync of the sample data."""
    full_canvas_sync(make_canvas_data())
    return fresh_db
