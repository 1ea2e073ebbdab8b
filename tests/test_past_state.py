"""Past states: what the pages read right after each sync, rebuilt later from layers 2 and 0,
through real syncs from the fake Canvas on loopback while its data moves."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from tests.db_snapshot import snapshot
from tracker_db.canvas.client import RetryPolicy
from tracker_db.errors import DataValidationError
from tracker_db.fake_canvas import FakeCanvas, build_demo_dataset
from tracker_db.past_state import open_past_state
from tracker_db.read_models import (
    assignment_work,
    courses,
    flags,
    roster,
    student_record,
    trends,
)
from tracker_db.sync.from_canvas import sync_from_canvas

TOKEN = "past-token"
FAST = RetryPolicy(backoff_base=0.01, backoff_cap=0.05, max_pause=0.05)


@pytest.fixture
def fake():
    with FakeCanvas(build_demo_dataset(seed=11), token=TOKEN) as server:
        yield server


def _sync(fake, *, incremental: bool = False) -> int:
    time.sleep(1.05)  # Canvas's *_since filters are strict, to the second
    return sync_from_canvas(fake.base_url, TOKEN, retry=FAST, incremental=incremental).sync_id


def _students_in(ds, course_id: int) -> list[int]:
    return sorted({e["user_id"] for e in ds.student_enrollments(course_id)
                   if e["enrollment_state"] == "active"})


def _page_reads(course_id: int, student_ids: list[int]) -> dict[str, Callable[[Any], Any]]:
    """What the Overview, Students, Student, Progress and Assignment pages read, by name."""
    reads: dict[str, Callable[[Any], Any]] = {
        "overview": lambda c: courses.get_course_overview(cur=c),
        "students": lambda c: roster.get_students_table(cur=c).rows,
        "students, inactive too": lambda c: roster.get_students_table(
            roster.StudentFilters(include_inactive=True), cur=c).rows,
        "students of one course": lambda c: roster.get_students_table(
            roster.StudentFilters(course_ids=(course_id,)), cur=c).rows,
        "filter options": lambda c: roster.get_filter_options(cur=c),
        "score trend": lambda c: trends.get_score_trend((course_id,), cur=c),
        "submitted trend": lambda c: trends.get_submission_trend((course_id,), cur=c),
        "assignment scores": lambda c: trends.get_assignment_distribution(course_id, cur=c),
        "course spread": lambda c: trends.get_course_distribution((), cur=c),
        "course assignments": lambda c: assignment_work.get_course_assignments(course_id, cur=c),
        "assignment work": lambda c: {
            str(a): assignment_work.get_assignment_work(a, include_inactive=True, cur=c)
            for a in assignment_work.get_course_assignments(course_id, cur=c)["assignment_id"]},
    }
    # Last activity is today's in a past state, so "no activity" there shows only what it
    # can prove (see tracker_db.past_state); every other rule is history.
    reads["flags"] = lambda c: flags.get_flags(include_dismissed=True, cur=c).filter(
        pl.col("rule") != "inactive")
    for sid in student_ids:
        reads[f"student {sid}: profile"] = (
            lambda c, s=sid: student_record.get_student_profile(s, cur=c))
        # Last activity is not history: a past state shows today's (unknown for a pair
        # Canvas no longer lists).
        reads[f"student {sid}: courses"] = (
            lambda c, s=sid: student_record.get_student_courses(s, cur=c)
            .drop("last_activity_at"))
        reads[f"student {sid}: score history"] = (
            lambda c, s=sid: student_record.get_student_score_history(s, cur=c))
        reads[f"student {sid}: assignments"] = (
            lambda c, s=sid: student_record.get_student_assignments(s, cur=c))
        reads[f"student {sid}: progress"] = (
            lambda c, s=sid: student_record.get_student_progress_history(s, cur=c))
    return reads


def _assert_same(name: str, then: Any, rebuilt: Any) -> None:
    if isinstance(then, pl.DataFrame):
        try:
            assert_frame_equal(rebuilt, then, check_exact=False, rel_tol=1e-12)
        except AssertionError as e:
            raise AssertionError(f"{name}: {e}") from None
    elif isinstance(then, dict):
        assert then.keys() == rebuilt.keys(), name
        for key in then:
            _assert_same(f"{name}: {key}", then[key], rebuilt[key])
    else:
        assert rebuilt == then, name


def test_every_past_sync_rebuilds_what_the_pages_showed_then(fake, cur):
    ds = fake.dataset
    first, second, third = (c["id"] for c in ds.courses_for_teacher()[:3])
    both = sorted(set(_students_in(ds, first)) & set(_students_in(ds, second)))
    leaver, mover = _students_in(ds, third)[0], both[0]
    assignment = ds.assignments(first)[0]["id"]
    watched = [leaver, mover, _students_in(ds, first)[3]]

    def moves(step: int) -> None:
        ds.change_scores(0.1, seed=step)
        if step == 1:
            watched.append(ds.enroll_new_student(first, "Nova Park"))
            ds.excuse(first, assignment, watched[2])
        elif step == 2:
            ds.drop_student(third, leaver, "inactive")   # still listed, inactive
            ds.drop_student(second, mover, "deleted")    # gone from one of two courses
            ds.submit(first, assignment, watched[-1])
        elif step == 3:
            new = ds.add_assignment(first, "Late addition", 20)
            ds.set_score(first, new, watched[-1], 15)

    reads = _page_reads(first, watched)
    seen: dict[int, dict[str, Any]] = {}
    for step in range(5):
        if step:
            moves(step)
        sync_id = _sync(fake, incremental=step == 4)
        seen[sync_id] = {name: read(cur) for name, read in reads.items()}

    before = snapshot(cur)
    for sync_id, then in seen.items():
        past = open_past_state(sync_id, cur=cur)
        try:
            with past.session() as p:
                for name, read in reads.items():
                    _assert_same(f"sync {sync_id}, {name}", then[name], read(p))
        finally:
            past.close()
    assert snapshot(cur) == before  # the stored database was only read
    # The past differs from the present where the data moved: the test compares something.
    assert not seen[min(seen)]["overview"].equals(seen[max(seen)]["overview"])


def test_a_past_state_names_what_canvas_no_longer_lists(fake, cur):
    ds = fake.dataset
    course_id = ds.courses_for_teacher()[0]["id"]
    doomed = ds.assignments(course_id)[1]
    first = _sync(fake)
    ds.delete_assignment(course_id, doomed["id"])
    _sync(fake)
    graded = cur.execute("SELECT student_id FROM history.assignment_scores WHERE "
                         "assignment_id = ? AND score IS NOT NULL LIMIT 1",
                         [doomed["id"]]).fetchone()[0]
    assert doomed["name"] not in set(
        student_record.get_student_assignments(graded, cur=cur)["assignment_name"])
    past = open_past_state(first, cur=cur)
    with past.session() as p:
        then = student_record.get_student_assignments(graded, cur=p)
    past.close()
    row = then.filter(pl.col("assignment_name") == doomed["name"])
    assert row.height == 1 and row["score"][0] is not None


def test_only_a_successful_sync_has_a_past_state(fake, cur):
    with pytest.raises(DataValidationError, match=r"no successful sync 1 .*none yet"):
        open_past_state(1, cur=cur)
    _sync(fake)
    with pytest.raises(DataValidationError,
                       match=r"no successful sync 7 to show \(the successful syncs: 1\)"):
        open_past_state(7, cur=cur)
