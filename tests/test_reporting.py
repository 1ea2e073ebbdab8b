"""Reports (read_models.reporting) over a synced sample database; numbers checked by hand."""

import statistics

import polars as pl
import pytest

from tests.sample_data import HOSTILE_COURSE, make_canvas_data
from tracker_db.edits import create_curriculum, set_student_group, set_student_tags
from tracker_db.read_models.reporting import (
    get_assignment_statistics,
    get_course_summary,
    get_curriculum_students,
    get_curriculum_summary,
)
from tracker_db.read_models.student_record import get_student_progress_history
from tracker_db.review import archive_object
from tracker_db.sync.write import full_canvas_sync


@pytest.fixture
def curricula(synced_db):
    create_curriculum("Science", course_ids=[101])
    create_curriculum("Humanities", course_ids=[102])
    set_student_tags(5001, ["ell"])
    set_student_group(5002, "B")
    return synced_db


def test_curriculum_students_by_id_and_by_name(curricula):
    science = get_curriculum_students(["science"])
    # Alice (two sections: one row) and Bob; Carol's only enrollment is inactive, so layer 0
    # counts her as inactive and she shows only on request.
    assert sorted(science["student_id"].to_list()) == [5001, 5002]
    with_inactive = get_curriculum_students(["science"], include_inactive=True)
    assert sorted(with_inactive["student_id"].to_list()) == [5001, 5002, 5003]
    carol = with_inactive.filter(with_inactive["student_id"] == 5003).row(0, named=True)
    assert carol["enrollment_state"] == "inactive" and carol["student_active"] is False
    assert science.filter(science["student_id"] == 5001)["tags"].to_list() == [["ell"]]
    assert science.filter(science["student_id"] == 5002)["custom_group"].to_list() == ["B"]
    by_name = get_curriculum_students("Humanities")
    assert sorted(by_name["student_id"].to_list()) == [5001, 5004]
    both = get_curriculum_students(["science", "Humanities"])
    assert both.height == 4
    assert set(both["course_name"]) == {HOSTILE_COURSE, "History"}
    assert get_curriculum_students([]).height == 0


def test_deleted_enrollments_are_not_curriculum_students(fresh_db):
    data = make_canvas_data()
    data["enrollments"][3]["enrollment_state"] = "deleted"  # Carol
    full_canvas_sync(data)
    create_curriculum("Science", course_ids=[101])
    assert 5003 not in get_curriculum_students(["science"])["student_id"].to_list()


def test_student_progress_history_has_one_row_per_change(synced_db):
    data = make_canvas_data()
    data["enrollments"][0]["grades"]["current_score"] = 95.0
    data["enrollments"][1]["grades"]["current_score"] = 95.0
    full_canvas_sync(data)
    full_canvas_sync(data)  # no change: no row
    history = get_student_progress_history(5001)
    assert history.select("course_id", "current_score").rows() == [
        (101, 91.5), (101, 95.0), (102, 104.0)
    ]
    only_102 = get_student_progress_history(5001, course_id=102)
    assert only_102["course_name"].to_list() == ["History"]


def test_course_summary(synced_db):
    # By default Carol (inactive) is left out; with the toggle she counts.
    summary = {r["course_id"]: r for r in get_course_summary().to_dicts()}
    bio = summary[101]
    assert bio["students"] == 2 and bio["active_students"] == 2
    assert bio["mean_current_score"] == pytest.approx((91.5 + 55.0) / 2)
    assert bio["median_current_score"] == pytest.approx(statistics.median([91.5, 55.0]))
    assert bio["missing_count"] == 1 and bio["late_count"] == 1
    assert summary[102]["missing_count"] == 0
    assert bio["last_synced_at"] is not None and bio["active"] is True
    everyone = {r["course_id"]: r for r in get_course_summary(include_inactive=True).to_dicts()}
    assert everyone[101]["students"] == 3 and everyone[101]["active_students"] == 2


def test_archived_students_leave_the_default_summaries(synced_db):
    data = make_canvas_data()
    data["enrollments"] = [e for e in data["enrollments"] if e["user_id"] != 5002]
    data["submissions"] = [s for s in data["submissions"] if s["user_id"] != 5002]
    full_canvas_sync(data)
    archive_object("student", 5002)
    assert get_course_summary().filter(pl.col("course_id") == 101)["students"].item() == 1


def test_assignment_statistics(synced_db):
    stats = {r["assignment_id"]: r for r in get_assignment_statistics().to_dicts()}
    lab = stats[501]  # Alice 9.5, Bob missing (Carol, inactive, is left out)
    assert lab["students"] == 2 and lab["submitted"] == 1 and lab["graded"] == 1
    assert lab["submitted_share"] == pytest.approx(1 / 2)
    assert lab["mean_score"] == 9.5 and lab["missing_count"] == 1
    everyone = {
        r["assignment_id"]: r for r in get_assignment_statistics(include_inactive=True).to_dicts()
    }
    assert everyone[501]["students"] == 3
    assert everyone[501]["submitted_share"] == pytest.approx(1 / 3)
    essay = stats[503]  # Alice 22 (extra credit), Dan excused: left out
    assert essay["students"] == 1 and essay["max_score"] == 22.0
    only_101 = get_assignment_statistics(101)
    assert set(only_101["assignment_id"]) == {501, 502}
    quartiles = stats[502]
    assert quartiles["q1_score"] == 0.0 and quartiles["q3_score"] == 0.0


def test_a_deleted_assignment_shows_only_with_the_toggle(synced_db):
    data = make_canvas_data()
    data["assignments"] = [a for a in data["assignments"] if a["id"] != 502]
    data["submissions"] = [s for s in data["submissions"] if s["assignment_id"] != 502]
    full_canvas_sync(data)
    assert 502 not in get_assignment_statistics()["assignment_id"].to_list()
    shown = get_assignment_statistics(101, include_inactive=True)
    gone = shown.filter(pl.col("assignment_id") == 502).row(0, named=True)
    assert gone["active"] is False and gone["name"] == "Lab 2 🧪"
    assert gone["students"] == 2 and gone["late_count"] == 1  # from its recorded history


def test_curriculum_summary(curricula):
    rows = {r["curriculum_id"]: r for r in get_curriculum_summary().to_dicts()}
    assert rows["science"]["courses"] == 1 and rows["science"]["students"] == 2
    assert rows["science"]["missing_count"] == 1
    assert rows["humanities"]["mean_current_score"] == pytest.approx((104.0 + 70.25) / 2)
    everyone = {r["curriculum_id"]: r for r in get_curriculum_summary(include_inactive=True)
                .to_dicts()}
    assert everyone["science"]["students"] == 3


def test_queries_on_an_empty_database_return_empty_frames(fresh_db):
    assert get_course_summary().height == 0
    assert get_assignment_statistics().height == 0
    assert get_curriculum_summary().height == 0
    assert get_student_progress_history(1).height == 0
    assert "current_score" in get_student_progress_history(1).columns


def test_a_removed_students_last_grade_is_the_whole_latest_row(fresh_db):
    create_curriculum("Science", course_ids=[101])
    full_canvas_sync(make_canvas_data())  # Bob: 55.0, F
    ungraded = make_canvas_data()
    ungraded["enrollments"][2]["grades"].update(current_score=None, current_grade=None)
    full_canvas_sync(ungraded)  # Bob's grade cleared
    gone = make_canvas_data()
    gone["enrollments"] = [e for e in gone["enrollments"] if e["user_id"] != 5002]
    gone["submissions"] = [s for s in gone["submissions"] if s["user_id"] != 5002]
    full_canvas_sync(gone)
    rows = get_curriculum_students(["science"], include_inactive=True)
    bob = rows.filter(rows["student_id"] == 5002).row(0, named=True)
    assert (bob["current_score"], bob["current_grade"]) == (None, None)
    assert bob["final_score"] == 45.0 and bob["enrollment_state"] == "removed: absent"
