"""Read models behind the pages, checked against plain polars recomputations from the raw tables.

The demo data (four syncs a week apart, scores changing between them, hostile names,
inactive students) is built once per module; tests that write work on a copy.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from tests.sample_data import make_canvas_data
from tracker_db.config import Settings
from tracker_db.db import Database, like_pattern, set_default_database
from tracker_db.edits import create_curriculum, set_student_group, set_student_tags
from tracker_db.migrate import open_database
from tracker_db.read_models.courses import get_course_overview
from tracker_db.read_models.flags import get_flag_board
from tracker_db.read_models.roster import (
    STUDENT_COLUMNS,
    STUDENT_TABLE_SCHEMA,
    FilterOptions,
    StudentFilters,
    get_filter_options,
    get_students_table,
    search_students,
    students_csv,
)
from tracker_db.read_models.student_record import (
    get_student_assignments,
    get_student_courses,
    get_student_profile,
    get_student_score_history,
)
from tracker_db.read_models.sync_status import SyncState, format_age, get_sync_state
from tracker_db.read_models.teacher_data import (
    distinct_tags,
    get_assignment_metadata_table,
    get_course_metadata_table,
    get_curricula_table,
    get_student_metadata_table,
)
from tracker_db.read_models.trends import (
    get_assignment_distribution,
    get_course_distribution,
    get_curriculum_courses,
    get_score_trend,
    get_submission_trend,
)
from tracker_db.sync.write import full_canvas_sync

HOSTILE_STUDENT = 5005  # "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def demo(demo_template: Settings) -> Iterator[Database]:
    """A read-only use of the demo database (tests must not write)."""
    manager = open_database(demo_template)
    previous = set_default_database(manager)
    yield manager
    set_default_database(previous)
    manager.close()


def _table(manager: Database, sql: str) -> pl.DataFrame:
    with manager.session() as cur:
        return cur.execute(sql).pl()


def _hidden_students(manager: Database) -> set[int]:
    frame = _table(manager, "SELECT object_id FROM lifecycle.object_status "
                            "WHERE object_type = 'student' AND (NOT active OR archived)")
    return set(frame["object_id"].to_list())


def _values_at(history: pl.DataFrame, sync_id: int, keys: list[str], value: str) -> pl.DataFrame:
    """The naive definition: the latest row of each key with sync_id <= N."""
    return (
        history.filter(pl.col("sync_id") <= sync_id)
        .sort("sync_id")
        .group_by(keys, maintain_order=True)
        .agg(pl.col(value).last(), pl.col("enrollment_state").last()
             if "enrollment_state" in history.columns else pl.lit(None).alias("_"))
    )


def test_format_age_speaks_in_words():
    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    assert format_age(None, now) == "never"
    assert format_age(now - timedelta(seconds=5), now) == "just now"
    assert format_age(now - timedelta(minutes=1), now) == "1 minute ago"
    assert format_age(now - timedelta(hours=3, minutes=5), now) == "3 hours ago"
    assert format_age(now - timedelta(days=8), now) == "8 days ago"
    assert "future" in format_age(now + timedelta(hours=1), now)


def test_like_pattern_takes_wildcards_literally():
    assert like_pattern("50%_a\\b") == "%50\\%\\_a\\\\b%"


def test_sync_state_on_an_empty_database(stores):
    manager = open_database(stores.settings("empty"))
    with manager.session() as cur:
        state = get_sync_state(cur=cur)
        assert state == SyncState()
        assert not state.has_data and not state.last_attempt_failed
        # Every page query answers an empty database without failing.
        assert get_course_overview(cur=cur).is_empty()
        board = get_flag_board(cur=cur)
        assert board.open.is_empty() and board.dismissed.is_empty()
        assert get_students_table(cur=cur).total == 0
        assert get_filter_options(cur=cur) == FilterOptions()
        assert get_score_trend([101], cur=cur).is_empty()
        assert get_submission_trend([101], cur=cur).is_empty()
        assert get_student_profile(5001, cur=cur) is None
    manager.close()


def test_sync_state_after_the_demo(demo):
    state = get_sync_state()
    assert (state.last_sync_id, state.previous_sync_id, state.succeeded_runs) == (4, 3, 4)
    assert state.has_data and not state.last_attempt_failed
    assert state.last_synced_at is not None and state.last_synced_at.tzinfo is not None


def test_course_overview_matches_the_raw_tables(demo):
    overview = get_course_overview()
    hidden = _hidden_students(demo)
    enrollments = _table(demo, "SELECT * FROM canvas.enrollments").filter(
        (pl.col("enrollment_state") != "deleted") & ~pl.col("student_id").is_in(list(hidden))
    ).unique(["course_id", "student_id"])
    submissions = _table(demo, "SELECT * FROM canvas.submissions").filter(
        ~pl.col("excused").fill_null(False) & ~pl.col("student_id").is_in(list(hidden))
    )
    courses = _table(demo, "SELECT course_id FROM canvas.courses")
    assert sorted(overview["course_id"].to_list()) == sorted(courses["course_id"].to_list())
    for row in overview.iter_rows(named=True):
        mine = enrollments.filter(pl.col("course_id") == row["course_id"])
        work = submissions.filter(pl.col("course_id") == row["course_id"])
        assert row["students"] == mine.height
        if mine.height:
            assert row["median_score"] == pytest.approx(mine["current_score"].median())
            assert row["mean_score"] == pytest.approx(mine["current_score"].mean())
        assert row["missing_count"] == work.filter(pl.col("missing")).height
        assert row["late_count"] == work.filter(pl.col("late")).height
        assert row["last_synced_at"] is not None
    hist = overview.filter(pl.col("course_id") == 104)
    assert hist["name"][0] == "HIST 120: World History <script>alert(1)</script>"


def test_change_since_last_sync_matches_the_naive_definition(demo):
    table = get_students_table(limit=10_000)
    history = _table(demo, "SELECT * FROM history.grade_history")
    now = _values_at(history, 4, ["course_id", "student_id"], "current_score")
    before = _values_at(history, 3, ["course_id", "student_id"], "current_score")
    joined = now.join(before, on=["course_id", "student_id"], how="left", suffix="_before")
    layer1 = _table(demo, "SELECT DISTINCT course_id, student_id FROM canvas.enrollments "
                          "WHERE enrollment_state IS DISTINCT FROM 'deleted'")
    expected = (
        joined.join(layer1, on=["course_id", "student_id"])
        .with_columns((pl.col("current_score") - pl.col("current_score_before")).alias("c"))
        .group_by("student_id").agg(pl.col("c").mean())
    )
    got = table.rows.select("student_id", "change_since_last_sync")
    both = got.join(expected, on="student_id")
    assert both.height == got.height > 50
    for sid, mine, theirs in both.iter_rows():
        assert mine == pytest.approx(theirs, abs=1e-9), sid


def test_students_table_and_filters(demo):
    everyone = get_students_table()
    assert everyone.total == everyone.rows.height > 50
    assert not everyone.truncated
    assert everyone.rows.columns == list(STUDENT_TABLE_SCHEMA)
    names = everyone.rows["name"].to_list()
    hidden = _hidden_students(demo)
    assert not set(everyone.rows["student_id"].to_list()) & hidden

    in_bio = get_students_table(StudentFilters(course_ids=(101,)))
    bio_students = _table(demo, "SELECT DISTINCT student_id FROM canvas.enrollments "
                                "WHERE course_id = 101 AND enrollment_state <> 'deleted'")
    expected = set(bio_students["student_id"].to_list()) - hidden
    assert set(in_bio.rows["student_id"].to_list()) == expected
    assert set(in_bio.rows["courses"].to_list()) == {"BIO 101"}

    two = get_students_table(StudentFilters(course_ids=(101, 102)))
    assert two.total > in_bio.total

    section = get_students_table(StudentFilters(section_ids=(3004,)))
    in_section = _table(demo, "SELECT DISTINCT student_id FROM canvas.enrollments "
                              "WHERE section_id = 3004 AND enrollment_state <> 'deleted'")
    assert set(section.rows["student_id"].to_list()) == (
        set(in_section["student_id"].to_list()) - hidden)

    invited = get_students_table(StudentFilters(states=("invited",)))
    assert 0 < invited.total < everyone.total

    found = get_students_table(StudentFilters(search="<SCRIPT>"))
    assert found.rows["student_id"].to_list() == [HOSTILE_STUDENT]
    assert get_students_table(StudentFilters(search="5005")).total == 1
    assert get_students_table(StudentFilters(search="%")).total == 0

    page = get_students_table(limit=10)
    assert page.truncated and page.rows.height == 10 and page.total == everyone.total
    assert page.rows["name"].to_list() == names[:10]

    with_inactive = get_students_table(StudentFilters(include_inactive=True))
    assert with_inactive.total == everyone.total + len(
        hidden & set(_table(demo, "SELECT student_id FROM canvas.students")["student_id"])
    )


def test_students_table_missing_and_late_match_the_submissions(demo):
    rows = get_students_table(StudentFilters(course_ids=(102,))).rows
    work = _table(demo, """
        SELECT student_id, count(*) FILTER (WHERE missing) AS missing,
               count(*) FILTER (WHERE late) AS late
        FROM canvas.submissions WHERE course_id = 102 AND NOT coalesce(excused, false)
        GROUP BY 1""")
    both = rows.join(work, on="student_id", how="left", suffix="_raw").fill_null(0)
    assert both["missing"].to_list() == both["missing_raw"].to_list()
    assert both["late"].to_list() == both["late_raw"].to_list()


def test_curriculum_tag_and_group_filters(demo_copy):
    create_curriculum("Year 9 Science", course_ids=[101, 103])
    set_student_tags(5006, ["ell", "watch"])
    set_student_group(5006, "Group A")
    set_student_tags(5009, ["watch"])
    options = get_filter_options()
    assert options.curricula == [("year-9-science", "Year 9 Science")]
    assert options.tags == ["ell", "watch"] and options.groups == ["Group A"]
    assert "deleted" not in options.states
    assert {s for s, _ in options.sections_for([101])} == {3001, 3002, 3003, 3004}
    assert all("(" in label for _, label in options.sections_for([101, 102]))

    in_curriculum = get_students_table(StudentFilters(curricula=("year-9-science",)))
    in_courses = get_students_table(StudentFilters(course_ids=(101, 103)))
    assert in_curriculum.rows.equals(in_courses.rows)
    tagged = get_students_table(StudentFilters(tags=("watch",)))
    assert sorted(tagged.rows["student_id"].to_list()) == [5006, 5009]
    assert tagged.rows.filter(pl.col("student_id") == 5006)["tags"][0] == "ell, watch"
    grouped = get_students_table(StudentFilters(groups=("Group A",)))
    assert grouped.rows["student_id"].to_list() == [5006]


def test_inactive_and_archived_students_are_hidden_by_default(demo_copy):
    with demo_copy.session() as cur:
        cur.execute("UPDATE lifecycle.object_status SET archived = true "
                    "WHERE object_type = 'student' AND object_id = 5006")
    assert 5006 not in get_students_table().rows["student_id"].to_list()
    shown = get_students_table(StudentFilters(include_inactive=True))
    assert 5006 in shown.rows["student_id"].to_list()
    default_trend = get_score_trend([101])
    inactive_trend = get_score_trend([101], include_inactive=True)
    assert (inactive_trend["students"] >= default_trend["students"]).all()
    assert (inactive_trend["students"] > default_trend["students"]).any()
    assert get_student_profile(5006)["archived"] is True


def test_student_queries(demo):
    profile = get_student_profile(HOSTILE_STUDENT)
    assert profile["name"] == "<script>alert(1)</script>" and profile["active"]
    assert get_student_profile(999_999) is None

    courses = get_student_courses(HOSTILE_STUDENT)
    assert courses.height >= 1
    assert set(courses.columns) >= {"course_name", "current_score", "missing", "late",
                                    "change_since_last_sync"}

    history = get_student_score_history(HOSTILE_STUDENT)
    raw = _table(demo, "SELECT * FROM history.grade_history")
    for course_id in history["course_id"].unique().to_list():
        rows = history.filter(pl.col("course_id") == course_id).sort("sync_id")
        assert rows["sync_id"].to_list() == [1, 2, 3, 4]
        for sync_id, score, median in rows.select(
            "sync_id", "student_score", "class_median"
        ).iter_rows():
            at = _values_at(raw.filter(pl.col("course_id") == course_id), sync_id,
                            ["course_id", "student_id"], "current_score")
            mine = at.filter(pl.col("student_id") == HOSTILE_STUDENT)["current_score"][0]
            assert score == pytest.approx(mine)
            counted = at.filter(~pl.col("enrollment_state").is_in(["deleted", "invited"]))
            assert median == pytest.approx(counted["current_score"].median())
    # one row per sync: the dates are the demo's weekly recorded_at stamps
    dates = history.filter(pl.col("course_id") == history["course_id"][0])["recorded_at"]
    assert (dates.diff().drop_nulls() == timedelta(days=7)).all()

    assignments = get_student_assignments(HOSTILE_STUDENT)
    subs = _table(demo, f"SELECT * FROM canvas.submissions WHERE student_id = {HOSTILE_STUDENT}")
    assert assignments.height == subs.height
    statuses = set(assignments["status"].to_list())
    assert statuses <= {"excused", "missing", "late", "late, graded", "graded", "submitted",
                        "not submitted"}
    missing = assignments.filter(pl.col("missing"))
    assert (missing["status"] == "missing").all() or missing.filter(pl.col("excused")).height

    found = search_students("baker")
    assert found["name"].to_list() == ["<b>bold</b> Baker"]


def test_progress_queries_match_the_naive_definitions(demo):
    trend = get_score_trend([101])
    raw = _table(demo, "SELECT * FROM history.grade_history WHERE course_id = 101")
    hidden = _hidden_students(demo)
    raw = raw.filter(~pl.col("student_id").is_in(list(hidden)))
    assert trend["sync_id"].to_list() == [1, 2, 3, 4]
    for sync_id, students, mean, median in trend.select(
        "sync_id", "students", "mean_score", "median_score"
    ).iter_rows():
        at = _values_at(raw, sync_id, ["course_id", "student_id"], "current_score").filter(
            ~pl.col("enrollment_state").is_in(["deleted", "invited"])
        )
        assert students == at["current_score"].drop_nulls().len()
        assert mean == pytest.approx(at["current_score"].mean())
        assert median == pytest.approx(at["current_score"].median())

    submitted = get_submission_trend([101])
    scores = _table(demo, "SELECT * FROM history.assignment_scores WHERE course_id = 101")
    scores = scores.filter(~pl.col("student_id").is_in(list(hidden)))
    due = _table(demo, "SELECT assignment_id, due_at FROM canvas.assignments")
    for sync_id, recorded_at, due_pairs, submitted_pairs in submitted.select(
        "sync_id", "recorded_at", "due_pairs", "submitted_pairs"
    ).iter_rows():
        at = (
            scores.filter(pl.col("sync_id") <= sync_id).sort("sync_id")
            .group_by(["assignment_id", "student_id"], maintain_order=True).last()
            .join(due, on="assignment_id")
            .filter(pl.col("due_at").is_not_null() & (pl.col("due_at") <= recorded_at))
            .filter(~pl.col("excused").fill_null(False))
        )
        done = at.filter(pl.col("submitted_at").is_not_null()
                         | pl.col("workflow_state").is_in(["submitted", "graded",
                                                           "pending_review"]))
        assert (due_pairs, submitted_pairs) == (at.height, done.height), sync_id

    spread = get_assignment_distribution(101)
    assert spread.height > 0
    assert spread["score_percent"].is_between(0, 200).all()
    per_course = get_course_distribution([101, 102])
    assert set(per_course["course_id"].unique().to_list()) == {101, 102}
    assert per_course.unique(["course_id", "student_id"]).height == per_course.height


def test_metadata_tables(demo_copy):
    courses = get_course_metadata_table()
    assert courses.height == 5 and courses["tracked"].all()
    assignments = get_assignment_metadata_table(101)
    assert assignments.height > 5 and set(assignments["tags"].to_list()[0]) == set()
    students = get_student_metadata_table(101)
    assert 0 < students.height <= 50
    assert get_student_metadata_table(None, "baker")["student_id"].to_list() == [5006]
    create_curriculum("Year 9", course_ids=[102, 101])
    table = get_curricula_table()
    assert table.row(0, named=True)["courses"] == ["101", "102"]
    assert get_curriculum_courses("year-9") == [101, 102]
    assert get_curriculum_courses("nope") == []
    assert distinct_tags(pl.DataFrame({"tags": [["b", "A"], [], None, ["b"]]})) == ["A", "b"]


def test_students_csv_is_what_is_shown(demo):
    rows = get_students_table(StudentFilters(course_ids=(101,))).rows
    data = students_csv(rows)
    assert data.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(data[3:].decode("utf-8"))))
    assert table[0] == [column.label for column in STUDENT_COLUMNS.values()]
    assert "Enrollment" in table[0] and "Mean" in table[0]
    assert len(table) - 1 == rows.height
    names = [line[1].removeprefix("'") for line in table[1:]]
    assert names == rows["name"].to_list()
    mean = table[0].index("Mean")
    written = [float(line[mean]) if line[mean] else None for line in table[1:]]
    assert written == [None if v is None else round(v, 1) for v in rows["mean_score"]]
    assert any(v is not None and round(v, 1) != v for v in rows["mean_score"]), "rounded"


@pytest.mark.parametrize("name", [
    '=HYPERLINK("https://evil.example","x")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)",
    "\tTabbed", "\rReturned",
])
def test_a_downloaded_cell_never_runs_as_a_formula(fresh_db, name):
    data = make_canvas_data()
    for enrollment in data["enrollments"]:
        if enrollment["user_id"] == 5002:
            enrollment["user"]["name"] = enrollment["user"]["sortable_name"] = name
    full_canvas_sync(data)
    rows = get_students_table().rows
    table = list(csv.reader(io.StringIO(students_csv(rows)[3:].decode("utf-8"))))
    cells = [line[1] for line in table[1:]]
    assert "'" + name in cells  # shown as text, never evaluated
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for line in table[1:]
                   for cell in line if not _is_number(cell))


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_the_students_table_names_each_enrollments_state(fresh_db):
    full_canvas_sync(make_canvas_data())
    later = make_canvas_data()
    later["enrollments"] = [e for e in later["enrollments"]
                            if (e["user_id"], e["course_id"]) != (5001, 102)]  # dropped there
    full_canvas_sync(later)
    shown = get_students_table(StudentFilters(include_inactive=True)).rows
    rows = {r["student_id"]: r for r in shown.iter_rows(named=True)}
    # One state per course, in the courses' order.
    assert (rows[5001]["courses"], rows[5001]["enrollment_states"]) == (
        "BIO-101; HIS-102", "active; removed")
    assert rows[5003]["enrollment_states"] == "inactive"  # why "Include inactive" shows them
    assert rows[5002]["enrollment_states"] == "active"


def test_the_time_zone_is_the_setting_else_the_courses_else_the_browsers(fresh_db):
    from tracker_db.edits import set_time_zone
    from tracker_db.errors import DataValidationError
    from tracker_db.read_models.preferences import get_time_zone

    assert get_time_zone("Europe/Paris").name == "Europe/Paris"  # no courses yet: the browser
    assert get_time_zone("Not/AZone") == get_time_zone(None)
    assert get_time_zone(None).name == "UTC"
    data = make_canvas_data()
    for course in data["courses"]:
        course["time_zone"] = "America/Chicago"
    full_canvas_sync(data)
    choice = get_time_zone("Europe/Paris")
    assert (choice.name, choice.source) == ("America/Chicago", "courses")
    set_time_zone("Asia/Tokyo")
    choice = get_time_zone("Europe/Paris")
    assert (choice.name, choice.source, choice.suggested) == (
        "Asia/Tokyo", "setting", "America/Chicago")
    assert choice.format(datetime(2026, 9, 1, 23, 30, tzinfo=UTC)) == "2026-09-02 08:30 Asia/Tokyo"
    with pytest.raises(DataValidationError, match="'Mars/Olympus' is not a time zone"):
        set_time_zone("Mars/Olympus")
    assert get_time_zone(None).name == "Asia/Tokyo"  # the refused edit changed nothing
    set_time_zone(None)
    assert get_time_zone(None).source == "courses"
