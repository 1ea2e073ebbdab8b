"""One assignment, student by student (the Assignment page's read model), on the demo data."""

from __future__ import annotations

import csv
import io

import pytest

from tests.conftest import Stores
from tracker_db.config import Settings
from tracker_db.db import Database
from tracker_db.errors import DataValidationError
from tracker_db.read_models.assignment_work import (
    STATUSES,
    WORK_COLUMNS,
    assignment_work_csv,
    count_statuses,
    get_assignment,
    get_assignment_work,
    get_course_assignments,
)


@pytest.fixture
def demo(stores: Stores, demo_template: Settings):
    """A cursor on a copy of the demo database."""
    database = Database(stores.copy(demo_template, "work"))
    with database.session() as cur:
        yield cur
    database.close()


def _busiest_assignment(cur) -> int:
    # The assignment of course 101 whose work has the most different statuses.
    return cur.execute(
        "SELECT assignment_id FROM canvas.submissions WHERE course_id = 101 GROUP BY 1 "
        "ORDER BY count(DISTINCT (excused, missing, late, score IS NULL)) DESC, 1 LIMIT 1"
    ).fetchone()[0]


def test_every_active_student_of_the_course_has_one_row_with_a_status(demo):
    assignment_id = _busiest_assignment(demo)
    work = get_assignment_work(assignment_id, cur=demo)
    active = {r[0] for r in demo.execute(
        "SELECT student_id FROM canvas.reported_course_students(false) WHERE course_id = 101"
    ).fetchall()}
    assert set(work["student_id"]) == active and work.height == len(active)
    assert set(work["status"]) <= set(STATUSES) and len(set(work["status"])) >= 3
    facts = {sid: (excused, missing, late, score) for sid, excused, missing, late, score in
             demo.execute("SELECT student_id, excused, missing, late, score FROM "
                          "canvas.submissions WHERE assignment_id = ?",
                          [assignment_id]).fetchall()}
    for row in work.iter_rows(named=True):
        excused, missing, late, score = facts.get(row["student_id"], (None, None, None, None))
        if excused:
            assert row["status"] == "excused"
        elif missing:
            assert row["status"] == "missing"
        elif late:
            assert row["status"].startswith("late")
        assert row["score"] == score
    counts = count_statuses(work)
    assert list(counts) == list(STATUSES) and sum(counts.values()) == work.height
    # Sorted by name, as teachers read a class list.
    assert work["sort_key"].to_list() == sorted(work["sort_key"].to_list())


def test_statuses_filter_and_the_download_is_what_is_shown(demo):
    assignment_id = _busiest_assignment(demo)
    everyone = get_assignment_work(assignment_id, cur=demo)
    status = everyone["status"][0]
    some = get_assignment_work(assignment_id, [status], cur=demo)
    assert set(some["status"]) == {status} and some.height == count_statuses(everyone)[status]
    rows = list(csv.reader(io.StringIO(assignment_work_csv(some).decode("utf-8-sig"))))
    assert rows[0] == [c.label for c in WORK_COLUMNS.values()] and len(rows) - 1 == some.height
    with pytest.raises(DataValidationError, match="unknown status 'gone fishing'"):
        get_assignment_work(assignment_id, ["gone fishing"], cur=demo)
    with pytest.raises(DataValidationError, match="assignment id"):
        get_assignment_work(-4, cur=demo)


def test_a_course_lists_its_assignments_and_an_unknown_one_is_none(demo):
    listed = get_course_assignments(101, cur=demo)
    assert listed.height == demo.execute(
        "SELECT count(*) FROM canvas.assignments WHERE course_id = 101").fetchone()[0]
    first = get_assignment(listed["assignment_id"][0], cur=demo)
    assert first is not None and first["course_id"] == 101
    assert get_assignment(999_999_999, cur=demo) is None
