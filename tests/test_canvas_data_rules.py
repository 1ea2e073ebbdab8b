"""Data the store must not get wrong silently, through the real client and sync over HTTP:
the fake Canvas on loopback serves a conflicting duplicate, a row of another course, or text
that cannot be stored exactly, and the sync says so (or refuses, leaving every layer as it
was)."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.db_snapshot import snapshot
from tests.sample_data import make_canvas_data
from tracker_db.canvas.client import RetryPolicy
from tracker_db.errors import DataValidationError
from tracker_db.fake_canvas import FakeCanvas, build_demo_dataset
from tracker_db.sync.from_canvas import sync_from_canvas
from tracker_db.sync.write import full_canvas_sync

TOKEN = "fake-token-rules~s3cr3t"
FAST = RetryPolicy(backoff_base=0.01, backoff_cap=0.05, max_pause=0.05)
DATA_LAYERS = ("canvas", "history", "meta", "lifecycle", "summary")
COURSE, OTHER_COURSE = 101, 102  # two of the demo teacher's courses

# change(response, params): rewrites one answer of the fake in place.
Change = Callable[[Any, Any], None]


@pytest.fixture
def fake() -> Iterator[FakeCanvas]:
    with FakeCanvas(build_demo_dataset(seed=7), token=TOKEN) as server:
        yield server


def _sync(fake: FakeCanvas):
    return sync_from_canvas(fake.base_url, TOKEN, retry=FAST)


def _rewrite(fake: FakeCanvas, resource: str, course_id: int, change: Change) -> None:
    """Pass the fake's answers for one course's collection through ``change``, by wrapping
    the fake's route for that collection."""
    routes = fake._routes
    original = routes.get(resource, fake._submissions)

    def route(course, params, path, base):
        response = original(course, params, path, base)
        if course.id == course_id and response.status == 200:
            change(response, params)
        return response

    if resource in routes:
        routes[resource] = route
    else:
        fake._submissions = route  # type: ignore[method-assign]


def _first_page(edit: Callable[[list[dict[str, Any]]], None]) -> Change:
    def change(response, params) -> None:
        if params.get("page") in (None, "first"):
            rows = json.loads(response.body)
            edit(rows)
            response.body = json.dumps(rows).encode()

    return change


def _layers_and_runs(cur) -> tuple[dict, list]:
    runs = cur.execute("SELECT status, error FROM ops.sync_runs ORDER BY sync_id").fetchall()
    return snapshot(cur, DATA_LAYERS), runs


def test_a_record_canvas_changed_between_two_pages_keeps_the_later_copy_and_is_reported(
    fake, cur, caplog
):
    served: dict[str, list[dict[str, Any]]] = {}

    def two_overlapping_pages(response, params) -> None:
        # Canvas's own paging overlap: page 2 starts two rows early, and one of those rows
        # was edited between the two requests.
        if params.get("page") != "2":
            rows = served["rows"] = json.loads(response.body)
            response.body = json.dumps(rows[:-1]).encode()
            response.headers = [("Link", f'<{fake.base_url}/api/v1/courses/{COURSE}/'
                                         'assignments?page=2&per_page=100>; rel="next"')]
        else:
            rows = served["rows"]
            renamed = {**rows[-2], "name": "Renamed while the sync ran"}
            response.body = json.dumps([rows[-3], renamed, rows[-1]]).encode()

    _rewrite(fake, "assignments", COURSE, two_overlapping_pages)
    with caplog.at_level(logging.WARNING, logger="tracker_db.canvas.shaping"):
        result = _sync(fake)

    changed = served["rows"][-2]["id"]
    assert result.conflicts == {"assignments": 1}  # the exact copy is not counted
    assert ("; 1 assignment Canvas sent twice with different values (the later copy kept)"
            in result.summary())
    stored = cur.execute(
        "SELECT name FROM canvas.assignments WHERE assignment_id = ?", [changed]
    ).fetchall()
    assert stored == [("Renamed while the sync ran",)]
    assert cur.execute(
        "SELECT count(*) FROM canvas.assignments WHERE course_id = ?", [COURSE]
    ).fetchone() == (len(served["rows"]),)
    warnings = [r.getMessage() for r in caplog.records]
    assert any(f"assignments id={changed}" in w and "field 'name'" in w for w in warnings)


def test_the_summary_counts_conflicts_per_table_in_words(cur):
    data = make_canvas_data()
    data["submissions"] += [{**data["submissions"][0], "score": 1.0},
                            {**data["submissions"][1], "score": 2.0}]
    data["enrollments"].append({**data["enrollments"][2], "enrollment_state": "completed"})
    result = full_canvas_sync(data)
    assert result.conflicts == {"enrollments": 1, "submissions": 2}
    assert result.summary().endswith(
        "; 1 enrollment, 2 submissions Canvas sent twice with different values "
        "(the later copy kept)"
    )
    assert "Canvas sent twice" not in full_canvas_sync(make_canvas_data()).summary()


def _move_first_enrollment(rows: list[dict[str, Any]]) -> None:
    rows[0]["course_id"] = OTHER_COURSE


def _first_submission_to_other_course(fake: FakeCanvas) -> Callable[[list], None]:
    other_assignment = fake.dataset.assignments(OTHER_COURSE)[0]["id"]

    def edit(rows: list[dict[str, Any]]) -> None:
        rows[0]["assignment_id"] = other_assignment

    return edit


@pytest.mark.parametrize("resource", ["enrollments", "submissions"])
def test_a_row_of_another_course_is_refused_and_nothing_changes(fake, cur, resource):
    _sync(fake)
    before, runs_before = _layers_and_runs(cur)
    first_row: dict[str, Any] = {}
    edit = (_move_first_enrollment if resource == "enrollments"
            else _first_submission_to_other_course(fake))

    def record_and_edit(rows: list[dict[str, Any]]) -> None:
        edit(rows)
        first_row.update(rows[0])

    _rewrite(fake, resource, COURSE, _first_page(record_and_edit))
    with pytest.raises(DataValidationError) as refused:
        _sync(fake)

    message = str(refused.value)
    field = "course_id" if resource == "enrollments" else "assignment_id"
    assert re.match(
        rf"{resource} id={first_row['id']}: field '{field}' names .*course {OTHER_COURSE}, "
        rf"but Canvas sent it among the {resource} of course {COURSE} ", message
    ), message
    after, runs_after = _layers_and_runs(cur)
    assert after == before
    assert runs_after[:-1] == runs_before
    assert runs_after[-1][0] == "failed" and f"{resource} id={first_row['id']}" in runs_after[-1][1]
    assert TOKEN not in message


def test_text_that_cannot_be_stored_exactly_is_refused_and_nothing_changes(fake, cur):
    first_row: dict[str, Any] = {}

    def half_a_character(rows: list[dict[str, Any]]) -> None:
        rows[0]["user"]["name"] = "\ud83d" + rows[0]["user"]["name"]  # an emoji cut in half
        first_row.update(rows[0])

    _rewrite(fake, "enrollments", COURSE, _first_page(half_a_character))
    before, _ = _layers_and_runs(cur)
    with pytest.raises(DataValidationError) as refused:
        _sync(fake)

    assert (f"enrollments id={first_row['id']}: field 'user.name' contains text that cannot "
            "be stored exactly (a lone surrogate \\ud83d") in str(refused.value)
    assert f"courses/{COURSE}/enrollments" in str(refused.value)
    after, runs = _layers_and_runs(cur)
    assert after == before
    assert [status for status, _ in runs] == ["failed"]
