"""The ``summary`` schema: read models the sync writes for the dashboard pages. The only
writer of its tables.

Pages must answer in well under a second at program scale (millions of submissions and
history rows), so what they would otherwise aggregate on every view is derived once per sync,
inside the sync's transaction:

- ``summary.course_students``: per (course, student) pair, the score, missing and late work
  and the change in the last sync; also the pairs Canvas no longer lists.
- ``summary.students``: per student, the name to sort by and the totals over their courses.
- ``summary.submission_changes``: how each sync moved each assignment's counted and
  submitted pairs (appended per sync).
- ``summary.hidden_submission_changes``: the part of those from students layer 0 hides.
- ``summary.work_changes``: per history row that moved a score, the missing flag or the
  submitted state, the values before and after (appended per sync): "what changed".
- ``summary.flags``: the flags the teachers' rules raise as of the latest sync, and in
  ``summary.flag_state`` the sync and the rules they were derived under (derived again when
  the rules change; readers apply the rules themselves when it is not the latest).

Nothing here is a source of truth: everything can be derived again from layers 0-2
(``derive_summaries``; the derivations are macros of migration 0007), and tests hold the
incremental writes to that and to independent definitions. Which students and courses layer
0 hides changes only in a sync or a permanent delete (review decisions apply to objects
already hidden), so those are the writers.
"""

from __future__ import annotations

from collections.abc import Iterable

from tracker_db.db import Cursor, count, sql_file, staged
from tracker_db.read_models.flags import raise_flags
from tracker_db.store import OwnedRows, sync_runs

_SQL = sql_file("store/summaries")

#: What a permanently deleted object leaves in the per-pair and per-assignment summaries;
#: ``forget_object`` then derives the rest again.
OWNED_ROWS = OwnedRows({
    "student": [
        ("summary.course_students", "student_id = ?"),
        ("summary.work_changes", "student_id = ?"),
        ("summary.flags", "student_id = ?"),
    ],
    "course": [
        ("summary.course_students", "course_id = ?"),
        ("summary.flags", "course_id = ?"),
        ("summary.submission_changes", "course_id = ?"),
        ("summary.work_changes", "course_id = ?"),
    ],
    "assignment": [
        ("summary.submission_changes", "assignment_id = ?"),
        ("summary.work_changes", "assignment_id = ?"),
    ],
})


def write_course_students(cur: Cursor, sync_id: int) -> int:
    """Rewrite ``summary.course_students`` for this sync (inside its transaction).

    Call after layer 1 is replaced, the grade history appended and layer 0 rewritten.

    Returns:
        The number of rows written.
    """
    cur.execute(_SQL["clear_course_students"])
    return count(cur, _SQL["write_course_students"], {"sync_id": sync_id})


def write_students(cur: Cursor) -> int:
    """Rewrite ``summary.students`` from ``summary.course_students`` and layer 0.

    Call inside the transaction that changed either (a sync, a permanent delete).

    Returns:
        The number of rows written.
    """
    cur.execute(_SQL["clear_students"])
    return count(cur, _SQL["write_students"])


def append_submission_changes(cur: Cursor, sync_id: int) -> int:
    """Append this sync's ``summary.submission_changes`` rows (inside its transaction).

    Call after the sync's assignment_scores rows are appended.

    Returns:
        The number of rows appended.
    """
    return count(cur, _SQL["append_submission_changes"], {"sync_id": sync_id})


def append_work_changes(cur: Cursor, sync_id: int) -> int:
    """Append this sync's ``summary.work_changes`` rows (inside its transaction).

    Call after the sync's assignment_scores rows are appended.

    Returns:
        The number of rows appended.
    """
    return count(cur, _SQL["append_work_changes"], {"sync_id": sync_id})


def rebuild_work_changes(cur: Cursor) -> None:
    """Derive ``summary.work_changes`` again from the whole assignment scores history."""
    cur.execute(_SQL["clear_work_changes"])
    cur.execute(_SQL["write_work_changes"])


def rebuild_submission_changes(cur: Cursor, assignment_ids: Iterable[int] | None = None) -> None:
    """Derive ``summary.submission_changes`` again from the assignment scores history.

    Call inside a transaction, after history rows were deleted.

    Args:
        cur: Cursor inside the caller's transaction.
        assignment_ids: The assignments to recompute (None: all of them).
    """
    ids = sorted({int(i) for i in assignment_ids}) if assignment_ids is not None else []
    if assignment_ids is not None and not ids:
        return
    cur.execute(_SQL["clear_submission_changes"], {"ids": ids})
    cur.execute(_SQL["write_submission_changes"], {"ids": ids})


def write_hidden_submission_changes(cur: Cursor) -> None:
    """Rewrite ``summary.hidden_submission_changes`` from layer 0 as it is now.

    Call inside the transaction that changed which students layer 0 hides, or their history
    (a sync, a permanent delete). Charts subtract these rows, so hidden students' work stays
    out of them without scanning their history on every view.
    """
    cur.execute(_SQL["clear_hidden_submission_changes"])
    if count(cur, _SQL["count_hidden_students"]):  # else the history scan would still cost
        cur.execute(_SQL["write_hidden_submission_changes"])


def write_flags(cur: Cursor) -> int:
    """Derive ``summary.flags`` from the latest sync under the rules as set now (inside the
    caller's transaction: a sync's, after its run is recorded, or a change of the rules).

    Returns:
        How many flags the rules raise.
    """
    cur.execute(_SQL["clear_flags"])
    cur.execute(_SQL["clear_flag_state"])
    sync_id = sync_runs.last_successful_sync_id(cur)
    if sync_id is None:
        return 0
    flags, key = raise_flags(cur)
    with staged(cur, "incoming_flags", flags):
        cur.execute(_SQL["insert_flags"])
    cur.execute(_SQL["insert_flag_state"], [sync_id, key])
    return flags.height


def forget_object(
    cur: Cursor, object_type: str, object_id: int, history_assignments: Iterable[int] = ()
) -> None:
    """Drop a permanently deleted object from the summaries (inside the delete's transaction).

    Args:
        cur: Cursor inside the delete's transaction, after the object's rows are deleted.
        object_type: ``course``, ``student`` or ``assignment``.
        object_id: Its Canvas id.
        history_assignments: For a student, the assignments their deleted history rows were
            about: their submission changes are recomputed without the student.
    """
    OWNED_ROWS.delete(cur, object_type, object_id)
    rebuild_submission_changes(cur, history_assignments)
    write_students(cur)
    write_hidden_submission_changes(cur)


def derive_summaries(cur: Cursor, *, change_log: bool = True) -> None:
    """Recompute every summary table from layers 0, 1 and 2 (inside the caller's transaction).

    A database without a successful sync gets empty per-pair and per-student summaries. For
    databases filled without the sync (the program-scale benchmark builds one in SQL), for
    tests that hold the incremental writes to a derivation from scratch, and for past states.

    Args:
        cur: Cursor inside the caller's transaction.
        change_log: Also rebuild ``summary.work_changes`` (a past state, which What changed
            never reads, leaves it empty).
    """
    last_sync_id = sync_runs.last_successful_sync_id(cur)
    if last_sync_id is None:
        cur.execute(_SQL["clear_course_students"])
    else:
        write_course_students(cur, last_sync_id)
    write_students(cur)
    rebuild_submission_changes(cur)
    if change_log:
        rebuild_work_changes(cur)
    write_hidden_submission_changes(cur)
    write_flags(cur)
