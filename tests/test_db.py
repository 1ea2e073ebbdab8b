"""The DuckDB wrapper: one connection, cursors per caller, transactions that undo."""

import threading

import duckdb
import pytest

from tracker_db.db import default_database, transaction
from tracker_db.errors import DatabaseError, TrackerError
from tracker_db.migrate import open_database


def _notes(cur) -> list:
    return cur.execute("SELECT body FROM meta.student_notes ORDER BY body").fetchall()


def _insert(cur, body: str) -> None:
    cur.execute(
        "INSERT INTO meta.student_notes (note_id, student_id, body) VALUES (uuid(), 1, ?)",
        [body],
    )


def test_transaction_commits(cur):
    with transaction(cur):
        _insert(cur, "kept")
    assert _notes(cur) == [("kept",)]


def test_any_exception_rolls_back_and_is_re_raised_unchanged(cur):
    with pytest.raises(KeyError), transaction(cur):
        _insert(cur, "lost")
        raise KeyError("boom")
    assert _notes(cur) == []


def test_driver_errors_become_database_errors_with_the_cause(cur):
    with pytest.raises(DatabaseError, match="nothing was saved") as caught, transaction(cur):
        _insert(cur, "lost")
        cur.execute("INSERT INTO meta.student_notes (note_id) VALUES (NULL)")
    assert isinstance(caught.value.__cause__, duckdb.Error)
    assert isinstance(caught.value, TrackerError)
    assert _notes(cur) == []


def test_conflicting_writers_fail_cleanly(fresh_db):
    with fresh_db.session() as first, fresh_db.session() as second:
        with transaction(first):
            _insert(first, "base")
        first.execute("BEGIN TRANSACTION")
        first.execute("UPDATE meta.student_notes SET body = 'first'")
        with pytest.raises(DatabaseError), transaction(second):
            second.execute("UPDATE meta.student_notes SET body = 'second'")
        first.execute("COMMIT")
        assert _notes(second) == [("first",)]


def test_each_thread_gets_its_own_cursor(fresh_db):
    results: list[int] = []

    def work() -> None:
        with default_database().session() as cur:
            results.append(cur.execute("SELECT count(*) FROM canvas.courses").fetchone()[0])

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [0, 0, 0, 0]


def test_a_closed_manager_says_so(tmp_path):
    manager = open_database(tmp_path / "x.duckdb")
    manager.close()
    manager.close()  # idempotent
    with pytest.raises(TrackerError, match="is closed"):
        manager.cursor()
