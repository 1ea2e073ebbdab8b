"""The ``summary`` schema: read models the sync writes for the dashboard pages.

Pages must answer in well under a second at program scale (millions of submissions and
history rows), so what they would otherwise aggregate on every view is derived once per sync,
inside the sync's transaction:

- ``summary.course_students``: per (course, student) pair, the score, missing and late work
  and the change in the last sync; also the pairs Canvas no longer lists.
- ``summary.students``: per student, the name to sort by and the totals over their courses.
- ``summary.submission_changes``: how each sync moved each assignment's counted and
  submitted pairs (appended per sync).
- ``summary.hidden_submission_changes``: the part of those from students layer 0 hides.

Nothing here is a source of truth: everything can be rebuilt from layers 0-2
(``rebuild_summaries``), and tests hold the incremental writes to that and to independent
definitions. Which students and courses layer 0 hides changes only in a sync or a permanent
delete (review decisions apply to objects already hidden), so those are the writers.
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb

from tracker_db.session import transaction, using
from tracker_db.sql_files import query


def write_course_students(cur: duckdb.DuckDBPyConnection, sync_id: int) -> int:
    """Rewrite ``summary.course_students`` for this sync (inside its transaction).

    Call after layer 1 is replaced, the grade history appended and layer 0 rewritten.

    Returns:
        The number of rows written.
    """
    cur.execute("DELETE FROM summary.course_students")
    (written,) = cur.execute(query("summary_course_students"), {"sync_id": sync_id}).fetchone()
    return int(written)


def write_students(cur: duckdb.DuckDBPyConnection) -> int:
    """Rewrite ``summary.students`` from ``summary.course_students`` and layer 0.

    Call inside the transaction that changed either (a sync, a permanent delete).

    Returns:
        The number of rows written.
    """
    cur.execute("DELETE FROM summary.students")
    (written,) = cur.execute(query("summary_students")).fetchone()
    return int(written)


def append_submission_changes(cur: duckdb.DuckDBPyConnection, sync_id: int) -> int:
    """Append this sync's ``summary.submission_changes`` rows (inside its transaction).

    Call after the sync's assignment_scores rows are appended.

    Returns:
        The number of rows appended.
    """
    (appended,) = cur.execute(
        query("summary_submission_changes_append"), {"sync_id": sync_id}
    ).fetchone()
    return int(appended)


def _insert_submission_changes(
    cur: duckdb.DuckDBPyConnection, table: str, ids: list[int], hidden_students_only: bool
) -> None:
    cur.execute(
        f"INSERT INTO {table} BY NAME {query('summary_submission_changes')}",
        {"assignment_ids": ids, "hidden_students_only": hidden_students_only},
    )


def rebuild_submission_changes(
    cur: duckdb.DuckDBPyConnection, assignment_ids: Iterable[int] | None = None
) -> None:
    """Recompute ``summary.submission_changes`` from the assignment scores history.

    Call inside a transaction, after history rows were deleted.

    Args:
        cur: Cursor inside the caller's transaction.
        assignment_ids: The assignments to recompute (None: all of them).
    """
    ids = sorted({int(i) for i in assignment_ids}) if assignment_ids is not None else []
    if assignment_ids is not None and not ids:
        return
    cur.execute(
        "DELETE FROM summary.submission_changes "
        "WHERE len($ids::BIGINT[]) = 0 OR list_contains($ids::BIGINT[], assignment_id)",
        {"ids": ids},
    )
    _insert_submission_changes(cur, "summary.submission_changes", ids, False)


def write_hidden_submission_changes(cur: duckdb.DuckDBPyConnection) -> None:
    """Rewrite ``summary.hidden_submission_changes`` from layer 0 as it is now.

    Call inside the transaction that changed which students layer 0 hides, or their history
    (a sync, a permanent delete). Charts subtract these rows, so hidden students' work stays
    out of them without scanning their history on every view.
    """
    cur.execute("DELETE FROM summary.hidden_submission_changes")
    (hidden,) = cur.execute(
        "SELECT count(*) FROM lifecycle.hidden_objects WHERE object_type = 'student'"
    ).fetchone()
    if hidden:  # else nothing to compute, and the history scan would still cost
        _insert_submission_changes(cur, "summary.hidden_submission_changes", [], True)


# What a permanently deleted object leaves in the summary, per type: (table, its id column).
_OBJECT_ROWS: dict[str, list[tuple[str, str]]] = {
    "student": [("summary.course_students", "student_id")],
    "course": [("summary.course_students", "course_id"),
               ("summary.submission_changes", "course_id")],
    "assignment": [("summary.submission_changes", "assignment_id")],
}


def forget_object(
    cur: duckdb.DuckDBPyConnection,
    object_type: str,
    object_id: int,
    history_assignments: Iterable[int] = (),
) -> None:
    """Drop a permanently deleted object from the summaries (inside the delete's transaction).

    Args:
        cur: Cursor inside the delete's transaction, after the object's rows are deleted.
        object_type: ``course``, ``student`` or ``assignment``.
        object_id: Its Canvas id.
        history_assignments: For a student, the assignments their deleted history rows were
            about: their submission changes are recomputed without the student.
    """
    for table, column in _OBJECT_ROWS[object_type]:
        cur.execute(f"DELETE FROM {table} WHERE {column} = ?", [object_id])
    rebuild_submission_changes(cur, history_assignments)
    write_students(cur)
    write_hidden_submission_changes(cur)


def derive_summaries(cur: duckdb.DuckDBPyConnection) -> None:
    """Recompute every summary table from layers 0, 1 and 2 (inside the caller's transaction).

    A database without a successful sync gets empty per-pair and per-student summaries.
    """
    (last_sync_id,) = cur.execute(
        "SELECT max(sync_id) FROM ops.sync_runs WHERE status = 'succeeded'"
    ).fetchone()
    if last_sync_id is None:
        cur.execute("DELETE FROM summary.course_students")
    else:
        write_course_students(cur, int(last_sync_id))
    write_students(cur)
    rebuild_submission_changes(cur)
    write_hidden_submission_changes(cur)


def rebuild_summaries(*, cur: duckdb.DuckDBPyConnection | None = None) -> None:
    """Recompute every summary table from layers 0, 1 and 2, in one transaction.

    For databases filled without the sync (the program-scale benchmark builds one in SQL).
    """
    with using(cur) as c, transaction(c):
        derive_summaries(c)
