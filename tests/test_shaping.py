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
    tag_fetched_course,
    typed_collection,
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


# -- duplicates: exact copies dropped, differing copies counted (the later kept) -------------


def test_exact_copies_are_dropped_without_a_word(caplog):
    data = make_canvas_data()
    data["submissions"].append(dict(data["submissions"][0]))  # pages that overlapped
    data["enrollments"].append({**data["enrollments"][0], "grades": {
        **data["enrollments"][0]["grades"], "current_score": "91.50",  # same number
    }})
    shaped = shape_canvas_data(data)
    assert shaped.submissions.filter(pl.col("submission_id") == 601).height == 1
    assert shaped.enrollments.filter(pl.col("enrollment_id") == 301).height == 1
    assert shaped.conflicts == {}
    assert caplog.records == []


def test_copies_that_differ_keep_the_later_one_and_are_counted(caplog):
    data = make_canvas_data()
    data["submissions"].append({**data["submissions"][0], "score": 3.0})  # regraded meanwhile
    data["submissions"].append({**data["submissions"][1], "workflow_state": "graded"})
    data["courses"].append({**data["courses"][1], "name": "History (renamed)"})
    shaped = shape_canvas_data(data)
    assert shaped.conflicts == {"submissions": 2, "courses": 1}
    assert shaped.submissions.filter(pl.col("submission_id") == 601)["score"].to_list() == [3.0]
    assert shaped.courses.filter(pl.col("course_id") == 102)["name"].to_list() == [
        "History (renamed)"
    ]
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert any("submissions id=601" in w and "field 'score'" in w and "2 such" in w
               for w in warnings), warnings
    assert any("courses id=102" in w and "field 'name'" in w for w in warnings), warnings


def test_a_student_who_differs_between_enrollments_is_a_conflict():
    data = make_canvas_data()
    # Alice's last enrollment (course 102's) carries her new name: renamed while the sync ran.
    data["enrollments"][6]["user"] = {**data["enrollments"][6]["user"], "name": "Alice New"}
    shaped = shape_canvas_data(data)
    assert shaped.conflicts == {"students": 1}
    assert shaped.students.filter(pl.col("student_id") == 5001)["name"].to_list() == [
        "Alice New"
    ]


def test_two_submissions_of_one_student_for_one_assignment_are_a_conflict():
    data = make_canvas_data()
    data["submissions"].append({**data["submissions"][0], "id": 699})
    shaped = shape_canvas_data(data)
    assert shaped.conflicts == {"submissions": 1}
    alice_501 = shaped.submissions.filter(
        (pl.col("assignment_id") == 501) & (pl.col("student_id") == 5001)
    )
    assert alice_501["submission_id"].to_list() == [699]


def test_later_pages_win_when_frames_are_concatenated():
    data = make_canvas_data()
    first = raw_frame("submissions", data["submissions"])
    later = raw_frame("submissions", [{**data["submissions"][0], "score": 1.0}])
    shaped = shape_canvas_data({**data, "submissions": pl.concat([first, later])})
    assert shaped.submissions.filter(pl.col("submission_id") == 601)["score"].to_list() == [1.0]
    assert shaped.conflicts == {"submissions": 1}


# -- a row fetched for one course that names another -----------------------------------------


def _fetched(data: dict, *, typed: bool = False) -> dict[str, pl.DataFrame]:
    """The data as a client hands it over: a frame per resource, each row tagged with the
    course it was fetched for (here: the course it names). ``typed``: each course's rows
    parsed as they arrive, as ``CanvasClient`` does (``typed_collection``); else raw."""
    course_of = {a["id"]: a["course_id"] for a in data["assignments"]}
    courses = raw_frame("courses", data["courses"])
    frames: dict[str, pl.DataFrame] = {
        "courses": typed_collection("courses", courses, None) if typed else courses
    }
    for resource in ("sections", "enrollments", "assignment_groups", "assignments",
                     "submissions"):

        def fetched_for(row: dict, resource: str = resource) -> int:
            if "fetched_for" in row:
                return row["fetched_for"]
            return course_of[row["assignment_id"]] if resource == "submissions" else (
                row["course_id"]
            )

        pages = []
        for course_id in (101, 102):
            rows = [
                {k: v for k, v in row.items() if k != "fetched_for"} for row in data[resource]
                if fetched_for(row) == course_id
            ]
            raw = raw_frame(resource, rows)
            pages.append(typed_collection(resource, raw, course_id) if typed
                         else tag_fetched_course(raw, course_id))
        frames[resource] = pl.concat(pages)
    return frames


@pytest.mark.parametrize("typed", [False, True], ids=["raw", "typed as fetched"])
def test_rows_tagged_with_their_own_course_shape_like_untagged_ones(typed):
    data = make_canvas_data()
    tagged = shape_canvas_data(_fetched(data, typed=typed))
    untagged = shape_canvas_data(data)
    for table, frame in untagged.tables().items():
        assert tagged.tables()[table].sort(frame.columns[0]).equals(frame.sort(frame.columns[0]))


@pytest.mark.parametrize(
    ("resource", "index", "change", "message"),
    [
        ("enrollments", 0, {"fetched_for": 102},
         r"enrollments id=301: field 'course_id' names course 101, but Canvas sent it among "
         r"the enrollments of course 102 \(1 such row"),
        ("sections", 2, {"fetched_for": 101},
         r"sections id=203: field 'course_id' names course 102, but .* of course 101"),
        ("assignments", 0, {"fetched_for": 102},
         r"assignments id=501: field 'course_id' names course 101, but .* of course 102"),
        ("submissions", 0, {"fetched_for": 102},
         r"submissions id=601: field 'assignment_id' names assignment 501 of course 101, but "
         r"Canvas sent it among the submissions of course 102"),
        ("submissions", 6, {"course_id": 101},
         r"submissions id=607: field 'course_id' names course 101, but Canvas sent it among "
         r"the submissions of course 102"),
    ],
)
@pytest.mark.parametrize("typed", [False, True], ids=["raw", "typed as fetched"])
def test_a_row_naming_another_course_than_it_was_fetched_for_is_refused(
    resource, index, change, message, typed
):
    data = make_canvas_data()
    data[resource][index].update(change)
    with pytest.raises(DataValidationError, match=message):
        shape_canvas_data(_fetched(data, typed=typed))


@pytest.mark.parametrize("typed", [False, True], ids=["raw", "typed as fetched"])
def test_a_wrong_copy_cannot_hide_behind_a_right_one(typed):
    data = make_canvas_data()
    # Enrollment 307 (course 102) sent again, unchanged, among course 101's enrollments.
    data["enrollments"].append({**data["enrollments"][6], "fetched_for": 101})
    with pytest.raises(DataValidationError, match=r"enrollments id=307: .*names course 102"):
        shape_canvas_data(_fetched(data, typed=typed))


def test_a_collection_typed_as_it_arrives_refuses_a_bad_value_naming_id_and_field():
    rows = [{"id": 601, "assignment_id": 501, "user_id": 5001, "score": "lots"}]
    with pytest.raises(DataValidationError, match=r"submissions id=601: field 'score' has "
                                                  r"'lots', expected a finite number"):
        typed_collection("submissions", raw_frame("submissions", rows), 101)


def test_a_typed_frame_without_an_id_is_refused_not_stored():
    data = _fetched(make_canvas_data(), typed=True)
    data["submissions"] = data["submissions"].with_columns(
        pl.when(pl.col("submission_id") == 603).then(None)
        .otherwise(pl.col("submission_id")).alias("submission_id")
    )
    with pytest.raises(DataValidationError, match=r"submissions\[2\]: field 'id' is missing"):
        shape_canvas_data(data)


def test_submissions_of_students_the_tracker_does_not_track_are_dropped_when_typed():
    # The test student's submission goes, as in the raw path, and nothing else does.
    shaped = shape_canvas_data(_fetched(make_canvas_data(), typed=True))
    assert 5999 not in shaped.submissions["student_id"]
    assert shaped.submissions.height == 7


def test_a_submission_naming_another_course_than_its_assignment_is_refused():
    data = make_canvas_data()
    data["submissions"][0]["course_id"] = 102  # assignment 501 is course 101's
    with pytest.raises(DataValidationError, match=r"submissions id=601: field 'course_id' "
                                                  r"names course 102, but its assignment 501 "
                                                  r"belongs to course 101"):
        shape_canvas_data(data)


# -- text that cannot be stored exactly -------------------------------------------------------


def test_a_lone_surrogate_in_a_json_page_is_refused_naming_id_and_field():
    import json

    data = make_canvas_data()
    body = json.dumps(data["enrollments"]).replace('"Bob Builder"', '"Bob \\ud800Builder"')
    with pytest.raises(DataValidationError) as caught:
        raw_frame_from_json("enrollments", body.encode())
    assert str(caught.value).startswith(
        "enrollments id=303: field 'user.name' contains text that cannot be stored exactly "
        "(a lone surrogate \\ud800"
    )


@pytest.mark.parametrize("text", ["\\udc00 alone", "end \\uDBFF", "\\ude00\\ud83d"])
def test_every_kind_of_lone_surrogate_is_found(text):
    body = '[{"id": 601, "assignment_id": 501, "user_id": 5001, "grade": "' + text + '"}]'
    with pytest.raises(DataValidationError, match=r"submissions id=601: field 'grade' .*lone "
                                                  r"surrogate"):
        raw_frame_from_json("submissions", body.encode())


def test_escaped_text_that_is_not_a_lone_surrogate_is_kept_exactly():
    body = (b'[{"id": 601, "assignment_id": 501, "user_id": 5001, '
            b'"grade": "\\ud83d\\ude00 \\\\ud800", "workflow_state": "\\u00e9"}]')
    frame = raw_frame_from_json("submissions", body)
    assert frame["grade"].to_list() == ["\U0001f600 \\ud800"]
    assert frame["workflow_state"].to_list() == ["\u00e9"]


def test_a_lone_surrogate_in_a_field_the_tracker_ignores_is_ignored():
    body = b'[{"id": 601, "assignment_id": 501, "user_id": 5001, "body": "\\ud800"}]'
    assert raw_frame_from_json("submissions", body)["id"].to_list() == ["601"]


def test_a_lone_surrogate_in_python_rows_is_refused_naming_id_and_field():
    data = make_canvas_data()
    data["courses"][1]["name"] = "History \ud800"
    with pytest.raises(DataValidationError, match=r"courses id=102: field 'name' contains text "
                                                  r"that cannot be stored exactly"):
        shape_canvas_data(data)
