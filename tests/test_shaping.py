"""Validation and shaping of raw Canvas JSON (no database)."""

from datetime import UTC, datetime

import polars as pl
import pytest

from tests.sample_data import HOSTILE_NAME, make_canvas_data
from tracker_db.canvas.shaping import (
    TABLE_COLUMNS,
    raw_frame,
    raw_frame_from_json,
    shape_canvas_data,
)
from tracker_db.errors import DataValidationError


def test_shapes_every_table_with_its_columns():
    shaped = shape_canvas_data(make_canvas_data())
    for table, frame in shaped.tables().items():
        assert frame.columns == TABLE_COLUMNS[table]


def test_test_student_and_teacher_are_not_students():
    shaped = shape_canvas_data(make_canvas_data())
    assert sorted(shaped.students["student_id"]) == [5001, 5002, 5003, 5004]
    assert 5999 not in shaped.enrollments["student_id"]
    assert 5900 not in shaped.enrollments["student_id"]
    assert 5999 not in shaped.submissions["student_id"]
    assert shaped.submissions.height == 7  # 8 rows minus the test student's


def test_student_in_two_sections_is_one_student_with_two_enrollments():
    shaped = shape_canvas_data(make_canvas_data())
    alice_101 = shaped.enrollments.filter(
        (pl.col("student_id") == 5001) & (pl.col("course_id") == 101)
    )
    assert sorted(alice_101["section_id"]) == [201, 202]
    assert shaped.students.filter(pl.col("student_id") == 5001).height == 1


def test_timestamps_with_offsets_are_stored_in_utc():
    shaped = shape_canvas_data(make_canvas_data())
    course = shaped.courses.filter(pl.col("course_id") == 101).row(0, named=True)
    assert course["start_at"] == datetime(2026, 8, 20, 6, 0, tzinfo=UTC)
    graded = shaped.submissions.filter(pl.col("submission_id") == 601)["graded_at"][0]
    assert graded == datetime(2026, 9, 11, 8, 0, tzinfo=UTC)


def test_nested_fields_and_numbers_are_typed():
    shaped = shape_canvas_data(make_canvas_data())
    alice = shaped.enrollments.filter(pl.col("enrollment_id") == 307).row(0, named=True)
    assert alice["current_score"] == 104.0 and alice["final_score"] == 94.0
    assert shaped.courses.filter(pl.col("course_id") == 101)["term_name"][0] == "Fall 2026"
    assert shaped.assignments.schema["points_possible"] == pl.Float64
    assert shaped.assignments.filter(pl.col("assignment_id") == 501)["points_possible"][0] == 10.0


def test_hostile_text_is_kept_byte_for_byte():
    shaped = shape_canvas_data(make_canvas_data())
    assert shaped.students.filter(pl.col("student_id") == 5001)["name"][0] == HOSTILE_NAME


def test_string_ids_are_normalised():
    data = make_canvas_data()
    data["submissions"][0]["id"] = "601"
    data["submissions"][0]["assignment_id"] = "501"
    shaped = shape_canvas_data(data)
    assert 601 in shaped.submissions["submission_id"]


def test_duplicate_ids_keep_the_last_copy():
    data = make_canvas_data()
    data["submissions"].append({**data["submissions"][0], "score": 3.0})
    shaped = shape_canvas_data(data)
    rows = shaped.submissions.filter(pl.col("submission_id") == 601)
    assert rows["score"].to_list() == [3.0]


def test_missing_keys_mean_empty_lists():
    shaped = shape_canvas_data({"courses": make_canvas_data()["courses"]})
    assert shaped.courses.height == 2
    assert shaped.submissions.height == 0


@pytest.mark.parametrize(
    ("resource", "index", "field", "value", "message"),
    [
        ("submissions", 0, "score", "ninety", r"submissions id=601: field 'score' has 'ninety', "
                                              r"expected a finite number"),
        ("submissions", 0, "score", [9], r"submissions id=601: field 'score' has \[9\]"),
        ("submissions", 1, "id", None, r"submissions\[1\]: field 'id' is missing"),
        ("submissions", 0, "late", "maybe", r"submissions id=601: field 'late' .* true or false"),
        ("assignments", 0, "due_at", "next tuesday", r"assignments id=501: field 'due_at'"),
        ("courses", 0, "id", 1.5, r"courses id=1.5: field 'id' has '1.5', expected an integer"),
        ("enrollments", 0, "user_id", None, r"enrollments id=301: field 'user_id' is missing"),
        ("enrollments", 2, "grades", {"current_score": "A"}, r"enrollments id=303: field "
                                                             r"'grades.current_score' has 'A'"),
        ("submissions", 0, "score", float("nan"), r"submissions id=601: field 'score'"),
    ],
)
def test_invalid_values_name_resource_id_and_field(resource, index, field, value, message):
    data = make_canvas_data()
    if field == "user_id":
        data[resource][index]["user"] = None
    data[resource][index][field] = value
    with pytest.raises(DataValidationError, match=message):
        shape_canvas_data(data)


def test_submission_for_unknown_assignment_is_invalid():
    data = make_canvas_data()
    data["submissions"][0]["assignment_id"] = 999
    with pytest.raises(DataValidationError, match=r"submissions id=601: .*unknown assignment 999"):
        shape_canvas_data(data)


def test_enrollment_in_unknown_course_is_invalid():
    data = make_canvas_data()
    data["enrollments"][0]["course_id"] = 4242
    with pytest.raises(DataValidationError, match=r"enrollments id=301: .*unknown course 4242"):
        shape_canvas_data(data)


def test_non_object_rows_and_unknown_resources_are_refused():
    with pytest.raises(DataValidationError, match=r"courses\[1\]: expected a JSON object"):
        shape_canvas_data({"courses": [{"id": 1}, "oops"]})
    with pytest.raises(DataValidationError, match="unknown keys"):
        shape_canvas_data({"users": []})
    with pytest.raises(DataValidationError, match="expected a list"):
        shape_canvas_data({"courses": {"id": 1}})


def test_raw_frames_made_page_by_page_shape_like_lists():
    data = make_canvas_data()
    pages = [raw_frame("submissions", data["submissions"][:3]),
             raw_frame("submissions", data["submissions"][3:])]
    from_frames = shape_canvas_data({**data, "submissions": pl.concat(pages)})
    from_lists = shape_canvas_data(data)
    assert from_frames.submissions.equals(from_lists.submissions)


def test_json_pages_parse_like_python_rows():
    import json

    data = make_canvas_data()
    body = json.dumps(data["submissions"]).encode()
    from_json = raw_frame_from_json("submissions", body)
    assert from_json.equals(raw_frame("submissions", data["submissions"]))


@pytest.mark.parametrize(
    ("body", "error", "message"),
    [
        (b'[{"id": 1, "score": 3', ValueError, "Expecting|Unterminated|delimiter"),
        (b'{"errors": []}', DataValidationError, "expected a list"),
        (b'[{"id": 1, "score": [9]}]', DataValidationError, r"id=1: field 'score' has \[9\]"),
        (b"[7]", DataValidationError, r"submissions\[0\]: expected a JSON object"),
    ],
)
def test_bad_json_pages_are_told_apart(body, error, message):
    with pytest.raises(error, match=message):
        raw_frame_from_json("submissions", body)


def test_odd_ids_are_quoted_in_messages():
    data = make_canvas_data()
    data["submissions"][0]["id"] = "\x1b[31mred"
    with pytest.raises(DataValidationError) as caught:
        shape_canvas_data(data)
    assert "\x1b" not in str(caught.value)
    assert "'\\x1b[31mred'" in str(caught.value)
