"""Small groups: their medians, means and spreads stay hidden, everywhere pages read them."""

from __future__ import annotations

import re

import polars as pl
import pytest

from tracker_db.archive import EXPORTED_TABLES
from tracker_db.edits import ensure_pseudonym_key, set_min_group_size
from tracker_db.errors import DataValidationError
from tracker_db.privacy import (
    DEFAULT_MIN_GROUP_SIZE,
    Pseudonyms,
    any_small,
    drop_small_groups,
    hide_small_groups,
)
from tracker_db.read_models.courses import get_course_overview
from tracker_db.read_models.preferences import get_min_group_size, get_pseudonym_key
from tracker_db.read_models.student_record import get_student_score_history
from tracker_db.read_models.trends import (
    get_assignment_distribution,
    get_course_distribution,
    get_score_trend,
)


def test_hiding_keeps_the_rows_and_their_sizes_and_drops_only_small_values():
    frame = pl.DataFrame({"size": [2, 5, None], "median": [70.0, 80.0, 90.0]})
    hidden = hide_small_groups(frame, "size", ["median"], 5)
    assert hidden["size"].to_list() == [2, 5, None]
    assert hidden["median"].to_list() == [None, 80.0, None]
    rows = pl.DataFrame({"course": [1, 1, 2, 2, 2], "score": [1, 2, 3, 4, 5]})
    assert drop_small_groups(rows, ["course"], 3)["score"].to_list() == [3, 4, 5]
    assert drop_small_groups(rows, ["course"], 1).equals(rows)


def test_the_setting_has_a_default_is_saved_and_refuses_what_it_cannot_be(demo_copy):
    assert get_min_group_size() == DEFAULT_MIN_GROUP_SIZE == 5
    set_min_group_size(12)
    assert get_min_group_size() == 12
    for bad in (0, 1001, 2.5, "ten", True):
        with pytest.raises(DataValidationError, match="Minimum group size"):
            set_min_group_size(bad)  # type: ignore[arg-type]
    assert get_min_group_size() == 12  # nothing written
    set_min_group_size(None)
    assert get_min_group_size() == DEFAULT_MIN_GROUP_SIZE


def test_course_means_and_medians_are_hidden_for_small_courses_only(demo_copy):
    everything = get_course_overview(min_group_size=1)
    sizes = everything["students"].to_list()
    cut = sorted(sizes)[len(sizes) // 2]  # about half the courses are "small"
    hidden = get_course_overview(min_group_size=cut)
    assert hidden["students"].to_list() == sizes
    for row, full in zip(hidden.iter_rows(named=True), everything.iter_rows(named=True),
                         strict=True):
        small = row["students"] < cut
        assert row["median_score"] == (None if small else full["median_score"])
        assert row["mean_score"] == (None if small else full["mean_score"])
    assert hidden["median_score"].null_count() > everything["median_score"].null_count()


def test_a_student_s_class_medians_and_the_trends_hide_small_groups(demo_copy):
    history = get_student_score_history(5004, min_group_size=1)
    assert history["class_median"].null_count() == 0
    hidden = get_student_score_history(5004, min_group_size=10_000)
    assert hidden["class_median"].null_count() == hidden.height > 0
    assert hidden["student_score"].to_list() == history["student_score"].to_list()

    trend = get_score_trend((101,), min_group_size=1)
    assert trend["median_score"].null_count() == 0
    small = get_score_trend((101,), min_group_size=10_000)
    assert small["students"].to_list() == trend["students"].to_list()
    assert all(small[c].null_count() == small.height
               for c in ("mean_score", "median_score", "q1_score", "q3_score"))


def test_distributions_leave_out_groups_under_the_minimum(demo_copy):
    scores = get_assignment_distribution(101, min_group_size=1)
    per_assignment = scores.group_by("assignment_id").len()
    cut = int(per_assignment["len"].max())
    kept = get_assignment_distribution(101, min_group_size=cut)
    assert set(kept["assignment_id"]) == set(
        per_assignment.filter(pl.col("len") >= cut)["assignment_id"])
    assert 0 < kept.height < scores.height

    spread = get_course_distribution((101, 102, 103), min_group_size=1)
    assert get_course_distribution((101, 102, 103), min_group_size=10_000).is_empty()
    assert get_course_distribution((101, 102, 103), min_group_size=2).height == spread.height


# ---------------------------------------------------------------------------------------------
# Pseudonyms

KEY = "k" * 64


def test_a_pseudonym_is_stable_keyed_and_readable():
    masks = Pseudonyms(KEY)
    assert masks.name(5004) == Pseudonyms(KEY).name(5004)  # the same in every session
    assert masks.name(5004) != masks.name(5005)
    assert Pseudonyms("j" * 64).name(5004) != masks.name(5004)  # the key decides
    assert re.fullmatch(r"Student [A-Z2-9]{4}-[A-Z2-9]{4}", masks.name(5004))
    assert 100_000_000 <= masks.number(5004) < 1_000_000_000
    names = {masks.name(i) for i in range(1, 20_001)}
    assert len(names) == 20_000  # no two students of a large school share one
    with pytest.raises(ValueError, match="32 characters"):
        Pseudonyms("short")


def test_a_frame_shows_every_student_by_pseudonym_and_drops_what_identifies_them():
    masks = Pseudonyms(KEY)
    people = pl.DataFrame({"student_id": [5004, 5005], "name": ["Ann", "<b>Bo</b>"],
                           "student_name": ["Ann", "Bo"], "login_id": ["a@x.test", "bo"],
                           "email": ["a@x.test", None], "score": [71.5, 80.0]})
    shown = masks.frame(people)
    assert shown["student_id"].to_list() == [masks.number(5004), masks.number(5005)]
    assert shown["name"].to_list() == shown["student_name"].to_list() == [
        masks.name(5004), masks.name(5005)]
    assert shown["login_id"].null_count() == 2 and shown["email"].null_count() == 2
    assert shown["score"].to_list() == [71.5, 80.0]  # the rest as it was, in order

    mixed = pl.DataFrame({"object_type": ["student", "course"], "object_id": [5004, 101],
                          "name": ["Ann", "BIO 101"]})
    assert masks.frame(mixed).rows() == [("student", masks.number(5004), masks.name(5004)),
                                         ("course", 101, "BIO 101")]
    courses = pl.DataFrame({"course_id": [101], "name": ["BIO 101"]})
    assert masks.frame(courses).equals(courses)  # a course's name is not a student's
    orphan = pl.DataFrame({"student_name": ["Ann"]})
    assert masks.frame(orphan)["student_name"].to_list() == ["(hidden)"]


def test_the_key_is_made_once_per_database_and_never_exported(demo_copy, tmp_path):
    assert get_pseudonym_key() is None
    key = ensure_pseudonym_key()
    assert len(key) == 64 and ensure_pseudonym_key() == key == get_pseudonym_key()
    assert not [t for t in EXPORTED_TABLES if t.startswith("ops.")]


def test_only_groups_with_someone_in_them_count_as_small():
    frame = pl.DataFrame({"size": [0, None, 12]})
    assert not any_small(frame, "size", 5)
    assert any_small(pl.DataFrame({"size": [0, 3, 12]}), "size", 5)
    assert not any_small(frame.clear(), "size", 5)
