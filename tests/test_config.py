from pathlib import Path

import pytest

from tracker_db.config import DEFAULT_DB_FILENAME, MEMORY_DB, load_settings
from tracker_db.errors import ConfigError


def test_default_is_a_file_in_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert load_settings({}).db_path == str(tmp_path / DEFAULT_DB_FILENAME)


def test_memory_is_allowed():
    settings = load_settings({"TRACKER_DB_PATH": ":memory:"})
    assert settings.db_path == MEMORY_DB
    assert settings.in_memory


def test_relative_path_is_resolved_against_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert load_settings({"TRACKER_DB_PATH": "x.duckdb"}).db_path == str(tmp_path / "x.duckdb")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("/no/such/folder/x.duckdb", "does not exist"),
    ],
)
def test_bad_paths_give_a_config_error_naming_the_problem(value, message):
    with pytest.raises(ConfigError, match=message):
        load_settings({"TRACKER_DB_PATH": value})


def test_a_directory_is_refused(tmp_path: Path):
    with pytest.raises(ConfigError, match="is a directory"):
        load_settings({"TRACKER_DB_PATH": str(tmp_path)})
