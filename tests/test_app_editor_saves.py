"""Bulk saves behind the Metadata page's editors: all rows or none, each bad row named."""

from __future__ import annotations

import polars as pl
import pytest

from tests.sample_data import make_canvas_data
from tracker_db.errors import DataValidationError
from tracker_db.operations import editor_ops, metadata_ops
from tracker_db.operations.sync_ops import full_canvas_sync
from tracker_db.queries import dashboard_queries as dq


@pytest.fixture
def synced(fresh_db):
    full_canvas_sync(make_canvas_data())
    return fresh_db


def _meta(cur, table: str) -> pl.DataFrame:
    # Everything but the edit timestamps, in a stable order.
    return cur.execute(
        f"SELECT COLUMNS(c -> c NOT IN ('updated_at', 'created_at')) FROM meta.{table} "
        "ORDER BY ALL"
    ).pl()


def test_course_metadata_saves_only_changed_rows(synced, cur):
    table = dq.get_course_metadata_table()
    rows = table.to_dicts()
    assert len(rows) >= 2
    result = editor_ops.save_course_metadata(rows)
    assert result.written == 0, "untouched rows are not written"
    assert _meta(cur, "course_metadata").is_empty()

    rows[0].update(color="#1a2b3c", tags=["core", " core ", "lab"], course_hours="12.5",
                   notes="Room 4")
    rows[1].update(tracked=False)
    assert editor_ops.save_course_metadata(rows).written == 2
    stored = {r["course_id"]: r for r in dq.get_course_metadata_table().to_dicts()}
    first = stored[rows[0]["course_id"]]
    assert (first["color"], first["tags"], first["course_hours"], first["notes"]) == (
        "#1A2B3C", ["core", "lab"], 12.5, "Room 4")
    assert stored[rows[1]["course_id"]]["tracked"] is False
    assert metadata_ops.get_untracked_course_ids() == {rows[1]["course_id"]}

    rows[0]["notes"] = "Room 5"
    assert editor_ops.save_course_metadata(rows).written == 1


def test_an_invalid_row_refuses_the_whole_save_and_names_each_row(synced, cur):
    rows = dq.get_course_metadata_table().to_dicts()
    before = _meta(cur, "course_metadata")
    rows[0]["notes"] = "a valid change that must not be saved either"
    rows[1]["color"] = "red"
    with pytest.raises(DataValidationError) as refused:
        editor_ops.save_course_metadata(rows)
    message = str(refused.value)
    assert message.startswith("nothing was saved: ")
    assert "row 2 (" in message and "colour must look like #1A2B3C, got 'red'" in message
    assert "row 1 (" not in message
    assert _meta(cur, "course_metadata").equals(before)

    rows[0]["course_hours"] = -3
    with pytest.raises(DataValidationError) as refused:
        editor_ops.save_course_metadata(rows)
    message = str(refused.value)
    assert "row 1 (" in message and "hours must be a number of at least 0" in message
    assert "row 2 (" in message
    assert _meta(cur, "course_metadata").equals(before)


def test_rows_label_themselves_and_long_lists_are_cut(synced):
    rows = [{"course_id": 100 + i, "name": f"Course {i}", "color": "nope"} for i in range(8)]
    with pytest.raises(DataValidationError) as refused:
        editor_ops.save_course_metadata(rows)
    message = str(refused.value)
    assert "row 1 (Course 0)" in message and "row 5 (Course 4)" in message
    assert "row 6" not in message and "and 3 more" in message
    with pytest.raises(DataValidationError, match="course 101 is also in row 1"):
        editor_ops.save_course_metadata([{"course_id": 101}, {"course_id": 101}])
    with pytest.raises(DataValidationError, match=r"row 1 \(course abc\): course id"):
        editor_ops.save_course_metadata([{"course_id": "abc"}])


def test_assignment_metadata_validates_difficulty_and_hours(synced, cur):
    course_id = int(cur.execute("SELECT min(course_id) FROM canvas.assignments").fetchone()[0])
    rows = dq.get_assignment_metadata_table(course_id).to_dicts()
    rows[0].update(difficulty=6)
    with pytest.raises(DataValidationError, match=r"row 1 .*difficulty must be a whole number"):
        editor_ops.save_assignment_metadata(rows)
    rows[0].update(difficulty=4.0, estimated_hours=float("nan"), tags="quiz, final")
    assert editor_ops.save_assignment_metadata(rows).written == 1
    stored = dq.get_assignment_metadata_table(course_id).to_dicts()[0]
    assert (stored["difficulty"], stored["estimated_hours"], stored["tags"]) == (
        4, None, ["quiz", "final"])


def test_student_tags_and_groups(synced, cur):
    rows = dq.get_student_metadata_table().to_dicts()
    rows[0].update(tags=["ell"], custom_group="Group A")
    rows[1].update(custom_group=" ")
    assert editor_ops.save_student_metadata(rows).written == 1
    meta = metadata_ops.get_student_metadata()
    assert meta.to_dicts() == [
        {"student_id": rows[0]["student_id"], "tags": ["ell"], "custom_group": "Group A"}
    ]
    rows[0]["custom_group"] = "x" * 200
    with pytest.raises(DataValidationError, match=r"row 1 .*group is longer"):
        editor_ops.save_student_metadata(rows)


def test_curricula_create_update_and_delete_in_one_save(synced, cur):
    course_ids = [r[0] for r in cur.execute(
        "SELECT course_id FROM canvas.courses ORDER BY 1").fetchall()]
    created = editor_ops.save_curricula([
        {"curriculum_id": None, "name": "Year 9 Science", "color": "#112233",
         "courses": [str(course_ids[0]), str(course_ids[1])], "start_date": "2026-09-01"},
        {"name": "Year 9: Science!", "courses": []},
    ])
    assert created.created == ("year-9-science", "year-9-science-2")
    table = dq.get_curricula_table()
    assert table["courses"].to_list() == [[str(c) for c in course_ids[:2]], []]

    rows = table.to_dicts()
    rows[0].update(name="Year 9 Biology", courses=[str(course_ids[0])])
    result = editor_ops.save_curricula(rows[:1], deleted_ids=["year-9-science-2"])
    assert result.deleted == ("year-9-science-2",)
    assert result.written == 1
    curricula = metadata_ops.list_curricula()
    assert curricula["name"].to_list() == ["Year 9 Biology"]
    assert curricula["course_ids"].to_list() == [[course_ids[0]]]
    assert cur.execute("SELECT count(*) FROM meta.curriculum_courses").fetchone()[0] == 1


def test_curricula_refusals_change_nothing(synced, cur):
    metadata_ops.create_curriculum("Year 9", course_ids=[])
    metadata_ops.create_curriculum("Year 10", course_ids=[])
    table = dq.get_curricula_table().to_dicts()  # by name: Year 10, Year 9
    before = (_meta(cur, "curricula"), _meta(cur, "curriculum_courses"))
    cases = [
        ([table[0], {**table[1], "name": "year 10"}], [], r"row 2 .*name is also used in row 1"),
        ([*table, {"name": "New", "color": "blue"}], [], r"row 3 \(New\): colour"),
        ([{**table[0], "courses": ["-4"]}, table[1]], [],
         r"row 1 .*course id must be a whole number"),
        ([{**table[0], "curriculum_id": "gone"}, table[1]], [], "no longer exists"),
        (table, ["year-10"], "cannot be both kept and deleted"),
        (table, ["missing-one"], "to delete does not exist"),
        # Year 10 is left out of the save (created elsewhere meanwhile), Year 9 renamed onto it
        ([{**table[1], "name": "Year 10"}], [], "already exists"),
    ]
    for rows, deleted, problem in cases:
        with pytest.raises(DataValidationError, match=problem):
            editor_ops.save_curricula(rows, deleted_ids=deleted)
        after = (_meta(cur, "curricula"), _meta(cur, "curriculum_courses"))
        assert all(a.equals(b) for a, b in zip(after, before, strict=True)), problem


def test_removed_keys_are_the_rows_deleted_in_the_editor():
    original = pl.DataFrame({"curriculum_id": ["a", "b", "c"]})
    edited = pl.DataFrame({"curriculum_id": ["c", None, "a"]})
    assert editor_ops.removed_keys(original, edited, "curriculum_id") == ["b"]


def test_a_failure_while_writing_rolls_everything_back(synced, cur, monkeypatch):
    rows = dq.get_course_metadata_table().to_dicts()
    rows[0]["notes"] = "first"
    rows[1]["notes"] = "second"
    before = _meta(cur, "course_metadata")
    real_query = editor_ops.query

    def broken(name: str) -> str:
        if name == "dash_save_course_metadata_insert":
            return "SELECT no_such_column FROM meta.course_metadata"
        return real_query(name)

    monkeypatch.setattr(editor_ops, "query", broken)
    with pytest.raises(Exception, match="no_such_column"):
        editor_ops.save_course_metadata(rows)
    assert _meta(cur, "course_metadata").equals(before)
