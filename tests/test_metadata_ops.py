"""Layer 3: teachers' own data, validated, never touched by a sync."""

import threading

import polars as pl
import pytest

from tests.db_snapshot import snapshot
from tests.sample_data import make_canvas_data
from tracker_db.errors import DataValidationError
from tracker_db.operations import metadata_ops as meta
from tracker_db.operations.sync_ops import full_canvas_sync


def test_notes_are_kept_newest_first(cur):
    first = meta.add_student_note(5001, "first")
    second = meta.add_student_note(5001, "second <b>not bold</b>")
    notes = meta.get_student_notes(5001)
    assert notes["body"].to_list() == ["second <b>not bold</b>", "first"]
    assert set(notes["note_id"]) == {first, second}
    meta.delete_student_note(first)
    assert meta.get_student_notes(5001)["body"].to_list() == ["second <b>not bold</b>"]


@pytest.mark.parametrize(
    ("student_id", "body", "message"),
    [(5001, "   ", "note must not be empty"), (0, "x", "student id must be a positive 64-bit id"),
     ("abc", "x", "student id must be a whole number"), (5001, "x" * 20_001, "longer than")],
)
def test_bad_notes_are_refused(cur, student_id, body, message):
    with pytest.raises(DataValidationError, match=message):
        meta.add_student_note(student_id, body)
    assert cur.execute("SELECT count(*) FROM meta.student_notes").fetchone() == (0,)


def test_deleting_an_unknown_note_says_so(cur):
    with pytest.raises(DataValidationError, match="no note with id"):
        meta.delete_student_note("00000000-0000-0000-0000-000000000000")


def test_tags_and_group_set_and_clear_independently(cur):
    assert meta.set_student_tags(5001, " ell, sport ,ell,, ") == ["ell", "sport"]
    meta.set_student_group(5001, "Group A")
    row = meta.get_student_metadata().row(0, named=True)
    assert row == {"student_id": 5001, "tags": ["ell", "sport"], "custom_group": "Group A"}
    meta.clear_student_tags(5001)
    meta.set_student_group(5001, "Group B")
    row = meta.get_student_metadata().row(0, named=True)
    assert row["tags"] == [] and row["custom_group"] == "Group B"
    meta.clear_student_group(5001)
    assert meta.get_student_metadata()["custom_group"].to_list() == [None]
    assert cur.execute("SELECT count(*) FROM meta.student_metadata").fetchone() == (1,)


def test_curriculum_crud(cur):
    cid = meta.create_curriculum(
        "Year 9: Science", description="Core", color="#a1b2c3", start_date="2026-08-20",
        course_ids=[101, 102, 101],
    )
    assert cid == "year-9-science"
    curricula = meta.list_curricula()
    row = curricula.row(0, named=True)
    assert row["name"] == "Year 9: Science" and row["color"] == "#A1B2C3"
    assert row["course_ids"] == [101, 102]
    meta.rename_curriculum(cid, "Science 9")
    assert meta.set_curriculum_courses(cid, [102]) == [102]
    row = meta.list_curricula().row(0, named=True)
    assert (row["name"], row["course_ids"], row["curriculum_id"]) == ("Science 9", [102], cid)
    meta.delete_curriculum(cid)
    assert meta.list_curricula().height == 0
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
        meta.create_curriculum(**kwargs)
    assert meta.list_curricula().height == 0


def test_curriculum_names_and_ids_are_unique(cur):
    meta.create_curriculum("Maths")
    with pytest.raises(DataValidationError, match="already taken"):
        meta.create_curriculum("Maths!")
    with pytest.raises(DataValidationError, match="named 'MATHS' already exists"):
        meta.create_curriculum("MATHS", curriculum_id="maths-2")
    other = meta.create_curriculum("Physics")
    with pytest.raises(DataValidationError, match="already exists"):
        meta.rename_curriculum(other, "maths")
    with pytest.raises(DataValidationError, match="no curriculum with id 'nope'"):
        meta.set_curriculum_courses("nope", [1])


def test_course_metadata_upsert_changes_only_given_fields(cur):
    meta.upsert_course_metadata(101, notes="Lab course", tags=["lab"], color="#000000")
    meta.upsert_course_metadata(101, course_hours=40, tracking_enabled=False)
    row = meta.get_course_metadata().row(0, named=True)
    assert row == {"course_id": 101, "notes": "Lab course", "tags": ["lab"], "color": "#000000",
                   "course_hours": 40.0, "tracking_enabled": False}
    assert meta.get_untracked_course_ids() == {101}
    meta.upsert_course_metadata(101, color=None)
    assert meta.get_course_metadata()["color"].to_list() == [None]


def test_new_course_metadata_is_tracked_by_default(cur):
    meta.upsert_course_metadata(102, notes="x")
    assert meta.get_course_metadata()["tracking_enabled"].to_list() == [True]
    assert meta.get_untracked_course_ids() == set()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"difficulty": 6}, "difficulty must be a whole number from 1 to 5"),
     ({"difficulty": 2.5}, "from 1 to 5"), ({"difficulty": 0}, "at least 1"),
     ({"estimated_hours": -1}, "estimated hours must be a number of at least 0"),
     ({"estimated_hours": "soon"}, "estimated hours must be a number")],
)
def test_invalid_assignment_metadata_is_refused(cur, kwargs, message):
    with pytest.raises(DataValidationError, match=message):
        meta.upsert_assignment_metadata(501, **kwargs)
    assert meta.get_assignment_metadata().height == 0


def test_assignment_metadata_round_trips(cur):
    meta.upsert_assignment_metadata(501, notes="hard one", tags="lab, core", difficulty=5,
                                    estimated_hours=1.5)
    assert meta.get_assignment_metadata().to_dicts() == [{
        "assignment_id": 501, "notes": "hard one", "tags": ["lab", "core"], "difficulty": 5,
        "estimated_hours": 1.5,
    }]


def test_course_metadata_rejects_bad_values(cur):
    with pytest.raises(DataValidationError, match="course hours must be a number"):
        meta.upsert_course_metadata(101, course_hours=float("inf"))
    with pytest.raises(DataValidationError, match="tracked must be true or false"):
        meta.upsert_course_metadata(101, tracking_enabled="no")
    assert meta.get_course_metadata().height == 0


def test_sync_never_writes_layer3(cur):
    meta.create_curriculum("Bio", course_ids=[101, 999])
    meta.add_student_note(5003, "left the school?")
    meta.set_student_tags(5003, ["watch"])
    meta.upsert_assignment_metadata(501, difficulty=3)
    before = snapshot(cur, ("meta",))
    data = make_canvas_data()
    full_canvas_sync(data)
    data["enrollments"] = [e for e in data["enrollments"] if e["user_id"] != 5003]
    data["submissions"] = [s for s in data["submissions"] if s["user_id"] != 5003]
    full_canvas_sync(data)
    assert snapshot(cur, ("meta",)) == before
    # Soft references: notes of a student who left Canvas stay readable.
    assert meta.get_student_notes(5003)["body"].to_list() == ["left the school?"]
    assert isinstance(meta.get_student_notes(5003), pl.DataFrame)


def test_slugify():
    assert meta.slugify("Year 9: Science!") == "year-9-science"
    assert meta.slugify("Ødegård Båt") == "degard-bat"
    assert meta.slugify("王小明") == "curriculum"


@pytest.mark.parametrize("value", ["²", "1.5", 2**70, True, None, "-4"])
def test_odd_ids_are_refused_with_a_clear_message(cur, value):
    with pytest.raises(DataValidationError, match="student id must be"):
        meta.add_student_note(value, "x")


def test_an_upsert_with_nothing_to_change_changes_nothing(cur):
    meta.upsert_course_metadata(101, notes="keep")
    meta.upsert_course_metadata(101)
    assert meta.get_course_metadata()["notes"].to_list() == ["keep"]


def test_concurrent_first_edits_make_one_metadata_row(fresh_db):
    barrier = threading.Barrier(4)

    def tag(index: int) -> None:
        with fresh_db.session() as c:
            barrier.wait()
            meta.set_student_tags(5001, [f"t{index}"], cur=c)

    threads = [threading.Thread(target=tag, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with fresh_db.session() as c:
        assert c.execute("SELECT count(*) FROM meta.student_metadata").fetchone() == (1,)
