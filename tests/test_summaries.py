"""The page summaries a sync writes: held to independent definitions, through real syncs."""

from __future__ import annotations

import polars as pl
import pytest

from tests.db_snapshot import rebuilt_summaries, snapshot
from tests.work_facts import SUBMITTED_WORK_SQL
from tracker_db.canvas.client import RetryPolicy
from tracker_db.fake_canvas import FakeCanvas, build_demo_dataset
from tracker_db.maintenance import rebuild_summaries
from tracker_db.migrate import apply_migrations
from tracker_db.read_models.flags import get_flags
from tracker_db.read_models.trends import get_submission_trend
from tracker_db.review import delete_permanently, plan_permanent_delete
from tracker_db.sync.from_canvas import sync_from_canvas

TOKEN = "summary-token"
FAST = RetryPolicy(backoff_base=0.01, backoff_cap=0.05, max_pause=0.05)
SUBMITTED_STATES = ("submitted", "graded", "pending_review")


@pytest.fixture
def fake():
    with FakeCanvas(build_demo_dataset(seed=11), token=TOKEN) as server:
        yield server


def _sync(fake) -> int:
    return sync_from_canvas(fake.base_url, TOKEN, retry=FAST).sync_id


def _edit_submission(ds, course_id: int, assignment_id: int, user_id: int, **changes) -> None:
    with ds.lock:
        ds.course_data(course_id).submissions.materialise(user_id, assignment_id).update(changes)


def _frame(cur, sql: str, params=None) -> pl.DataFrame:
    return cur.execute(sql, params or []).pl()


def _flag_facts(cur) -> pl.DataFrame:
    """The facts the flag rules read, per pair, walked row by row: the missing streak (missing
    work due after the last work handed in), the late streak (late work handed in, due after
    the last handed in on time), and the sorted ids of missing work and of the late streak."""
    work = _frame(cur, SUBMITTED_WORK_SQL)
    rows = []
    for (course, student), pair in work.group_by(["course_id", "student_id"]):
        counted = pair.filter(~pl.col("excused"))
        missing_ids = sorted(counted.filter(pl.col("missing"))["assignment_id"].to_list())
        dated = counted.filter(pl.col("due_at").is_not_null())
        handed = dated.filter(pl.col("handed_in"))["due_at"].max()
        on_time = dated.filter(pl.col("handed_in") & ~pl.col("late"))["due_at"].max()
        streak = dated.filter(pl.col("missing") & ~pl.col("handed_in")
                              & (pl.col("due_at") > handed if handed is not None else pl.lit(True)))
        late = dated.filter(pl.col("late") & pl.col("handed_in")
                            & (pl.col("due_at") > on_time if on_time is not None else pl.lit(True)))
        late_ids = sorted(late["assignment_id"].to_list())
        rows.append({"course_id": course, "student_id": student,
                     "missing_streak": streak.height, "late_streak": late.height,
                     "missing_assignments": ",".join(map(str, missing_ids)) or None,
                     "late_streak_assignments": ",".join(map(str, late_ids)) or None})
    schema = {"course_id": pl.Int64, "student_id": pl.Int64, "missing_streak": pl.Int64,
              "late_streak": pl.Int64, "missing_assignments": pl.String,
              "late_streak_assignments": pl.String}
    return pl.DataFrame(rows, schema=schema)


def expected_course_students(cur, last_sync_id: int) -> pl.DataFrame:
    """summary.course_students by its definition, computed in polars from layers 0-2."""
    speaking = _frame(cur, "SELECT * FROM canvas.course_students")
    work = (
        _frame(cur, "SELECT course_id, student_id, missing, late, excused "
                    "FROM canvas.submissions")
        .filter(~pl.col("excused").fill_null(False))
        .group_by("course_id", "student_id")
        .agg(missing_count=pl.col("missing").fill_null(False).sum().cast(pl.Int64),
             late_count=pl.col("late").fill_null(False).sum().cast(pl.Int64))
    )
    history = _frame(cur, "SELECT course_id, student_id, sync_id, current_score "
                          "FROM history.grade_history").sort("sync_id")
    # The score as of the sync before: the latest row written before this sync.
    before = (
        history.filter(pl.col("sync_id") < last_sync_id)
        .group_by("course_id", "student_id")
        .agg(previous_score=pl.col("current_score").last())
    )
    changed = (
        history.filter(pl.col("sync_id") == last_sync_id)
        .select("course_id", "student_id", grade_changed=pl.lit(True))
    )
    listed = (
        speaking.join(work, on=["course_id", "student_id"], how="left")
        .join(before, on=["course_id", "student_id"], how="left")
        .join(changed, on=["course_id", "student_id"], how="left")
        .join(_flag_facts(cur), on=["course_id", "student_id"], how="left")
        .select(
            sync_id=pl.lit(last_sync_id, pl.Int64), course_id="course_id",
            student_id="student_id", listed=pl.lit(True), enrollment_id="enrollment_id",
            section_id="section_id", enrollment_state="enrollment_state",
            current_score="current_score",
            missing_count=pl.col("missing_count").fill_null(0),
            late_count=pl.col("late_count").fill_null(0),
            grade_changed=pl.col("grade_changed").fill_null(False),
            previous_score="previous_score",
            last_activity_at="last_activity_at",
            missing_streak=pl.col("missing_streak").fill_null(0),
            late_streak=pl.col("late_streak").fill_null(0),
            missing_assignments="missing_assignments",
            late_streak_assignments="late_streak_assignments",
        )
    )
    # Pairs layer 0 holds as removed, Canvas no longer lists, and history knows.
    removed = (
        _frame(cur, "SELECT course_id, student_id FROM lifecycle.enrollment_status "
                    "WHERE NOT active")
        .join(_frame(cur, "SELECT course_id, student_id FROM canvas.enrollments"),
              on=["course_id", "student_id"], how="anti")
        .join(history.group_by("course_id", "student_id")
              .agg(current_score=pl.col("current_score").last()),
              on=["course_id", "student_id"])
        .select(
            sync_id=pl.lit(last_sync_id, pl.Int64), course_id="course_id",
            student_id="student_id", listed=pl.lit(False),
            enrollment_id=pl.lit(None, pl.Int64), section_id=pl.lit(None, pl.Int64),
            enrollment_state=pl.lit("removed"), current_score="current_score",
            missing_count=pl.lit(0, pl.Int64), late_count=pl.lit(0, pl.Int64),
            grade_changed=pl.lit(False), previous_score=pl.lit(None, pl.Float64),
            last_activity_at=pl.lit(None, pl.Datetime("us", "UTC")),
            missing_streak=pl.lit(0, pl.Int64), late_streak=pl.lit(0, pl.Int64),
            missing_assignments=pl.lit(None, pl.String),
            late_streak_assignments=pl.lit(None, pl.String),
        )
    )
    return pl.concat([listed, removed], how="vertical_relaxed").sort(
        "course_id", "student_id", "listed")


def _hidden_student_ids(cur) -> list[int]:
    return _frame(cur, "SELECT object_id FROM lifecycle.object_status "
                       "WHERE object_type = 'student' AND (NOT active OR archived)")[
        "object_id"].to_list()


def expected_students(cur) -> pl.DataFrame:
    """summary.students by its definition, from summary.course_students and layers 0-1."""
    hidden_courses = _frame(cur, "SELECT object_id FROM lifecycle.hidden_objects "
                                 "WHERE object_type = 'course'")["object_id"].to_list()
    names = pl.concat([
        _frame(cur, "SELECT student_id, name, sortable_name, login_id, sis_user_id "
                    "FROM canvas.students"),
        _frame(cur, "SELECT object_id AS student_id, last_known_name AS name, "
                    "last_known_name AS sortable_name FROM lifecycle.object_status "
                    "WHERE object_type = 'student' AND object_id NOT IN "
                    "(SELECT student_id FROM canvas.students)"),
    ], how="diagonal_relaxed")
    return (
        _frame(cur, "SELECT * FROM summary.course_students")
        .filter((pl.col("enrollment_state").fill_null("") != "deleted")
                & ~pl.col("course_id").is_in(hidden_courses))
        .group_by("student_id")
        .agg(course_count=pl.col("listed").sum().cast(pl.Int64),
             removed_count=(~pl.col("listed")).sum().cast(pl.Int64),
             missing_count=pl.col("missing_count").sum(),
             missing_courses=(pl.col("missing_count") > 0).sum().cast(pl.Int64),
             late_count=pl.col("late_count").sum())
        .join(names, on="student_id", how="left")
        .with_columns(
            sort_key=pl.col("sortable_name").str.to_lowercase(),
            search_text=pl.concat_str("name", "sortable_name", "login_id", "sis_user_id",
                                      separator="\x1f", ignore_nulls=True).str.to_lowercase(),
        )
        .sort("student_id")
    )


def expected_submission_counts(cur, *, without_hidden: bool = False) -> pl.DataFrame:
    """Per (sync, assignment): counted and submitted pairs, each pair as of its latest row."""
    rows = _frame(
        cur,
        "SELECT sync_id, assignment_id, student_id, excused, submitted_at, workflow_state "
        "FROM history.assignment_scores",
    )
    if without_hidden:
        rows = rows.filter(~pl.col("student_id").is_in(_hidden_student_ids(cur)))
    rows = rows.with_columns(
        counted=(~pl.col("excused").fill_null(False)).cast(pl.Int64),
        submitted=(
            ~pl.col("excused").fill_null(False)
            & (pl.col("submitted_at").is_not_null()
               | pl.col("workflow_state").is_in(SUBMITTED_STATES).fill_null(False))
        ).cast(pl.Int64),
    )
    syncs = _frame(cur, "SELECT sync_id FROM ops.sync_runs WHERE status = 'succeeded'")
    per_sync = []
    for (sync_id,) in syncs.rows():
        latest = (
            rows.filter(pl.col("sync_id") <= sync_id).sort("sync_id")
            .group_by("assignment_id", "student_id").last()
        )
        per_sync.append(
            latest.group_by("assignment_id")
            .agg(counted=pl.col("counted").sum(), submitted=pl.col("submitted").sum())
            .with_columns(sync_id=pl.lit(sync_id, pl.Int64))
        )
    return (
        pl.concat(per_sync).select("sync_id", "assignment_id", "counted", "submitted")
        .filter((pl.col("counted") != 0) | (pl.col("submitted") != 0))
        .sort("sync_id", "assignment_id")
    )


def counts_from_changes(cur) -> pl.DataFrame:
    """Per (sync, assignment): running sums of summary.submission_changes."""
    return _frame(cur, """
        WITH grid AS (
            SELECT s.sync_id, a.assignment_id
            FROM (SELECT sync_id FROM ops.sync_runs WHERE status = 'succeeded') AS s
            CROSS JOIN (SELECT DISTINCT assignment_id
                        FROM summary.submission_changes) AS a
        )
        SELECT g.sync_id, g.assignment_id,
               sum(coalesce(c.counted_change, 0)) OVER w AS counted,
               sum(coalesce(c.submitted_change, 0)) OVER w AS submitted
        FROM grid AS g
        LEFT JOIN summary.submission_changes AS c USING (sync_id, assignment_id)
        WINDOW w AS (PARTITION BY g.assignment_id ORDER BY g.sync_id)
    """).cast({"counted": pl.Int64, "submitted": pl.Int64}).filter(
        (pl.col("counted") != 0) | (pl.col("submitted") != 0)
    ).sort("sync_id", "assignment_id")


def assert_summaries_hold(cur, sync_id: int) -> None:
    pairs = _frame(cur, "SELECT * FROM summary.course_students "
                        "ORDER BY course_id, student_id, listed")
    expected = expected_course_students(cur, sync_id)
    assert pairs.height == expected.height > 0
    assert pairs.equals(expected.cast(dict(pairs.schema))), (pairs, expected)
    students = _frame(cur, "SELECT * FROM summary.students ORDER BY student_id")
    expected = expected_students(cur).select(students.columns)
    assert students.equals(expected.cast(dict(students.schema))), (students, expected)
    assert counts_from_changes(cur).equals(expected_submission_counts(cur))
    # Appended sync by sync, recomputed on deletes: always what a rebuild gives.
    assert snapshot(cur, ("summary",)) == rebuilt_summaries(cur)
    assert_submission_trend_holds(cur)


def assert_submission_trend_holds(cur) -> None:
    """The chart's figures, against counts computed in polars from the history rows."""
    course_ids = _frame(cur, "SELECT course_id FROM canvas.courses")["course_id"].to_list()
    hidden_assignments = _frame(cur, "SELECT object_id FROM lifecycle.hidden_objects "
                                     "WHERE object_type = 'assignment'")["object_id"]
    due = _frame(cur, "SELECT assignment_id, due_at FROM canvas.assignments")
    times = _frame(cur, "SELECT sync_id, recorded_at FROM history.sync_times")
    for include_inactive in (False, True):
        expected = (
            expected_submission_counts(cur, without_hidden=not include_inactive)
            .filter(~pl.col("assignment_id").is_in(hidden_assignments.to_list()))
            .join(due, on="assignment_id").join(times, on="sync_id")
            .filter(pl.col("due_at") <= pl.col("recorded_at"))
            .group_by("sync_id")
            .agg(due_pairs=pl.col("counted").sum(), submitted_pairs=pl.col("submitted").sum())
            .filter(pl.col("due_pairs") > 0)
            .sort("sync_id")
        )
        trend = get_submission_trend(tuple(course_ids), include_inactive=include_inactive)
        got = trend.select("sync_id", "due_pairs", "submitted_pairs").sort("sync_id")
        assert got.equals(expected.cast(dict(got.schema))), (include_inactive, got, expected)
        assert expected.height > 0


def test_summaries_match_their_definitions_after_every_kind_of_change(fake, cur):
    ds = fake.dataset
    first = _sync(fake)
    assert_summaries_hold(cur, first)

    courses = [c["id"] for c in ds.courses_for_teacher()]
    students = [e["user_id"] for e in ds.student_enrollments(courses[0])]
    assignments = [a["id"] for a in ds.assignments(courses[0])]
    assert ds.change_scores(0.2, seed=3) > 0
    ds.set_score(courses[0], assignments[0], students[0], None)   # ungraded again
    ds.set_score(courses[0], assignments[1], students[1], 0.0)    # a zero
    _edit_submission(ds, courses[0], assignments[2], students[4], excused=True)
    _edit_submission(ds, courses[0], assignments[3], students[5], submitted_at=None,
                     workflow_state="unsubmitted", missing=True)
    for course_id in courses:  # inactive everywhere: layer 0 hides the student
        if any(e["user_id"] == students[2] for e in ds.student_enrollments(course_id)):
            ds.drop_student(course_id, students[2], state="inactive")
    ds.drop_student(courses[0], students[3])                       # gone from the course
    second = _sync(fake)
    assert_summaries_hold(cur, second)
    moved = _frame(cur, "SELECT * FROM summary.course_students WHERE grade_changed "
                        "AND previous_score IS DISTINCT FROM current_score")
    assert moved.height > 0, "the scenario moves course scores"
    assert _frame(cur, "SELECT * FROM summary.submission_changes WHERE sync_id = ?",
                  [second]).height > 0, "the scenario moves submission counts"
    assert students[2] in _hidden_student_ids(cur)
    assert _frame(cur, "SELECT * FROM summary.course_students WHERE NOT listed").height > 0
    assert _frame(cur, "SELECT * FROM summary.hidden_submission_changes").height > 0

    ds.delete_assignment(courses[0], assignments[2])
    ds.reenroll_student(courses[0], students[3])
    third = _sync(fake)
    assert_summaries_hold(cur, third)

    # An identical sync: nothing changed, so nothing moved.
    fourth = _sync(fake)
    assert_summaries_hold(cur, fourth)
    unchanged = _frame(cur, "SELECT grade_changed, previous_score IS NOT DISTINCT FROM "
                            "current_score AS same FROM summary.course_students")
    assert not unchanged["grade_changed"].any() and unchanged["same"].all()
    assert _frame(cur, "SELECT * FROM summary.submission_changes WHERE sync_id = ?",
                  [fourth]).height == 0


@pytest.mark.parametrize("object_type", ["student", "assignment", "course"])
def test_permanent_delete_keeps_the_summaries_true(fake, cur, object_type):
    ds = fake.dataset
    _sync(fake)
    course_id = ds.courses_for_teacher()[0]["id"]
    if object_type == "student":
        object_id = ds.student_enrollments(course_id)[0]["user_id"]
        for course in ds.courses_for_teacher():
            if any(e["user_id"] == object_id for e in ds.student_enrollments(course["id"])):
                ds.drop_student(course["id"], object_id, state="inactive")
    elif object_type == "assignment":
        object_id = ds.assignments(course_id)[0]["id"]
        ds.delete_assignment(course_id, object_id)
    else:
        object_id = course_id
        ds.delete_course(course_id)
    last = _sync(fake)
    plan = plan_permanent_delete(object_type, object_id)
    delete_permanently(object_type, object_id, confirm=plan)

    assert_summaries_hold(cur, last)
    column = f"{object_type}_id"
    if object_type != "assignment":
        assert _frame(cur, f"SELECT * FROM summary.course_students WHERE {column} = ?",
                      [object_id]).height == 0
    if object_type != "student":
        assert _frame(cur, f"SELECT * FROM summary.submission_changes "
                           f"WHERE {column} = ?", [object_id]).height == 0


def test_the_migration_fills_the_summaries_of_an_existing_database(fake, cur):
    ds = fake.dataset
    _sync(fake)
    course_id = ds.courses_for_teacher()[0]["id"]
    dropped = ds.student_enrollments(course_id)[0]["user_id"]
    for course in ds.courses_for_teacher():
        if any(e["user_id"] == dropped for e in ds.student_enrollments(course["id"])):
            ds.drop_student(course["id"], dropped)
    ds.change_scores(0.3, seed=5)
    _sync(fake)
    layers = ("canvas", "history", "meta", "lifecycle", "summary")
    written = snapshot(cur, layers)
    assert _frame(cur, "SELECT * FROM summary.course_students WHERE NOT listed").height > 0
    assert _frame(cur, "SELECT * FROM summary.hidden_submission_changes").height > 0
    assert _frame(cur, "SELECT * FROM summary.work_changes").height > 0
    assert _frame(cur, "SELECT * FROM lifecycle.enrollment_changes").height > 0
    flags_before = get_flags(include_dismissed=True, cur=cur)
    # Take the database back to before migration 0006 (and 0007, 0011 and 0014 to 0017,
    # which build on it), with its syncs kept.
    for statement in (
        "DELETE FROM ops.schema_migrations WHERE version IN (16, 17)",
        "DELETE FROM ops.schema_migrations WHERE version = 15",
        "DROP TABLE meta.flag_rules",
        "DROP TABLE meta.flag_decisions",
        "DELETE FROM ops.schema_migrations WHERE version = 14",
        "DROP TABLE lifecycle.enrollment_changes",
        "DELETE FROM ops.schema_migrations WHERE version = 11",
        "DROP MACRO TABLE canvas.reported_course_work",
        "DROP MACRO TABLE canvas.reported_course_students",
        "DROP MACRO TABLE meta.scope_courses",
        "DROP VIEW meta.curricula_with_courses",
        "DROP VIEW lifecycle.hidden_students",
        "DROP VIEW lifecycle.hidden_courses",
        "DROP VIEW lifecycle.hidden_assignments",
        "DROP SCHEMA summary CASCADE",
        "DELETE FROM ops.schema_migrations WHERE version IN (6, 7)",
    ):
        cur.execute(statement)

    assert apply_migrations(cur) == [6, 7, 11, 14, 15, 16, 17]
    now = snapshot(cur, layers)
    # The flags are derived by Python at the next sync or change of the rules; until then
    # readers apply the rules themselves, and find the same flags.
    assert now.pop("summary.flags") == [] and now.pop("summary.flag_state") == []
    assert {t: rows for t, rows in written.items()
            if t not in ("summary.flags", "summary.flag_state")} == now
    assert get_flags(include_dismissed=True, cur=cur).equals(flags_before)


def test_rebuild_recomputes_what_the_syncs_wrote(fake, cur):
    ds = fake.dataset
    _sync(fake)
    ds.change_scores(0.3, seed=9)
    _sync(fake)
    written = snapshot(cur)
    cur.execute("DELETE FROM summary.course_students")
    cur.execute("DELETE FROM summary.students")
    cur.execute("DELETE FROM summary.submission_changes")
    cur.execute("DELETE FROM summary.hidden_submission_changes")
    rebuild_summaries(cur=cur)
    assert snapshot(cur) == written


def test_rebuild_on_a_database_without_syncs_leaves_the_summaries_empty(cur):
    rebuild_summaries(cur=cur)
    assert _frame(cur, "SELECT * FROM summary.course_students").height == 0
    assert _frame(cur, "SELECT * FROM summary.students").height == 0
    assert _frame(cur, "SELECT * FROM summary.submission_changes").height == 0
