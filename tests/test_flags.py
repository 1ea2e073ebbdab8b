"""Flags: each rule against an independent definition on the demo data, the teachers'
settings and their checks, and a dismissal that holds until the facts change, through real
syncs from the fake Canvas on loopback."""

from __future__ import annotations

import time
from datetime import timedelta

import polars as pl
import pytest

from tests.work_facts import SUBMITTED_WORK_SQL
from tracker_db.canvas.client import RetryPolicy
from tracker_db.db import Database, write
from tracker_db.edits import (
    create_curriculum,
    dismiss_flags,
    flag_again,
    set_flag_rule,
    set_flag_rules,
)
from tracker_db.errors import DataValidationError
from tracker_db.fake_canvas import FakeCanvas, build_demo_dataset
from tracker_db.flag_rules import RULES, RuleSetting, default_setting, validate_setting
from tracker_db.past_state import open_past_state
from tracker_db.read_models.flags import (
    flags_csv,
    flags_in_summary,
    get_flag_board,
    get_flag_decisions,
    get_flagged_student_ids,
    get_flagged_students,
    get_flags,
    get_rule_settings,
    rules_key,
)
from tracker_db.read_models.roster import StudentFilters, get_students_table
from tracker_db.store import teacher_data
from tracker_db.sync.from_canvas import sync_from_canvas

TOKEN = "flags-token"
FAST = RetryPolicy(backoff_base=0.01, backoff_cap=0.05, max_pause=0.05)


def _frame(db: Database, sql: str) -> pl.DataFrame:
    with db.session() as cur:
        return cur.execute(sql).pl()


def _raised(frame: pl.DataFrame, rule: str) -> set[tuple[int, int]]:
    rows = frame.filter(pl.col("rule") == rule)
    return set(zip(rows["course_id"].to_list(), rows["student_id"].to_list(), strict=True))


# ---------------------------------------------------------------------------------------------
# Each rule, against a definition written without the read model's SQL


def _shown_pairs(db: Database) -> pl.DataFrame:
    """Active enrollments of students and courses layer 0 does not hide."""
    return _frame(db, """
        SELECT e.course_id, e.student_id, e.current_score, e.last_activity_at
        FROM canvas.course_students AS e
        WHERE e.enrollment_state = 'active'
          AND e.student_id NOT IN (SELECT object_id FROM lifecycle.object_status
                                   WHERE object_type = 'student' AND (NOT active OR archived))
          AND e.course_id NOT IN (SELECT object_id FROM lifecycle.object_status
                                  WHERE object_type = 'course' AND (NOT active OR archived))
    """)


def _work(db: Database) -> pl.DataFrame:
    return _frame(db, SUBMITTED_WORK_SQL)


def _streaks(work: pl.DataFrame) -> dict[tuple[int, int], tuple[int, int]]:
    """(missing streak, late streak) per pair: walk each pair's dated work, latest due first."""
    out: dict[tuple[int, int], tuple[int, int]] = {}
    dated = work.filter(~pl.col("excused") & pl.col("due_at").is_not_null())
    for (course, student), rows in dated.group_by(["course_id", "student_id"]):
        # Work due at the same moment as work handed in (on time) is no streak of its own:
        # among equal due dates, work handed in (on time) comes first.
        ordered = rows.sort(["due_at", "handed_in", "late"], descending=[True, True, False]
                            ).iter_rows(named=True)
        missing = late = 0
        missing_open = late_open = True
        for row in ordered:
            if row["handed_in"]:
                missing_open = False  # the latest work handed in ends the missing streak
                if row["late"] and late_open:
                    late += 1
                elif not row["late"]:
                    late_open = False
            elif row["missing"] and missing_open:
                missing += 1
        out[(int(course), int(student))] = (missing, late)
    return out


def test_every_rule_fires_exactly_where_its_definition_says(demo_copy):
    # Thresholds low enough that every rule fires somewhere in the demo data.
    set_flag_rules([
        RuleSetting("missing_work", True, 2, None),
        RuleSetting("missing_streak", True, 1, None),
        RuleSetting("low_score", True, 70, None),
        RuleSetting("below_median", True, 10, None),
        RuleSetting("score_drop", True, 3, None),
        RuleSetting("score_drop_days", True, 5, 10),
        RuleSetting("inactive", True, 10, None),
        RuleSetting("late_streak", True, 1, None),
    ])
    flags = get_flags(include_dismissed=True)
    pairs = _shown_pairs(demo_copy)
    keys = set(zip(pairs["course_id"].to_list(), pairs["student_id"].to_list(), strict=True))
    scores = {(c, s): v for c, s, v, _ in pairs.iter_rows()}

    assert _raised(flags, "low_score") == {k for k, v in scores.items()
                                           if v is not None and v < 70}
    medians = pairs.group_by("course_id").agg(pl.col("current_score").median())
    median = dict(medians.iter_rows())
    assert _raised(flags, "below_median") == {
        (c, s) for (c, s), v in scores.items() if v is not None and v <= median[c] - 10}

    work = _work(demo_copy)
    missing = (work.filter(pl.col("missing") & ~pl.col("excused"))
               .group_by(["course_id", "student_id"]).len())
    assert _raised(flags, "missing_work") == {
        (c, s) for c, s, n in missing.iter_rows() if n >= 2 and (c, s) in keys}
    streaks = _streaks(work)
    assert _raised(flags, "missing_streak") == {
        k for k, (m, _) in streaks.items() if m >= 1 and k in keys}
    assert _raised(flags, "late_streak") == {
        k for k, (_, late) in streaks.items() if late >= 1 and k in keys}

    history = _frame(demo_copy, "SELECT sync_id, recorded_at, course_id, student_id, "
                                "current_score FROM history.grade_history")
    synced_at = _frame(demo_copy, "SELECT max(recorded_at) AS t FROM history.grade_history "
                                  "WHERE sync_id = (SELECT max(sync_id) FROM ops.sync_runs "
                                  "WHERE status = 'succeeded')")["t"][0]
    last_sync = int(history["sync_id"].max())  # type: ignore[arg-type]

    def score_at(rows: pl.DataFrame) -> dict[tuple[int, int], float | None]:
        latest = rows.sort("sync_id").group_by(["course_id", "student_id"]).last()
        return {(c, s): v for c, s, v in
                latest.select("course_id", "student_id", "current_score").iter_rows()}

    now = score_at(history)
    before = score_at(history.filter(pl.col("sync_id") < last_sync))
    changed = set(zip(*history.filter(pl.col("sync_id") == last_sync)
                      .select("course_id", "student_id").to_dict(as_series=False).values(),
                      strict=True))
    assert _raised(flags, "score_drop") == {
        k for k in changed & keys
        if now.get(k) is not None and before.get(k) is not None and before[k] - now[k] >= 3}
    then = score_at(history.filter(pl.col("recorded_at") <= synced_at - timedelta(days=10)))
    assert _raised(flags, "score_drop_days") == {
        k for k in keys if then.get(k) is not None and scores.get(k) is not None
        and then[k] - scores[k] >= 5}

    assert _raised(flags, "inactive") == {
        (c, s) for c, s, _, seen in pairs.iter_rows()
        if seen is None or seen <= synced_at - timedelta(days=10)}
    for rule in RULES:
        assert _raised(flags, rule), f"{rule} fires nowhere: the test would prove nothing"


def test_each_flag_says_why_in_words(demo_copy):
    flags = get_flags()
    low = flags.filter(pl.col("rule") == "low_score")
    assert all(r.startswith("current score ") and r.endswith("below 60%")
               for r in low["reason"].to_list())
    missing = flags.filter(pl.col("rule") == "missing_work")
    assert all("missing submission" in r for r in missing["reason"].to_list())
    assert set(flags["flag"].to_list()) <= {spec.label for spec in RULES.values()}
    header = flags_csv(flags).decode("utf-8-sig").splitlines()[0]
    assert header == '"Student","Course","Flag","Why"'


def test_a_rule_switched_off_raises_nothing_and_the_rest_stay(demo_copy):
    before = get_flags()
    set_flag_rule("inactive", enabled=False, threshold=14)
    after = get_flags()
    assert "inactive" in set(before["rule"]) and "inactive" not in set(after["rule"])
    assert after.height == before.filter(pl.col("rule") != "inactive").height
    assert next(s for s in get_rule_settings() if s.rule == "inactive").enabled is False


def test_rules_never_set_keep_their_defaults(demo_copy):
    assert get_rule_settings() == [default_setting(rule) for rule in RULES]


@pytest.mark.parametrize(("rule", "enabled", "threshold", "days", "message"), [
    ("nonsense", True, 3, None, "there is no flag rule 'nonsense'"),
    ("low_score", True, 150, None, "Low score: the threshold must be from 0 to 100 %"),
    ("low_score", True, -1, None, "Low score: threshold must be a number of at least 0"),
    ("low_score", True, "abc", None, "Low score: threshold must be a number"),
    ("low_score", True, None, None, "Low score: the threshold is required"),
    ("missing_work", True, 2.5, None, "Missing work: the threshold must be a whole number"),
    ("score_drop_days", True, 5, 0, "Drop over days: days must be a number of at least 1"),
    ("score_drop_days", True, 5, 400, "Drop over days: days must be a whole number from 1"),
    ("low_score", True, 50, 7, "Low score: this rule has no period of days"),
    ("low_score", "yes", 50, None, "Low score: on must be true or false"),
])
def test_a_bad_setting_is_refused_naming_the_rule_and_nothing_is_saved(
        demo_copy, rule, enabled, threshold, days, message):
    with pytest.raises(DataValidationError, match=message):
        set_flag_rules([RuleSetting("missing_work", True, 5, None),  # a good one first
                        RuleSetting(rule, enabled, threshold, days)])
    assert _frame(demo_copy, "SELECT * FROM meta.flag_rules").is_empty()


@pytest.mark.parametrize(("flag", "note", "message"), [
    ({"course_id": 101, "student_id": 5001, "rule": "made_up", "facts": "x"}, None,
     "there is no flag rule"),
    ({"course_id": 101, "student_id": 5001, "rule": "low_score", "facts": ""}, None,
     "needs the facts"),
    ({"course_id": -4, "student_id": 5001, "rule": "low_score", "facts": "50.0"}, None,
     "course id"),
    ({"course_id": 101, "student_id": 5001, "rule": "low_score", "facts": "50.0"},
     "x" * 20_001, "note"),
])
def test_a_bad_dismissal_is_refused_and_nothing_is_written(demo_copy, flag, note, message):
    good = get_flags().row(0, named=True)
    with pytest.raises(DataValidationError, match=message):
        dismiss_flags([good, flag], note)
    with pytest.raises(DataValidationError, match="choose at least one flag"):
        dismiss_flags([])
    assert _frame(demo_copy, "SELECT * FROM meta.flag_decisions").is_empty()


def test_the_flagged_students_sum_up_their_open_flags_per_course(demo_copy):
    flags = get_flags(course_ids=[101])
    assert set(flags["course_id"].to_list()) == {101}
    summary = get_flagged_students(course_ids=[101])
    assert summary["flag_count"].sum() == flags.height
    first = summary.row(0, named=True)
    own = flags.filter(pl.col("student_id") == first["student_id"])
    assert first["flags"] == "; ".join(f"{f} ({c})" for f, c in
                                       own.select("flag", "course_name").iter_rows())


def test_a_board_cut_at_its_limit_keeps_the_first_flags_and_counts_them_all(demo_copy):
    every = get_flags()
    dismiss_flags([every.row(0, named=True)])
    board = get_flag_board(limit=3)
    rest = every.slice(1)
    assert board.open.height == 3 and board.open_total == rest.height > 3
    assert board.open.select("student_id", "course_id", "rule").rows() == rest.head(3).select(
        "student_id", "course_id", "rule").rows()
    assert board.dismissed.height == 1
    whole = get_flag_board()
    assert whole.open.height == whole.open_total == rest.height


def test_the_students_table_shows_each_listed_student_s_flags(demo_copy):
    table = get_students_table()
    expected = dict(get_flagged_students().select("student_id", "flags").iter_rows())
    assert table.rows.height > 50
    assert dict(table.rows.select("student_id", "flags").iter_rows()) == {
        i: expected.get(i) for i in table.rows["student_id"]}
    flagged = get_students_table(StudentFilters(flagged=True))
    assert sorted(flagged.rows["student_id"]) == sorted(expected)


def test_a_past_state_shows_the_flags_of_its_sync_with_today_s_decisions(demo_copy):
    with open_past_state(3).session() as cur:
        then = get_flags(include_dismissed=True, cur=cur)
    flag = then.filter(pl.col("rule") == "score_drop").row(0, named=True)
    dismiss_flags([flag], "seen")
    with open_past_state(3).session() as cur:
        again = get_flags(include_dismissed=True, cur=cur)
    assert again.filter(pl.col("dismissed"))["facts"].to_list() == [flag["facts"]]


# ---------------------------------------------------------------------------------------------
# A dismissal holds while the facts do, through real syncs


@pytest.fixture
def fake():
    with FakeCanvas(build_demo_dataset(seed=5), token=TOKEN) as server:
        yield server


def _sync(fake) -> int:
    time.sleep(1.05)  # Canvas's *_since filters are strict, to the second
    return sync_from_canvas(fake.base_url, TOKEN, retry=FAST).sync_id


def _graded(cur, course_id: int, student_id: int) -> list[int]:
    return [a for (a,) in cur.execute(
        "SELECT assignment_id FROM canvas.submissions WHERE course_id = ? AND student_id = ? "
        "AND score > 0 ORDER BY assignment_id", [course_id, student_id]).fetchall()]


def test_a_dismissed_flag_stays_dismissed_until_its_facts_change(fresh_db, fake):
    _sync(fake)
    low = get_flags().filter(pl.col("rule") == "low_score").row(0, named=True)
    assert dismiss_flags([low], "knows, has a plan") == 1
    board = get_flag_board()
    assert (low["course_id"], low["student_id"]) not in _raised(board.open, "low_score")
    assert board.dismissed.filter(pl.col("rule") == "low_score")["dismissed_note"].to_list() \
        == ["knows, has a plan"]

    _sync(fake)  # nothing changed for that student: still dismissed
    assert (low["course_id"], low["student_id"]) not in _raised(get_flags(), "low_score")

    # A new grade moves their score: the facts changed, so the flag is raised again.
    with fresh_db.session() as cur:
        graded = _graded(cur, low["course_id"], low["student_id"])
    fake.dataset.set_score(low["course_id"], graded[0], low["student_id"], 0)
    _sync(fake)
    back = get_flags().filter((pl.col("rule") == "low_score")
                              & (pl.col("student_id") == low["student_id"])
                              & (pl.col("course_id") == low["course_id"]))
    assert back.height == 1 and back["facts"][0] != low["facts"]
    history = get_flag_decisions(low["student_id"])
    assert history.select("action", "note", "facts").rows() == [
        ("dismiss", "knows, has a plan", low["facts"])]

    # Dismiss the new facts, then flag again by hand: open once more, history of three.
    dismiss_flags(back.to_dicts())
    assert not _raised(get_flags(), "low_score") & {(low["course_id"], low["student_id"])}
    flag_again(back.to_dicts())
    assert _raised(get_flags(), "low_score") >= {(low["course_id"], low["student_id"])}
    assert get_flag_decisions(low["student_id"])["action"].to_list() == [
        "flag again", "dismiss", "dismiss"]


# ---------------------------------------------------------------------------------------------
# The flags derived once per sync and per change of the rules (summary.flags)


def _live(demo_copy) -> pl.DataFrame:
    # The rules applied on the spot: what readers do when summary.flags is not current.
    with demo_copy.session() as cur:
        state = cur.execute("SELECT * FROM summary.flag_state").fetchone()  # one row at most
        cur.execute("DELETE FROM summary.flag_state")
        try:
            return get_flags(include_dismissed=True, cur=cur)
        finally:
            if state is not None:
                cur.execute("INSERT INTO summary.flag_state VALUES (?, ?)", list(state))


def test_the_derived_flags_are_the_rules_applied_and_follow_a_change_of_rules(demo_copy):
    with demo_copy.session() as cur:
        state = cur.execute("SELECT sync_id, rules_key FROM summary.flag_state").fetchall()
        latest = cur.execute("SELECT max(sync_id) FROM ops.sync_runs").fetchone()[0]
        stored = cur.execute("SELECT count(*) FROM summary.flags").fetchone()[0]
    assert state == [(latest, rules_key(get_rule_settings()))] and stored > 0
    derived = get_flags(include_dismissed=True)
    assert derived.equals(_live(demo_copy)) and derived.height == stored

    # derived again in the rule's own transaction
    set_flag_rule("low_score", enabled=True, threshold=80)
    with demo_copy.session() as cur:
        assert cur.execute("SELECT rules_key FROM summary.flag_state").fetchone()[0] == (
            rules_key(get_rule_settings()))
    after = get_flags(include_dismissed=True)
    assert after.equals(_live(demo_copy))
    assert (after["rule"] == "low_score").sum() > (derived["rule"] == "low_score").sum()


def test_stale_derived_flags_are_never_read(demo_copy):
    # A rule changed without deriving the flags again (as by a version from before them):
    # readers see that the flags were derived under other rules, and apply the rules.
    with demo_copy.session() as cur:  # the rules' own writer, without edits' derivation
        setting = validate_setting("low_score", True, 90, None)
        write(cur, lambda c: teacher_data.save_rule_setting(c, setting))
    assert get_flags(include_dismissed=True).equals(_live(demo_copy))
    assert (get_flags()["rule"] == "low_score").sum() > 0



def test_the_flagged_students_are_read_from_the_derived_flags_as_from_the_rules(demo_copy):
    every = get_flags()
    dismiss_flags([every.row(0, named=True)])  # its student may have no other open flag
    for course_ids in ((), (101,)):
        expected = set(get_flags(course_ids=course_ids)["student_id"])
        assert set(get_flagged_student_ids(course_ids=course_ids)) == expected
        assert set(_live(demo_copy).filter(
            ~pl.col("dismissed") & (pl.lit(not course_ids) | pl.col("course_id").is_in(
                list(course_ids))))["student_id"]) == expected


def test_the_flagged_students_follow_hides_made_after_the_flags_were_derived(demo_copy):
    # summary.open_flag_students reads the derived flags against the hidden students and
    # courses, not against every pair: a student and a course hidden since the last sync
    # (as layer 0 can) leave the list exactly as the rules applied on the spot say.
    open_flags = get_flags()
    student = open_flags.filter(pl.col("course_id") == 101)["student_id"][0]  # 101 stays
    course = open_flags.filter(pl.col("course_id") != 101)["course_id"][0]
    create_curriculum("Flagged courses", course_ids=[101, course])
    with demo_copy.session() as cur:
        cur.execute("UPDATE lifecycle.object_status SET archived = true "
                    "WHERE (object_type, object_id) IN (('student', ?), ('course', ?))",
                    [student, course])
    assert flags_in_summary()
    for course_ids, curricula in (((), ()), ((101, course), ()), ((), ("flagged-courses",))):
        live = _live(demo_copy).filter(~pl.col("dismissed"))
        if course_ids or curricula:
            live = live.filter(pl.col("course_id").is_in([101, course]))
        expected = set(live["student_id"])
        assert student not in expected and expected
        assert set(get_flagged_student_ids(course_ids=course_ids, curricula=curricula)) == (
            expected)
        table = get_students_table(StudentFilters(flagged=True, course_ids=course_ids,
                                                  curricula=curricula), limit=10_000)
        assert set(table.rows["student_id"]) == expected
        # A page's students' flags in words, read from the derived flags, as from the rules.
        page = [*sorted(expected)[:5], student]
        derived = get_flagged_students(course_ids=course_ids, curricula=curricula,
                                       student_ids=page)
        assert flags_in_summary()
        with demo_copy.session() as cur:
            state = cur.execute("SELECT * FROM summary.flag_state").fetchone()
            cur.execute("DELETE FROM summary.flag_state")  # the rules applied on the spot
            live_page = get_flagged_students(course_ids=course_ids, curricula=curricula,
                                             student_ids=page, cur=cur)
            cur.execute("INSERT INTO summary.flag_state VALUES (?, ?)", list(state))
        assert derived.sort("student_id").equals(live_page.sort("student_id"))
        assert derived.height == 5 and student not in set(derived["student_id"])


def test_flagged_only_lists_the_same_students_from_the_derived_flags_as_from_the_rules(
    demo_copy,
):
    dismiss_flags([get_flags().row(0, named=True)])  # its student may have no other open flag

    def listed(course_ids):
        table = get_students_table(StudentFilters(flagged=True, course_ids=course_ids))
        return sorted(table.rows["student_id"])

    def expected(course_ids):
        return sorted(set(get_flags(course_ids=course_ids)["student_id"]))

    assert flags_in_summary()  # read inside the table's query
    for course_ids in ((), (101,)):
        assert listed(course_ids) == expected(course_ids) != []
    with demo_copy.session() as cur:  # the rules change, the flags are not derived again
        setting = validate_setting("low_score", True, 90, None)
        write(cur, lambda c: teacher_data.save_rule_setting(c, setting))
    assert not flags_in_summary()  # the ids of the rules as applied now
    for course_ids in ((), (101,)):
        assert listed(course_ids) == expected(course_ids) != []
