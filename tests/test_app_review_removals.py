"""Layer 0 in the app: the Review removals page and the "include inactive" toggles."""

from __future__ import annotations

import json

import pytest

from tests.test_app_pages import (  # noqa: F401 (fixtures)
    _button,
    _open,
    _read,
    _texts,
    db_path,
    demo_db,
)
from tracker_db.config import Settings
from tracker_db.db import default_database
from tracker_db.edits import add_student_note
from tracker_db.fake_canvas import FakeCanvas, build_demo_dataset
from tracker_db.migrate import open_database
from tracker_db.read_models.removals import REMOVAL_COLUMNS
from tracker_db.sync.from_canvas import sync_from_canvas

TOKEN = "review-token"


@pytest.fixture
def removed_student(demo_db: Settings) -> tuple[int, str]:  # noqa: F811 (the imported fixture)
    """The demo database after a sync in which one noted student left Canvas."""
    dataset = build_demo_dataset(seed=7)
    course = dataset.courses_for_teacher()[0]["id"]
    counts: dict[int, int] = {}
    for c in dataset.courses_for_teacher():
        for e in dataset.student_enrollments(c["id"]):
            counts[e["user_id"]] = counts.get(e["user_id"], 0) + 1
    enrollment = next(
        e for e in dataset.student_enrollments(course)
        if counts[e["user_id"]] == 1 and e["enrollment_state"] == "active"
    )
    student_id, name = enrollment["user_id"], enrollment["user"]["name"]
    dataset.drop_student(course, student_id)
    manager = open_database(demo_db)
    with manager.session() as cur, FakeCanvas(dataset, token=TOKEN) as fake:
        add_student_note(student_id, "Moved away?", cur=cur)
        sync_from_canvas(fake.base_url, TOKEN, cur=cur)
    manager.close()
    return student_id, name


def _choose(at, student_id: int) -> None:
    at.selectbox[0].set_value(f"student:{student_id}")


def _student_ids(at) -> list[int]:
    return at.dataframe[0].value["student_id"].tolist() if at.dataframe else []


def test_review_page_on_an_empty_database_says_what_to_do(db_path):  # noqa: F811
    at = _open("pages/review_removals.py")
    assert not at.exception and "No data yet" in _texts(at)


def test_a_removed_student_is_reviewed_and_archived(removed_student):
    student_id, name = removed_student
    at = _open("pages/review_removals.py")
    assert not at.exception, [e.value for e in at.exception]
    removals = at.dataframe[0].value
    row = removals[removals["object_id"] == student_id].iloc[0]
    assert row["name"] == name and row["notes"] == 1 and row["history_rows"] > 0
    assert {b.key for b in at.get("download_button")} == {"removals_csv", "removals_parquet"}
    shown = json.loads(at.dataframe[0].proto.columns)
    assert [shown[c]["label"] for c in ("object_type", "name", "history_rows")] == [
        REMOVAL_COLUMNS[c].label for c in ("object_type", "name", "history_rows")]
    _choose(at, student_id)
    at.radio[0].set_value("Archive")
    at.run()
    _button(at, "Archive").click()
    at.run()
    assert not at.exception
    assert _read(
        _db(at),
        f"SELECT archived, pending_review FROM lifecycle.object_status "
        f"WHERE object_type = 'student' AND object_id = {student_id}",
    ) == [(True, False)]
    assert "Archive" in _texts(at)


def _db(at) -> Settings:
    return default_database().settings


def test_students_page_hides_removed_students_until_the_toggle(removed_student):
    student_id, name = removed_student
    at = _open("pages/students.py")
    assert student_id not in _student_ids(at)
    at.toggle(key="f_inactive").set_value(True)
    at.run()
    assert not at.exception
    table = at.dataframe[0].value
    assert student_id in table["student_id"].tolist()
    assert table[table["student_id"] == student_id]["name"].iloc[0] == name


def test_delete_permanently_needs_the_confirmation(removed_student):
    student_id, _ = removed_student
    at = _open("pages/review_removals.py")
    _choose(at, student_id)
    at.radio[0].set_value("Delete permanently")
    at.run()
    shown = _texts(at).replace("\\", "")  # Markdown escapes dropped
    assert "permanently removes" in shown and "1 row(s) of meta.student_notes" in shown
    assert _button(at, "Delete permanently").disabled
    at.checkbox[0].check()
    at.run()
    _button(at, "Delete permanently").click()
    at.run()
    assert not at.exception
    assert _read(_db(at), f"SELECT count(*) FROM meta.student_notes "
                          f"WHERE student_id = {student_id}") == [(0,)]
    assert _read(_db(at), f"SELECT count(*) FROM history.grade_history "
                          f"WHERE student_id = {student_id}") == [(0,)]
