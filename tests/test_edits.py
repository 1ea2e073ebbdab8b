"""Teachers' edits (layer 3): single edits and whole editor tables, through one write path.

Every meta table has one writer (``store.teacher_data``) with one set of validators: a note,
a tag or a curriculum edited alone and an editor table saved whole are cleaned, refused and
written the same way; nothing a sync does ever changes them.
"""
from __future__ import annotations

import threading

import polars as pl
import pytest

from tests.db_snapshot import snapshot
from tests.sample_data import make_canvas_data
from tracker_db.edits import (
    add_student_note,
    clear_student_group,
    clear_student_tags,
    create_curriculum,
    delete_curriculum,
    delete_student_note,
    removed_keys,
    rename_curriculum,
    save_assignment_metadata,
    save_course_metadata,
    save_curricula,
    save_student_metadata,
    set_assignment_metadata,
    set_course_metadata,
    set_curriculum_courses,
    set_student_group,
    set_student_tags,
    update_curriculum,
)
from tracker_db.errors import DataValidationError
from tracker_db.read_models.student_record import get_student_notes
from tracker_db.read_models.teacher_data import (
    get_assignment_metadata,
    get_assignment_metadata_table,
    get_course_metadata,
    get_course_metadata_table,
    get_curricula_table,
    get_student_metadata,
    get_student_metadata_table,
    list_curricula,
)
from tracker_db.store import teacher_data
from tracker_db.store.teacher_data import untracked_course_ids
from tracker_db.sync.write import full_canvas_sync
from tracker_db.validation import slugify


def test_notes_are_kept_newest_first(cur):
    first = add_student_note(5001, "first")
    second = add_student_note(5001, "second <b>not bold</b>")
    notes = get_student_notes(5001)
    assert notes["body"].to_list() == ["second <b>not bold</b>", "first"]
    assert set(notes["note_id"]) == {first, second}
    delete_student_note(first)
    assert get_student_notes(5001)["body"].to_list() == ["second <b>not bold</b>"]


@pytest.mark.parametrize(
    ("student_id", "body", "message"),
    [(5001, "   ", "note must not be empty"), (0, "x", "student id must be a positive 64-bit id"),
     ("abc", "x", "student id must be a whole number"), (5001, "x" * 20_001, "longer than")],
)
def test_bad_notes_are_refused(cur, student_id, body, message):
    with pytest.raises(DataValidationError, match=message):
        add_student_note(student_id, body)
    assert cur.execute("SELECT count(*) FROM meta.student_notes").fetchone() == (0,)


def test_deleting_an_unknown_note_says_so(cur):
    with pytest.raises(DataValidationError, match="no note with id"):
        delete_student_note("00000000-0000-0000-0000-000000000000")


def test_tags_and_group_set_and_clear_independently(cur):
    assert set_student_tags(5001, " ell, sport ,ell,, ") == ["ell", "sport"]
    set_student_group(5001, "Group A")
    row = get_student_metadata().row(0, named=True)
    assert row == {"student_id": 5001, "tags": ["ell", "sport"], "custom_group": "Group A"}
    clear_student_tags(5001)
    set_student_group(5001, "Group B")
    row = get_student_metadata().row(0, named=True)
    assert row["tags"] == [] and row["custom_group"] == "Group B"
    clear_student_group(5001)
    assert get_student_metadata()["custom_group"].to_list() == [None]
    assert cur.execute("SELECT count(*) FROM meta.student_metadata").fetchone() == (1,)


def test_curriculum_crud(cur):
    cid = create_curriculum(
        "Year 9: Science", description="Core", color="#a1b2c3", start_date="2026-08-20",
        course_ids=[101, 102, 101],
    )
    assert cid == "year-9-science"
    curricula = list_curricula()
    row = curricula.row(0, named=True)
    assert row["name"] == "Year 9: Science" and row["color"] == "#A1B2C3"
    assert row["course_ids"] == [101, 102]
    rename_curriculum(cid, "Science 9")
    assert set_curriculum_courses(cid, [102]) == [102]
    row = list_curricula().row(0, named=True)
    assert (row["name"], row["course_ids"], row["curriculum_id"]) == ("Science 9", [102], cid)
    delete_curriculum(cid)
    assert list_curricula().height == 0
    assert cur.execute("SELECT count(*) FROM meta.curriculum_courses").fetchone() == (0,)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "  "}, "curriculum name must not be empty"),
        ({"name": "X", "color": "red"}, "colour must look like #1A2B3C"),
        ({"name": "X", "color": "#12345"}, "colour must look like"),
        ({"name": "X", "curriculum_id": "Bad Slug"}, "curriculum id must be lowercase"),
        ({"name": "X", "start_date": "next year"}, "start date must be YYYY-MM-DD"),
        ({"name": "X", "course_ids": [101, -3]}, "course id must be a positive 64-bit id"),
    ],
)
def test_invalid_curricula_are_refused_and_nothing_saved(cur, kwargs, message):
    with pytest.raises(DataValidationError, match=message):
        create_curriculum(**kwargs)
    assert list_curricula().height == 0


def test_curriculum_names_and_ids_are_unique(cur):
    create_curriculum("Maths")
    with pytest.raises(DataValidationError, match="already taken"):
        create_curriculum("Maths!")
    with pytest.raises(DataValidationError, match="named 'MATHS' already exists"):
        create_curriculum("MATHS", curriculum_id="maths-2")
    other = create_curriculum("Physics")
    with pytest.raises(DataValidationError, match="already exists"):
        rename_curriculum(other, "maths")
    with pytest.raises(DataValidationError, match="no curriculum with id 'nope'"):
        set_curriculum_courses("nope", [1])


def test_course_metadata_upsert_changes_only_given_fields(cur):
    set_course_metadata(101, notes="Lab course", tags=["lab"], color="#000000")
    set_course_metadata(101, course_hours=40, tracking_enabled=False)
    row = get_course_metadata().row(0, named=True)
    assert row == {"course_id": 101, "notes": "Lab course", "tags": ["lab"], "color": "#000000",
                   "course_hours": 40.0, "tracking_enabled": False}
    assert untracked_course_ids(cur) == {101}
    set_course_metadata(101, color=None)
    assert get_course_metadata()["color"].to_list() == [None]


def test_new_course_metadata_is_tracked_by_default(cur):
    set_course_metadata(102, notes="x")
    assert get_course_metadata()["tracking_enabled"].to_list() == [True]
    assert untracked_course_ids(cur) == set()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"difficulty": 6}, "difficulty must be a whole number from 1 to 5"),
     ({"difficulty": 2.5}, "from 1 to 5"), ({"difficulty": 0}, "at least 1"),
     ({"estimated_hours": -1}, "estimated hours must be a number of at least 0"),
     ({"estimated_hours": "soon"}, "estimated hours must be a number")],
)
def test_invalid_assignment_metadata_is_refused(cur, kwargs, message):
    with pytest.raises(DataValidationError, match=message):
        set_assignment_metadata(501, **kwargs)
    assert get_assignment_metadata().height == 0


def test_assignment_metadata_round_trips(cur):
    set_assignment_metadata(501, notes="hard one", tags="lab, core", difficulty=5,
                                    estimated_hours=1.5)
    assert get_assignment_metadata().to_dicts() == [{
        "assignment_id": 501, "notes": "hard one", "tags": ["lab", "core"], "difficulty": 5,
        "estimated_hours": 1.5,
    }]


def test_course_metadata_rejects_bad_values(cur):
    with pytest.raises(DataValidationError, match="course hours must be a number"):
        set_course_metadata(101, course_hours=float("inf"))
    with pytest.raises(DataValidationError, match="tracked must be true or false"):
        set_course_metadata(101, tracking_enabled="no")
    assert get_course_metadata().height == 0


def test_sync_never_writes_layer3(cur):
    create_curriculum("Bio", course_ids=[101, 999])
    add_student_note(5003, "left the school?")
    set_student_tags(5003, ["watch"])
    set_assignment_metadata(501, difficulty=3)
    before = snapshot(cur, ("meta",))
    data = make_canvas_data()
    full_canvas_sync(data)
    data["enrollments"] = [e for e in data["enrollments"] if e["user_id"] != 5003]
    data["submissions"] = [s for s in data["submissions"] if s["user_id"] != 5003]
    full_canvas_sync(data)
    assert snapshot(cur, ("meta",)) == before
    # Soft references: notes of a student who left Canvas stay readable.
    assert get_student_notes(5003)["body"].to_list() == ["left the school?"]
    assert isinstance(get_student_notes(5003), pl.DataFrame)


def test_slugify():
    assert slugify("Year 9: Science!") == "year-9-science"
    assert slugify("Ødegård Båt") == "degard-bat"
    assert slugify("王小明") == "curriculum"


@pytest.mark.parametrize("value", ["²", "1.5", 2**70, True, None, "-4"])
def test_odd_ids_are_refused_with_a_clear_message(cur, value):
    with pytest.raises(DataValidationError, match="student id must be"):
        add_student_note(value, "x")


def test_an_upsert_with_nothing_to_change_changes_nothing(cur):
    set_course_metadata(101, notes="keep")
    set_course_metadata(101)
    assert get_course_metadata()["notes"].to_list() == ["keep"]


def test_concurrent_first_edits_make_one_metadata_row(fresh_db):
    barrier = threading.Barrier(4)

    def tag(index: int) -> None:
        with fresh_db.session() as c:
            barrier.wait()
            set_student_tags(5001, [f"t{index}"], cur=c)

    threads = [threading.Thread(target=tag, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with fresh_db.session() as c:
        assert c.execute("SELECT count(*) FROM meta.student_metadata").fetchone() == (1,)


# ---------------------------------------------------------------------------------------------
# Whole editor tables: all rows or none, each bad row named


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
    table = get_course_metadata_table()
    rows = table.to_dicts()
    assert len(rows) >= 2
    result = save_course_metadata(rows)
    assert result.written == 0, "untouched rows are not written"
    assert _meta(cur, "course_metadata").is_empty()

    rows[0].update(color="#1a2b3c", tags=["core", " core ", "lab"], course_hours="12.5",
                   notes="Room 4")
    rows[1].update(tracked=False)
    assert save_course_metadata(rows).written == 2
    stored = {r["course_id"]: r for r in get_course_metadata_table().to_dicts()}
    first = stored[rows[0]["course_id"]]
    assert (first["color"], first["tags"], first["course_hours"], first["notes"]) == (
        "#1A2B3C", ["core", "lab"], 12.5, "Room 4")
    assert stored[rows[1]["course_id"]]["tracked"] is False
    assert untracked_course_ids(cur) == {rows[1]["course_id"]}

    rows[0]["notes"] = "Room 5"
    assert save_course_metadata(rows).written == 1


def test_an_invalid_row_refuses_the_whole_save_and_names_each_row(synced, cur):
    rows = get_course_metadata_table().to_dicts()
    before = _meta(cur, "course_metadata")
    rows[0]["notes"] = "a valid change that must not be saved either"
    rows[1]["color"] = "red"
    with pytest.raises(DataValidationError) as refused:
        save_course_metadata(rows)
    message = str(refused.value)
    assert message.startswith("nothing was saved: ")
    assert "row 2 (" in message and "colour must look like #1A2B3C, got 'red'" in message
    assert "row 1 (" not in message
    assert _meta(cur, "course_metadata").equals(before)

    rows[0]["course_hours"] = -3
    with pytest.raises(DataValidationError) as refused:
        save_course_metadata(rows)
    message = str(refused.value)
    assert "row 1 (" in message and "hours must be a number of at least 0" in message
    assert "row 2 (" in message
    assert _meta(cur, "course_metadata").equals(before)


def test_rows_label_themselves_and_long_lists_are_cut(synced):
    rows = [{"course_id": 100 + i, "name": f"Course {i}", "color": "nope"} for i in range(8)]
    with pytest.raises(DataValidationError) as refused:
        save_course_metadata(rows)
    message = str(refused.value)
    assert "row 1 (Course 0)" in message and "row 5 (Course 4)" in message
    assert "row 6" not in message and "and 3 more" in message
    with pytest.raises(DataValidationError, match="course 101 is also in row 1"):
        save_course_metadata([{"course_id": 101}, {"course_id": 101}])
    with pytest.raises(DataValidationError, match=r"row 1 \(course abc\): course id"):
        save_course_metadata([{"course_id": "abc"}])


def test_assignment_metadata_validates_difficulty_and_hours(synced, cur):
    course_id = int(cur.execute("SELECT min(course_id) FROM canvas.assignments").fetchone()[0])
    rows = get_assignment_metadata_table(course_id).to_dicts()
    rows[0].update(difficulty=6)
    with pytest.raises(DataValidationError, match=r"row 1 .*difficulty must be a whole number"):
        save_assignment_metadata(rows)
    rows[0].update(difficulty=4.0, estimated_hours=float("nan"), tags="quiz, final")
    assert save_assignment_metadata(rows).written == 1
    stored = get_assignment_metadata_table(course_id).to_dicts()[0]
    assert (stored["difficulty"], stored["estimated_hours"], stored["tags"]) == (
        4, None, ["quiz", "final"])


def test_student_tags_and_groups(synced, cur):
    rows = get_student_metadata_table().to_dicts()
    rows[0].update(tags=["ell"], custom_group="Group A")
    rows[1].update(custom_group=" ")
    assert save_student_metadata(rows).written == 1
    meta = get_student_metadata()
    assert meta.to_dicts() == [
        {"student_id": rows[0]["student_id"], "tags": ["ell"], "custom_group": "Group A"}
    ]
    rows[0]["custom_group"] = "x" * 200
    with pytest.raises(DataValidationError, match=r"row 1 .*group is longer"):
        save_student_metadata(rows)


def test_curricula_create_update_and_delete_in_one_save(synced, cur):
    course_ids = [r[0] for r in cur.execute(
        "SELECT course_id FROM canvas.courses ORDER BY 1").fetchall()]
    created = save_curricula([
        {"curriculum_id": None, "name": "Year 9 Science", "color": "#112233",
         "courses": [str(course_ids[0]), str(course_ids[1])], "start_date": "2026-09-01"},
        {"name": "Year 9: Science!", "courses": []},
    ])
    assert created.created == ("year-9-science", "year-9-science-2")
    table = get_curricula_table()
    assert table["courses"].to_list() == [[str(c) for c in course_ids[:2]], []]

    rows = table.to_dicts()
    rows[0].update(name="Year 9 Biology", courses=[str(course_ids[0])])
    result = save_curricula(rows[:1], deleted_ids=["year-9-science-2"])
    assert result.deleted == ("year-9-science-2",)
    assert result.written == 1
    curricula = list_curricula()
    assert curricula["name"].to_list() == ["Year 9 Biology"]
    assert curricula["course_ids"].to_list() == [[course_ids[0]]]
    assert cur.execute("SELECT count(*) FROM meta.curriculum_courses").fetchone()[0] == 1


def test_curricula_refusals_change_nothing(synced, cur):
    create_curriculum("Year 9", course_ids=[])
    create_curriculum("Year 10", course_ids=[])
    table = get_curricula_table().to_dicts()  # by name: Year 10, Year 9
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
            save_curricula(rows, deleted_ids=deleted)
        after = (_meta(cur, "curricula"), _meta(cur, "curriculum_courses"))
        assert all(a.equals(b) for a, b in zip(after, before, strict=True)), problem


def test_removed_keys_are_the_rows_deleted_in_the_editor():
    original = pl.DataFrame({"curriculum_id": ["a", "b", "c"]})
    edited = pl.DataFrame({"curriculum_id": ["c", None, "a"]})
    assert removed_keys(original, edited, "curriculum_id") == ["b"]


def test_a_failure_while_writing_rolls_everything_back(synced, cur, monkeypatch):
    rows = get_course_metadata_table().to_dicts()
    rows[0]["notes"] = "first"
    rows[1]["notes"] = "second"
    before = _meta(cur, "course_metadata")
    statements = dict(teacher_data._SQL)
    statements["insert_course_metadata"] = "SELECT no_such_column FROM meta.course_metadata"
    monkeypatch.setattr(teacher_data, "_SQL", statements)
    with pytest.raises(Exception, match="no_such_column"):
        save_course_metadata(rows)
    assert _meta(cur, "course_metadata").equals(before)


# ---------------------------------------------------------------------------------------------
# One write path: a single edit and an editor table are the same save


@pytest.mark.parametrize(
    ("single", "row", "reason"),
    [
        ({"color": "red"}, {"color": "red"}, "colour must look like #1A2B3C, got 'red'"),
        ({"course_hours": -3}, {"course_hours": -3},
         "course hours must be a number of at least 0, got -3"),
        ({"tags": ["x" * 41]}, {"tags": ["x" * 41]},
         "tag 'xxxxxxxxxxxxxxxxxxxx'... is longer than 40"),
        ({"tracking_enabled": "no"}, {"tracked": "no"},
         "tracked must be true or false, got 'no'"),
    ],
)
def test_a_single_edit_and_an_editor_save_refuse_in_the_same_words(
    synced, cur, single, row, reason
):
    with pytest.raises(DataValidationError) as alone:
        set_course_metadata(101, **single)
    with pytest.raises(DataValidationError) as in_table:
        save_course_metadata([{"course_id": 101, "name": "Biology", **row}])
    assert str(alone.value) == f"nothing was saved: course 101: {reason}"
    assert str(in_table.value) == f"nothing was saved: row 1 (Biology): {reason}"
    assert _meta(cur, "course_metadata").is_empty()


def test_single_edits_and_editor_saves_run_the_same_statements(synced, cur, monkeypatch):
    # Break the one statement that inserts course metadata: both ways of editing fail, so
    # neither has a write of its own.
    statements = dict(teacher_data._SQL)
    statements["insert_course_metadata"] = "SELECT no_such_column FROM meta.course_metadata"
    monkeypatch.setattr(teacher_data, "_SQL", statements)
    with pytest.raises(Exception, match="no_such_column"):
        set_course_metadata(101, notes="alone")
    with pytest.raises(Exception, match="no_such_column"):
        save_course_metadata([{"course_id": 101, "notes": "in a table"}])
    assert _meta(cur, "course_metadata").is_empty()


def test_a_single_edit_keeps_what_the_editor_saved(synced, cur):
    rows = get_course_metadata_table().to_dicts()
    rows[0].update(notes="Room 4", tags=["lab"], color="#112233")
    save_course_metadata(rows)
    set_course_metadata(rows[0]["course_id"], course_hours=12)
    stored = get_course_metadata().row(0, named=True)
    assert (stored["notes"], stored["tags"], stored["color"], stored["course_hours"]) == (
        "Room 4", ["lab"], "#112233", 12.0)


def test_curricula_edited_alone_or_in_the_table_follow_the_same_rules(synced, cur):
    create_curriculum("Year 9")
    table = get_curricula_table().to_dicts()
    with pytest.raises(DataValidationError, match="a curriculum named 'Year 9' already exists"):
        create_curriculum("Year 9", curriculum_id="year-9-again")
    with pytest.raises(DataValidationError, match="the name is also used in row 1"):
        save_curricula([*table, {"name": "year 9"}])
    with pytest.raises(DataValidationError, match="colour must look like"):
        update_curriculum("year-9", color="blue")
    with pytest.raises(DataValidationError, match="colour must look like"):
        save_curricula([{**table[0], "color": "blue"}])
    assert get_curricula_table().to_dicts() == table
