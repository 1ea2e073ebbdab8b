"""The DuckDB wrapper: one connection, cursors per caller, transactions that undo."""

import threading

import duckdb
import pytest

from tracker_db.db import TAKE_WRITE_TOKEN, default_database, transaction, write
from tracker_db.errors import DatabaseError, TrackerError, WriteConflictError
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


def test_overlapping_writers_one_commits_the_other_is_refused_whole(fresh_db):
    # Two write transactions that overlap: a DuckDB file refuses the second at its first
    # statement, DuckLake at the later COMMIT; either way exactly one commits, the other is a
    # WriteConflictError, and nothing of it is left.
    with fresh_db.session() as first, fresh_db.session() as second:
        with transaction(first):
            _insert(first, "base")
        first.execute("BEGIN TRANSACTION")
        first.execute(TAKE_WRITE_TOKEN)
        first.execute("UPDATE meta.student_notes SET body = 'first'")
        committed = []
        try:
            with transaction(second):
                second.execute("UPDATE meta.student_notes SET body = 'second'")
            committed.append("second")
        except WriteConflictError as e:
            assert isinstance(e.__cause__, duckdb.TransactionException)
        try:
            first.execute("COMMIT")
            committed.append("first")
        except duckdb.TransactionException:
            pass
        assert len(committed) == 1
        assert _notes(second) == [(committed[0],)]


def test_write_tries_a_conflicting_transaction_again_whole(fresh_db):
    attempts = []

    def work(cur):
        attempts.append(len(attempts) + 1)
        _insert(cur, f"attempt {len(attempts)}")
        if len(attempts) < 3:  # as if another process had committed first
            raise WriteConflictError("simulated conflict")
        return "done"

    with fresh_db.session() as cur:
        assert write(cur, work) == "done"
        assert attempts == [1, 2, 3]
        assert _notes(cur) == [("attempt 3",)]  # the failed attempts left nothing


def test_write_gives_up_after_its_attempts_and_saves_nothing(fresh_db):
    def work(cur):
        _insert(cur, "never")
        raise WriteConflictError("simulated conflict")

    with fresh_db.session() as cur:
        with pytest.raises(WriteConflictError, match="tried 3 times and gave up"):
            write(cur, work, attempts=3)
        assert _notes(cur) == []


def test_every_write_transaction_takes_the_token(fresh_db):
    with fresh_db.session() as cur:
        before = cur.execute("SELECT token FROM ops.write_token").fetchall()
        with transaction(cur):
            _insert(cur, "x")
        assert cur.execute("SELECT token FROM ops.write_token").fetchall() == [
            (before[0][0] + 1,)
        ]


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
