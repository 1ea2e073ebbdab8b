"""Every dashboard page through Streamlit's AppTest, on an empty and on a demo database.

The demo database is built once per run (the real sync from the built-in fake Canvas) and
copied for each test, which points the app at its copy (``TRACKER_DB_PATH``, or
``TRACKER_LAKE`` on the DuckLake backend) and resets Streamlit's caches, so each test gets its
own database connection.
"""

from __future__ import annotations

import csv
import html
import io
import itertools
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import pandas as pd
import polars as pl
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.conftest import Stores
from tracker_db.config import SETTING_NAMES, Settings
from tracker_db.db import default_database, set_default_database
from tracker_db.edits import create_curriculum, set_student_group, set_student_tags
from tracker_db.errors import DataValidationError
from tracker_db.exports import to_csv, to_parquet
from tracker_db.fake_canvas import FakeCanvas, build_demo_dataset
from tracker_db.past_state import open_past_state
from tracker_db.read_models.changes import (
    DETAIL_COLUMNS,
    changes_csv,
    get_change_details,
    resolve_range,
)
from tracker_db.read_models.courses import OVERVIEW_COLUMNS, get_course_overview
from tracker_db.read_models.flags import get_flags
from tracker_db.read_models.progress_report import get_course_report
from tracker_db.read_models.recipients import email_address
from tracker_db.read_models.roster import StudentFilters, get_students_table, students_csv
from tracker_db.read_models.student_record import get_student_notes
from tracker_db.read_models.sync_status import RUN_COLUMNS, get_recent_runs
from tracker_db.read_models.teacher_data import get_student_metadata
from tracker_db.sync.demo import load_demo_data
from tracker_db.sync.runner import get_sync_runner

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PAGES = ["pages/overview.py", "pages/students.py", "pages/student.py", "pages/progress.py",
         "pages/assignment.py", "pages/what_changed.py", "pages/metadata.py", "pages/sync.py"]
TOKEN = "apptest-secret-token-789"


def _reset_streamlit() -> None:
    get_sync_runner().wait(60)
    st.cache_data.clear()
    st.cache_resource.clear()  # closes the cached database (on_release)
    set_default_database(None)


def point_app_at(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the app (and Streamlit's caches) open ``settings`` on its next run."""
    for name in SETTING_NAMES:
        monkeypatch.delenv(name, raising=False)
    for name, value in Stores.env(settings).items():
        monkeypatch.setenv(name, value)
    _reset_streamlit()


@pytest.fixture
def db_path(stores: Stores, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """An empty database for the app, with no Canvas configured."""
    settings = stores.settings("app")
    monkeypatch.delenv("CANVAS_BASE_URL", raising=False)
    monkeypatch.delenv("CANVAS_TOKEN", raising=False)
    point_app_at(settings, monkeypatch)
    yield settings
    _reset_streamlit()


@pytest.fixture
def demo_db(
    stores: Stores, demo_template: Settings, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Settings]:
    """The app's database holds the demo data."""
    monkeypatch.delenv("CANVAS_BASE_URL", raising=False)
    monkeypatch.delenv("CANVAS_TOKEN", raising=False)
    settings = stores.copy(demo_template, "app")
    point_app_at(settings, monkeypatch)
    yield settings
    _reset_streamlit()


def _open(page: str | None = None, **query: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    if page:
        at.switch_page(page)
        at.query_params.update(query)
        at.run()
    return at


def _ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def _texts(at: AppTest) -> str:
    """Everything the page says, as one string (Markdown escapes kept)."""
    parts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "text", "info",
                 "success", "warning", "error"):
        parts += [str(e.value) for e in getattr(at, kind)]
    return "\n".join(parts)


def _button(at: AppTest, label: str):
    for button in at.button:
        if button.label == label:
            return button
    raise AssertionError(f"no button {label!r} in {[b.label for b in at.button]}")


def _read(settings: Settings, sql: str) -> list[tuple]:
    """Read the app's database through the app's own connection: DuckDB lets one process
    open a file, and the app installed its connection as the process-wide one."""
    manager = default_database()
    assert manager.settings == settings
    with manager.session() as cur:
        return cur.execute(sql).fetchall()


def _sidebar(at: AppTest) -> list[str]:
    return [str(getattr(e, "value", "")) for e in at._tree[1].children.values()]


# ---------------------------------------------------------------------------------------------
# Empty database: every page says what to do next


@pytest.mark.parametrize("page", [None, *PAGES])
def test_every_page_on_an_empty_database_says_what_to_do(db_path, page):
    at = _ok(_open(page))
    assert not at.error
    if page == "pages/sync.py":
        assert "Canvas is not configured" in _texts(at)
        assert not _button(at, "Load demo data").disabled
        assert _button(at, "Run sync").disabled
    else:
        assert "No data yet" in _texts(at)
        assert not at.dataframe
        assert any(link.proto.page.endswith("sync.py") or "Sync" in link.label
                   for link in at.get("page_link"))


def test_the_sidebar_shows_database_sync_age_and_version(demo_db):
    at = _ok(_open())
    sidebar = _sidebar(at)
    assert demo_db.location in sidebar
    assert any("ago" in str(text) or "just now" in str(text) for text in sidebar)
    assert any("Data version: sync 4" in str(text) for text in sidebar)


def test_an_unusable_database_is_explained(db_path, monkeypatch, tmp_path):
    point_app_at(Settings(db_path=str(tmp_path / "missing-folder" / "x.duckdb")), monkeypatch)
    at = _ok(_open())
    assert at.error and "does not exist" in at.error[0].value


# ---------------------------------------------------------------------------------------------
# Demo database: every page renders its data


@pytest.mark.parametrize("page", [None, *PAGES])
def test_every_page_renders_the_demo_data(demo_db, page):
    at = _ok(_open(page))
    assert not at.error
    texts = _texts(at)
    assert "No data yet" not in texts
    if page in (None, "pages/overview.py"):
        courses = at.dataframe[0].value
        assert len(courses) == 5
        assert "HIST 120: World History <script>alert(1)</script>" in courses["name"].tolist()
    elif page == "pages/students.py":
        assert len(at.dataframe[0].value) > 50
    elif page == "pages/student.py":
        assert at.text_input(key="student_search") is not None
    elif page == "pages/progress.py":
        assert len(at.get("plotly_chart")) == 3
    elif page == "pages/assignment.py":
        assert [m.label for m in at.metric][:2] == ["Not submitted", "Missing"]
        assert len(at.dataframe(key="assignment_work_0").value) > 10
        assert len(at.dataframe) == 2  # and the list to message, in its expander
    elif page == "pages/what_changed.py":
        assert [m.label for m in at.metric] == [
            "Students added", "Students gone", "Newly missing", "Regrades", "New grades",
            "Newly submitted"]
        assert len(at.dataframe) == 2
    elif page == "pages/metadata.py":
        assert len(at.data_editor) == 4
    elif page == "pages/sync.py":
        history = at.dataframe[0].value
        assert history["status"].tolist() == ["succeeded"] * 4
        assert _button(at, "Load demo data").disabled


# ---------------------------------------------------------------------------------------------
# Flags: the Overview lists them with reasons; dismiss, flag again, and the rules


def _flag_rows(settings: Settings, *, include_dismissed: bool = False) -> pl.DataFrame:
    """The flags, read through the app's own connection (as ``_read``)."""
    manager = default_database()
    assert manager.settings == settings
    with manager.session() as cur:
        return get_flags(include_dismissed=include_dismissed, cur=cur)


def _said(at: AppTest) -> str:
    """What the page says, Markdown escapes removed."""
    return re.sub(r"\\(.)", r"\1", _texts(at))


def _select(at: AppTest, key: str, rows: list[int]) -> None:
    at.session_state[key] = {"selection": {"rows": rows, "columns": [], "cells": []}}


def test_the_overview_lists_every_open_flag_with_its_reason(demo_db):
    at = _ok(_open())
    shown = at.dataframe(key="overview_flags_open_0").value
    expected = _flag_rows(demo_db)
    assert len(shown) == expected.height > 0
    assert shown["reason"].tolist() == expected["reason"].to_list()
    assert set(shown["flag"]) <= {"Missing work", "Missing in a row", "Low score",
                                  "Below the median", "Drop since last sync",
                                  "Drop over days", "No activity", "Late in a row"}
    assert "Rules on: Missing work, Missing in a row, Low score" in _said(at)


def test_dismissing_flags_hides_them_with_the_note_and_flag_again_brings_them_back(demo_db):
    at = _ok(_open())
    shown = at.dataframe(key="overview_flags_open_0").value
    _select(at, "overview_flags_open_0", [0, 1])
    _ok(at.run())
    at.text_input(key="overview_flags_note").input("Spoke with them after class")
    _ok(_button(at, "Dismiss 2 flags").click().run())
    assert "Dismissed 2 flags." in _said(at)
    still_open = at.dataframe(key="overview_flags_open_1").value
    assert len(still_open) == len(shown) - 2
    dismissed = at.dataframe(key="overview_flags_dismissed_0").value
    assert dismissed["reason"].tolist() == shown["reason"].tolist()[:2]
    assert set(dismissed["dismissed_note"]) == {"Spoke with them after class"}
    decisions = _read(demo_db, "SELECT action, note FROM meta.flag_decisions")
    assert sorted(decisions) == [("dismiss", "Spoke with them after class")] * 2

    # Flag one of them again: it is open once more, and both decisions stay as history.
    _select(at, "overview_flags_dismissed_0", [0])
    _ok(at.run())
    _ok(_button(at, "Flag 1 again").click().run())
    assert "Flagged 1 again." in _said(at)
    assert len(at.dataframe(key="overview_flags_open_1").value) == len(shown) - 1
    assert _read(demo_db, "SELECT count(*) FROM meta.flag_decisions") == [(3,)]


def test_one_selected_flag_opens_its_student(demo_db):
    at = _ok(_open())
    shown = at.dataframe(key="overview_flags_open_0").value
    _select(at, "overview_flags_open_0", [0])
    _ok(at.run())
    label = f"Open {shown['student_name'].iloc[0]}"
    button = next(b for b in at.button if b.key == "overview_flags_open_student")
    assert re.sub(r"\\(.)", r"\1", button.label) == label
    _ok(button.click().run())
    assert at.query_params == {"student_id": str(shown["student_id"].iloc[0])}


def test_the_flag_rules_are_saved_and_a_bad_value_is_refused_naming_the_rule(demo_db):
    at = _ok(_open())
    low_before = (_flag_rows(demo_db)["rule"] == "low_score").sum()
    at.number_input(key="rule_low_score_threshold").set_value(150)
    _ok(at.button(key="FormSubmitter:flag_rules_form-Save rules").click().run())
    errors = [e.value for e in at.error]
    assert any("Low score" in e and "from 0 to 100" in e for e in errors), errors
    assert _read(demo_db, "SELECT count(*) FROM meta.flag_rules") == [(0,)]
    assert at.number_input(key="rule_low_score_threshold").value == 150  # kept as typed

    at.number_input(key="rule_low_score_threshold").set_value(75)
    at.toggle(key="rule_inactive_on").set_value(False)
    _ok(at.button(key="FormSubmitter:flag_rules_form-Save rules").click().run())
    assert "Flag rules saved." in _said(at)
    flags_now = _flag_rows(demo_db)
    assert (flags_now["rule"] == "low_score").sum() > low_before
    assert "inactive" not in set(flags_now["rule"])
    assert "No activity" not in _said(at).split("Rules on:")[1].split("\n")[0]


def test_a_past_sync_shows_its_flags_without_the_means_to_decide(demo_db):
    at = _ok(_open())
    at.session_state["past_on"] = True
    at.session_state["past_sync"] = 3
    _ok(at.run())
    assert "Showing the state right after sync 3" in _texts(at)
    _select(at, "overview_flags_open_0", [0])
    _ok(at.run())
    assert not [b for b in at.button if (b.key or "").startswith("overview_flags_dismiss")]
    assert "dismissing and flagging again act on the present only" in _said(at)


# ---------------------------------------------------------------------------------------------
# Students: filters change what the table holds


def _students(at: AppTest) -> pd.DataFrame:
    return at.dataframe[0].value


def test_students_filters_change_the_table(demo_db):
    at = _open("pages/students.py")
    everyone = _students(at)
    assert "Canvas id" not in everyone.columns  # labels live in column_config
    assert {"name", "courses", "current_scores", "missing", "late",
            "change_since_last_sync"} <= set(everyone.columns)

    at.multiselect(key="f_courses").set_value([104])
    _ok(at.run())
    hist = _students(at)
    assert 0 < len(hist) < len(everyone)
    assert set(hist["courses"]) == {"HIST 120"}

    at.multiselect(key="f_courses").set_value([101])
    _ok(at.run())
    bio = _students(at)
    assert set(bio["courses"]) == {"BIO 101"}
    section_options = at.multiselect(key="f_sections").options
    assert len(section_options) == 4  # BIO 101's sections only

    at.multiselect(key="f_sections").set_value([at.multiselect(key="f_sections").options[0]])
    _ok(at.run())
    assert 0 < len(_students(at)) < len(bio)

    at.multiselect(key="f_sections").set_value([])
    at.multiselect(key="f_courses").set_value([])
    at.text_input(key="f_search").input("baker")
    _ok(at.run())
    assert _students(at)["name"].tolist() == ["<b>bold</b> Baker"]

    at.text_input(key="f_search").input("")
    at.multiselect(key="f_states").set_value(["invited"])
    _ok(at.run())
    assert 0 < len(_students(at)) < len(everyone)

    at.multiselect(key="f_states").set_value([])
    at.toggle(key="f_inactive").set_value(True)
    _ok(at.run())
    assert len(_students(at)) > len(everyone)

    at.text_input(key="f_search").input("nobody-is-called-this")
    _ok(at.run())
    assert "No student matches" in _texts(at)


def test_students_curriculum_tag_and_group_filters(demo_db):
    at = _open()  # opens the app's database
    create_curriculum("Year 9 Science", course_ids=[101, 103])
    set_student_tags(5006, ["watch"])
    set_student_group(5009, "Group A")
    _reset_caches_only()
    at.switch_page("pages/students.py")
    _ok(at.run())
    everyone = _students(at)
    at.multiselect(key="f_curricula").set_value(["year-9-science"])
    _ok(at.run())
    in_curriculum = _students(at)
    assert 0 < len(in_curriculum) < len(everyone)
    assert all(set(c.split("; ")) <= {"BIO 101", "MAT 150"} for c in in_curriculum["courses"])

    at.multiselect(key="f_curricula").set_value([])
    at.multiselect(key="f_tags").set_value(["watch"])
    _ok(at.run())
    assert _students(at)["student_id"].tolist() == [5006]
    at.multiselect(key="f_tags").set_value([])
    at.multiselect(key="f_groups").set_value(["Group A"])
    _ok(at.run())
    assert _students(at)["student_id"].tolist() == [5009]


def _reset_caches_only() -> None:
    st.cache_data.clear()


def test_students_csv_download_is_what_is_shown(demo_db):
    at = _open("pages/students.py")
    at.multiselect(key="f_courses").set_value([102])
    _ok(at.run())
    shown = _students(at)
    buttons = {b.key: b.proto.label for b in at.get("download_button")
               if b.key.startswith("students_")}
    assert buttons == {"students_csv": "Download CSV", "students_parquet": "Parquet"}
    table = get_students_table(StudentFilters(course_ids=(102,)))
    assert table.rows["student_id"].to_list() == shown["student_id"].tolist()
    config = json.loads(at.dataframe[0].proto.columns)
    shown_labels = [config[c]["label"] for c in table.columns]
    header = next(csv.reader(io.StringIO(
        students_csv(table.rows, table.columns).decode("utf-8-sig"))))
    assert header == shown_labels
    parquet = pl.read_parquet(io.BytesIO(to_parquet(table.rows, table.columns)))
    assert parquet.columns == shown_labels and parquet.height == len(shown)


@pytest.mark.parametrize(("page", "key", "read", "columns"), [
    ("pages/overview.py", "courses", lambda: get_course_overview(), OVERVIEW_COLUMNS),
    ("pages/sync.py", "sync_history", lambda: get_recent_runs(50), RUN_COLUMNS),
])
def test_the_other_tables_download_as_shown(demo_db, page, key, read, columns):
    at = _ok(_open(page))
    assert {f"{key}_csv", f"{key}_parquet"} <= {b.key for b in at.get("download_button")}
    rows = read()
    shown = next(json.loads(d.proto.columns) for d in at.dataframe
                 if set(columns) <= set(json.loads(d.proto.columns)))
    header = next(csv.reader(io.StringIO(to_csv(rows, columns).decode("utf-8-sig"))))
    assert header == [c.label for c in columns.values()]
    # The page's headings are the file's (a time's heading names its zone as well).
    assert [shown[c]["label"].split(" (")[0] for c in columns] == header
    parquet = pl.read_parquet(io.BytesIO(to_parquet(rows, columns)))
    assert parquet.columns == header and parquet.height == rows.height > 0


def test_several_courses_give_a_score_column_per_course(demo_db):
    at = _open("pages/students.py")
    at.multiselect(key="f_courses").set_value([101, 102])
    _ok(at.run())
    shown = _students(at)
    config = json.loads(at.dataframe[0].proto.columns)
    assert config["score_101"]["label"] == "BIO 101"
    assert config["score_102"]["label"] == "ENG 210"
    pairs = pl.DataFrame(_read(demo_db, "SELECT student_id, course_id, current_score FROM "
                                        "summary.course_students WHERE listed AND course_id "
                                        "IN (101, 102)"),
                         schema=["student_id", "course_id", "score"], orient="row")
    for row in shown.head(20).itertuples():
        for course in (101, 102):
            found = pairs.filter((pl.col("student_id") == row.student_id)
                                 & (pl.col("course_id") == course))["score"].to_list()
            value = getattr(row, f"score_{course}")
            assert (found[0] if found else None) == (None if pd.isna(value) else value)
    # one course: no column per course
    at.multiselect(key="f_courses").set_value([101])
    _ok(at.run())
    assert not [c for c in _students(at).columns if c.startswith("score_")]


def test_flagged_only_lists_the_students_with_an_open_flag(demo_db):
    at = _open("pages/students.py")
    at.toggle(key="f_flagged").set_value(True)
    _ok(at.run())
    shown = _students(at)
    flagged = _flag_rows(demo_db)
    assert sorted(shown["student_id"]) == sorted(set(flagged["student_id"].to_list()))
    first = shown.iloc[0]
    own = flagged.filter(pl.col("student_id") == int(first["student_id"]))
    assert first["flags"] == "; ".join(f"{f} ({c})" for f, c in
                                       own.select("flag", "course_name").iter_rows())


def test_score_below_lists_the_students_under_it_in_a_course_shown(demo_db):
    at = _open("pages/students.py")
    at.multiselect(key="f_courses").set_value([101, 102])
    at.number_input(key="f_below").set_value(70)
    _ok(at.run())
    shown = _students(at)
    expected = _read(demo_db, """
        SELECT DISTINCT p.student_id FROM summary.course_students AS p
        JOIN canvas.students USING (student_id)
        WHERE p.listed AND p.enrollment_state <> 'deleted' AND p.course_id IN (101, 102)
          AND p.current_score < 70""")
    assert 0 < len(shown) < len(get_students_table(StudentFilters(course_ids=(101, 102))).rows)
    assert sorted(shown["student_id"]) == sorted(r[0] for r in expected)
    assert (shown[["score_101", "score_102"]].min(axis=1, skipna=True) < 70).all()


def test_a_bad_score_limit_is_refused_naming_the_filter(demo_db):
    with pytest.raises(DataValidationError, match="Score below"):
        get_students_table(StudentFilters(below_score=float("nan")))
    with pytest.raises(DataValidationError, match="Score below"):
        get_students_table(StudentFilters(below_score=-1))


def test_a_list_of_students_can_be_messaged_with_bcc_from_its_panel(demo_db):
    at = _open("pages/students.py")
    at.toggle(key="f_flagged").set_value(True)
    _ok(at.run())
    shown = _students(at)
    recipients = next(d.value for d in at.dataframe
                      if set(d.value.columns) == {"student_name", "email", "student_id"})
    assert sorted(recipients["student_id"]) == sorted(shown["student_id"])
    addresses = dict(_read(demo_db, "SELECT student_id, login_id FROM canvas.students"))
    emails = [email_address(addresses[i]) for i in recipients["student_id"]]
    assert [e if isinstance(e, str) else None for e in recipients["email"]] == emails
    assert None in emails and any(emails)  # the demo has both kinds
    links = [b.proto.url for b in at.get("link_button")]
    bcc = [unquote(a) for link in links for a in link.removeprefix("mailto:?bcc=").split(",")]
    assert all(link.startswith("mailto:?bcc=") for link in links)
    assert sorted(bcc) == sorted(e for e in emails if e)
    assert {"message_students_recipients_csv", "message_students_recipients_parquet"} <= {
        b.key for b in at.get("download_button")}
    assert f"Message the {len(shown)} students listed" in [e.label for e in at.expander]


def test_the_assignment_list_by_status_can_be_messaged(demo_db):
    at = _open("pages/assignment.py")
    at.multiselect(key="a_statuses").set_value(["missing"])
    _ok(at.run())
    work = at.dataframe[0].value
    assert "Message the students missing" in [e.label for e in at.expander]
    recipients = next(d.value for d in at.dataframe
                      if set(d.value.columns) == {"student_name", "email", "student_id"})
    assert sorted(recipients["student_id"]) == sorted(work["student_id"])


def test_selected_flags_message_their_students(demo_db):
    at = _ok(_open())
    shown = at.dataframe(key="overview_flags_open_0").value
    assert "Message the flagged students" in [e.label for e in at.expander]
    _select(at, "overview_flags_open_0", [0, 1])
    _ok(at.run())
    chosen = set(shown["student_id"].iloc[:2])
    label = f"Message the {len(chosen)} student{'' if len(chosen) == 1 else 's'} selected"
    assert label in [e.label for e in at.expander]
    recipients = next(d.value for d in at.dataframe
                      if set(d.value.columns) == {"student_name", "email", "student_id"})
    assert set(recipients["student_id"]) == chosen


def test_selecting_a_student_opens_the_student_page(demo_db):
    at = _open("pages/students.py")
    shown = _students(at)
    at.session_state["students_table_0"] = {
        "selection": {"rows": [2], "columns": [], "cells": []}}
    _ok(at.run())
    student_id = int(shown["student_id"].iloc[2])
    assert at.query_params == {"student_id": str(student_id)}
    assert at.title[0].value  # the Student page, titled with the name


# ---------------------------------------------------------------------------------------------
# What changed


def test_what_changed_compares_the_last_two_syncs_by_default(demo_db):
    at = _ok(_open("pages/what_changed.py"))
    assert at.selectbox(key="changes_after").value == 3
    assert at.selectbox(key="changes_until").value == 4
    metrics = {m.label: m.value for m in at.metric}
    # The demo's last week: one new student, hand-ins and grades in BIO 101, regrades all over.
    assert metrics["Students added"] == "1" and int(metrics["Regrades"]) > 100
    per_course, listed = (df.value for df in at.dataframe)
    assert set(per_course["course_name"]) >= {
        "HIST 120: World History <script>alert(1)</script>"}  # a name, not markup
    assert per_course["changes"].sum() == sum(int(v.replace(",", "")) for v in metrics.values())
    added = listed[listed["kind"] == "student added"]
    assert added["student_name"].tolist() == ["Noor Haddad"]
    regrades = listed[listed["kind"] == "regrade"]
    assert (regrades["old_score"] != regrades["new_score"]).all()
    assert "Select a row to open the student" in _texts(at)


def test_what_changed_filters_downloads_and_opens_the_student(demo_db):
    at = _open("pages/what_changed.py")
    at.selectbox(key="changes_after").set_value(1)
    at.multiselect(key="changes_kinds").set_value(["new grade", "student added"])
    at.multiselect(key="changes_courses").set_value([101])
    _ok(at.run())
    listed = at.dataframe[1].value
    assert set(listed["kind"]) == {"new grade", "student added"}
    assert set(listed["course_id"]) == {101}
    graded = listed[listed["kind"] == "new grade"]
    assert len(graded) and graded["old_score"].isna().all() and graded["new_score"].notna().all()

    config = json.loads(at.dataframe[1].proto.columns)
    button = at.get("download_button")[0]
    assert button.proto.label == "Download CSV"
    span = resolve_range(1, 4)
    details = get_change_details(span, (101,), ("new grade", "student added"))
    rows = list(csv.reader(io.StringIO(changes_csv(details).decode("utf-8-sig"))))
    assert rows[0] == [config[c]["label"] for c in DETAIL_COLUMNS]
    assert len(rows) - 1 == len(listed)

    at.session_state["changes_table_0"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    _ok(at.run())
    assert at.query_params == {"student_id": str(int(listed["student_id"].iloc[0]))}


def test_what_changed_refuses_a_range_the_wrong_way_round(demo_db):
    at = _open("pages/what_changed.py")
    at.selectbox(key="changes_after").set_value(4)
    at.selectbox(key="changes_until").set_value(2)
    _ok(at.run())
    assert at.error and "sync 4 is not before sync 2" in at.error[0].value
    assert not at.dataframe


def test_what_changed_after_one_sync_says_when_changes_show(db_path):
    at = _open("pages/sync.py")
    load_demo_data(syncs=1)
    at = _ok(_open("pages/what_changed.py"))
    assert "Changes show after a second sync" in _texts(at) and not at.dataframe


def test_students_lists_who_left_a_course_since_a_day(demo_db):
    at = _ok(_open("pages/students.py"))
    assert "Left a course" in [h.value for h in at.subheader]
    left = at.dataframe(key="departures_table_0").value
    # The demo's last week: one student drops ENG 210 and stays in BIO 101.
    assert len(left) == 1 and left["reason"].tolist() == ["inactive in Canvas"]
    assert left["course_name"].iloc[0].startswith("ENG 210")
    assert left["last_score"].notna().all()
    at.date_input(key="f_left_since").set_value(datetime.now(UTC).date() + timedelta(days=2))
    _ok(at.run())
    assert any(t.value.startswith("Nobody left a course since") for t in at.text)
    at.multiselect(key="f_courses").set_value([101])
    at.date_input(key="f_left_since").set_value(datetime.now(UTC).date() - timedelta(days=60))
    _ok(at.run())
    assert any(t.value.startswith("Nobody left a course since") for t in at.text)


# ---------------------------------------------------------------------------------------------
# Assignment


def _an_assignment_with_missing_work(settings: Settings) -> tuple[int, int]:
    return _read(settings, "SELECT assignment_id, course_id FROM canvas.submissions "
                           "WHERE missing AND course_id = 102 GROUP BY ALL ORDER BY count(*) DESC, "
                           "1 LIMIT 1")[0]


def test_an_assignment_from_a_link_lists_its_class_and_filters_by_status(demo_db):
    at = _ok(_open())
    assignment_id, course_id = _an_assignment_with_missing_work(demo_db)
    at.switch_page("pages/assignment.py")
    at.query_params["assignment_id"] = str(assignment_id)
    _ok(at.run())
    assert at.selectbox(key="a_course").value == course_id
    assert at.selectbox(key="a_assignment").value == assignment_id
    metrics = {m.label: int(m.value) for m in at.metric}
    listed = at.dataframe[0].value
    assert sum(metrics.values()) == len(listed) and metrics["Missing"] > 0
    at.multiselect(key="a_statuses").set_value(["missing"])
    _ok(at.run())
    missing = at.dataframe[0].value
    assert len(missing) == metrics["Missing"] and set(missing["status"]) == {"missing"}
    assert [b.proto.label for b in at.get("download_button")
            if b.key.startswith("assignment_work_")] == ["Download CSV", "Parquet"]
    at.session_state["assignment_work_0"] = {
        "selection": {"rows": [0], "columns": [], "cells": []}}
    _ok(at.run())
    assert at.query_params == {"student_id": str(int(missing["student_id"].iloc[0]))}


def test_the_student_and_progress_pages_lead_to_an_assignment(demo_db):
    at = _ok(_open("pages/student.py", student_id="5005"))
    shown = at.dataframe(key="student_assignments_0").value
    at.session_state["student_assignments_0"] = {
        "selection": {"rows": [1], "columns": [], "cells": []}}
    _ok(at.run())
    assert at.query_params == {"assignment_id": str(int(shown["assignment_id"].iloc[1]))}
    assert at.title[0].value == "Assignment"

    progress = _ok(_open("pages/progress.py"))
    links = [link for link in progress.get("page_link") if link.proto.page == "assignment"]
    assert links and links[0].proto.label == "Who has handed in each assignment"


def test_a_bad_assignment_link_is_named_and_the_page_still_works(demo_db):
    at = _ok(_open("pages/assignment.py", assignment_id="abc"))
    assert "abc is not a valid assignment id" in at.warning[0].value
    assert at.dataframe
    at = _ok(_open("pages/assignment.py", assignment_id="987654321"))
    assert "There is no assignment 987654321" in at.warning[0].value
    assert at.dataframe


# ---------------------------------------------------------------------------------------------
# A past sync


def test_a_past_sync_shows_on_the_pages_that_can_with_a_banner(demo_db):
    at = _ok(_open())
    assert not at.toggle(key="past_on_widget").value and not at.warning  # off by default
    present = at.dataframe[0].value
    at.toggle(key="past_on_widget").set_value(True)
    _ok(at.run())
    assert at.selectbox(key="past_sync_widget").value == 3  # the latest earlier sync
    assert [o.split(" · ")[0] for o in at.selectbox(key="past_sync_widget").options] == [
        "Sync 3", "Sync 2", "Sync 1"]
    assert "Showing the state right after sync 3" in at.warning[0].value
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Download this state" not in labels  # made only when asked for
    at.button(key="past_zip_prepare").click()
    _ok(at.run())
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels.count("Download this state") == 1
    past = open_past_state(3)
    try:
        with past.session() as cur:
            then = get_course_overview(cur=cur)
            students_then = get_students_table(cur=cur).rows
    finally:
        past.close()
    def means(values) -> list[float | None]:
        return [None if pd.isna(v) else round(v, 6) for v in values]

    shown = at.dataframe[0].value
    assert means(shown["mean_score"]) == means(then["mean_score"].to_list())
    assert means(shown["mean_score"]) != means(present["mean_score"])

    at.switch_page("pages/students.py")
    _ok(at.run())
    assert "Showing the state right after sync 3" in at.warning[0].value
    assert at.dataframe[0].value["student_id"].tolist() == students_then["student_id"].to_list()
    assert "Noor Haddad" not in at.dataframe[0].value["name"].tolist()  # joined at sync 4

    at.switch_page("pages/metadata.py")
    _ok(at.run())
    assert not at.warning and "This page shows the present, not sync 3" in at.info[0].value

    at.toggle(key="past_on_widget").set_value(False)
    _ok(at.run())
    at.switch_page("pages/overview.py")
    _ok(at.run())
    assert not at.warning
    assert means(at.dataframe[0].value["mean_score"]) == means(present["mean_score"])


# ---------------------------------------------------------------------------------------------
# Student


def test_student_page_from_a_url_shows_history_notes_and_tags(demo_db):
    at = _ok(_open("pages/student.py", student_id="5005"))
    # The hostile name is escaped Markdown: it shows as the literal characters.
    assert at.title[0].value == "\\<script\\>alert\\(1\\)\\<\\/script\\>"
    chart = at.get("plotly_chart")[0]
    assert '"class median' in chart.proto.spec or "class median" in chart.proto.spec
    assert "&lt;script&gt;" in chart.proto.spec and "<script>" not in chart.proto.spec
    assignments = at.dataframe[1].value
    assert {"missing", "late", "graded", "late, graded", "excused", "submitted",
            "not submitted"} >= set(assignments["status"])

    at.text_area[0].input("Called home <b>today</b>")
    _button(at, "Add note").click()
    _ok(at.run())
    assert "Note added" in _texts(at)
    assert "Called home <b>today</b>" in [t.value for t in at.text]
    assert [n["body"] for n in get_student_notes(5005).to_dicts()] == [
        "Called home <b>today</b>"]

    at.multiselect[0].set_value(["watch", "ell"])
    at.text_input[0].input("Group B")
    _button(at, "Save tags and group").click()
    _ok(at.run())
    assert "Tags and group saved" in _texts(at)
    meta = get_student_metadata().filter(
        pl.col("student_id") == 5005).to_dicts()
    assert meta == [{"student_id": 5005, "tags": ["watch", "ell"], "custom_group": "Group B"}]

    # Deleting asks first: Delete alone deletes nothing; "Keep it" keeps the note.
    _button(at, "Delete").click()
    _ok(at.run())
    assert "Delete this note for good?" in _texts(at)
    assert get_student_notes(5005).height == 1
    _button(at, "Keep it").click()
    _ok(at.run())
    assert "Delete this note for good?" not in _texts(at)
    assert get_student_notes(5005).height == 1
    _button(at, "Delete").click()
    _ok(at.run())
    _button(at, "Yes, delete").click()
    _ok(at.run())
    assert "Note deleted" in _texts(at)
    assert get_student_notes(5005).is_empty()


def test_student_page_without_a_student_offers_a_search(demo_db):
    at = _ok(_open("pages/student.py"))
    at.text_input(key="student_search").input("bold")
    _ok(at.run())
    assert at.selectbox(key="student_pick").value == 5006
    _button(at, "Open").click()
    _ok(at.run())
    assert at.query_params == {"student_id": "5006"}
    assert at.title[0].value == "\\<b\\>bold\\<\\/b\\> Baker"

    at = _ok(_open("pages/student.py", student_id="999999"))
    assert "no student with id 999999" in _texts(at)
    at = _ok(_open("pages/student.py", student_id="abc"))
    assert "abc is not a valid student id." in _texts(at)
    at = _ok(_open("pages/student.py", pseudonym="abc"))
    assert "abc is not a valid pseudonym number." in _texts(at)


# ---------------------------------------------------------------------------------------------
# Progress


def test_progress_course_and_curriculum_views(demo_db):
    at = _ok(_open("pages/progress.py"))
    figures = at.get("plotly_chart")
    assert len(figures) == 3
    at.selectbox(key="p_course").set_value(104)
    at.toggle(key="p_inactive").set_value(True)
    _ok(at.run())
    assert "HIST 120" in at.get("plotly_chart")[0].proto.spec
    at.radio(key="p_view").set_value("Curriculum")
    _ok(at.run())
    assert "No curricula yet" in _texts(at)

    create_curriculum("Year 9", course_ids=[101, 102])
    _reset_caches_only()
    _ok(at.run())
    assert len(at.get("plotly_chart")) == 4  # trend, per-course boxes, assignments, submitted
    assert at.selectbox(key="p_assignment_course").options == [
        "BIO 101: Introduction to Biology", "ENG 210: O'Brien's \"Modern\" Poetry <b>Honors</b> ✍️"]


# ---------------------------------------------------------------------------------------------
# Metadata: invalid edits refused with row and reason, nothing partial saved


def _course_meta(settings: Settings) -> list[tuple]:
    return _read(settings, "SELECT course_id, color, notes, course_hours FROM meta.course_metadata "
                       "ORDER BY course_id")


def test_metadata_refuses_invalid_edits_and_saves_valid_ones(demo_db):
    at = _ok(_open("pages/metadata.py"))
    editor = at.data_editor[1]
    courses = editor.value
    at.session_state[editor.key] = {
        "edited_rows": {0: {"notes": "valid note"}, 2: {"color": "red"}},
        "added_rows": [], "deleted_rows": []}
    _ok(at.run())
    _button(at, "Save courses").click()
    _ok(at.run())
    assert at.error, "an invalid colour must be refused"
    message = at.error[0].value
    label = courses["course_code"].iloc[2]
    assert "row 3" in message and label.replace(" ", " ") in message.replace("\\", "")
    assert "colour must look like" in message.replace("\\", "")
    assert _course_meta(demo_db) == [], "nothing partial is saved"

    editor = at.data_editor[1]
    at.session_state[editor.key] = {
        "edited_rows": {0: {"notes": "valid note"}, 2: {"color": "#12ab34", "course_hours": 3}},
        "added_rows": [], "deleted_rows": []}
    _ok(at.run())
    _button(at, "Save courses").click()
    _ok(at.run())
    assert not at.error
    assert "Courses saved (2 rows changed)" in _texts(at).replace("\\", "")
    ids = courses["course_id"].tolist()
    assert _course_meta(demo_db) == sorted([
        (ids[0], None, "valid note", None), (ids[2], "#12AB34", None, 3.0)])


def test_metadata_curricula_editor_creates_and_deletes(demo_db):
    at = _ok(_open("pages/metadata.py"))
    editor = at.data_editor[0]
    at.session_state[editor.key] = {
        "edited_rows": {},
        "added_rows": [{"name": "Year 9 Science", "color": "#112233",
                        "courses": ["101", "103"]}],
        "deleted_rows": []}
    _ok(at.run())
    _button(at, "Save curricula").click()
    _ok(at.run())
    assert not at.error, [e.value for e in at.error]
    assert _read(demo_db, "SELECT curriculum_id, name, color FROM meta.curricula") == [
        ("year-9-science", "Year 9 Science", "#112233")]
    assert _read(demo_db, "SELECT course_id FROM meta.curriculum_courses ORDER BY 1") == [
        (101,), (103,)]

    editor = at.data_editor[0]
    assert editor.value["name"].tolist() == ["Year 9 Science"]
    at.session_state[editor.key] = {"edited_rows": {}, "added_rows": [], "deleted_rows": [0]}
    _ok(at.run())
    _button(at, "Save curricula").click()
    _ok(at.run())
    assert _read(demo_db, "SELECT count(*) FROM meta.curricula") == [(0,)]


def test_metadata_assignment_and_student_editors(demo_db):
    at = _ok(_open("pages/metadata.py"))
    editor = at.data_editor[2]
    at.session_state[editor.key] = {"edited_rows": {0: {"difficulty": 9}},
                                    "added_rows": [], "deleted_rows": []}
    _ok(at.run())
    _button(at, "Save assignments").click()
    _ok(at.run())
    assert "row 1" in at.error[0].value and "difficulty" in at.error[0].value
    assert _read(demo_db, "SELECT count(*) FROM meta.assignment_metadata") == [(0,)]

    editor = at.data_editor[3]
    at.session_state[editor.key] = {"edited_rows": {0: {"custom_group": "Tutoring"}},
                                    "added_rows": [], "deleted_rows": []}
    _ok(at.run())
    _button(at, "Save tags and groups").click()
    _ok(at.run())
    assert not at.error
    assert _read(demo_db, "SELECT custom_group FROM meta.student_metadata") == [("Tutoring",)]


# ---------------------------------------------------------------------------------------------
# Sync


@pytest.fixture
def canvas(monkeypatch) -> Iterator[FakeCanvas]:
    """A fake Canvas serving the demo data set, configured through the environment."""
    with FakeCanvas(build_demo_dataset(seed=7), token=TOKEN) as fake:
        monkeypatch.setenv("CANVAS_BASE_URL", fake.base_url)
        monkeypatch.setenv("CANVAS_TOKEN", TOKEN)
        yield fake


def _scores(settings: Settings) -> list[tuple]:
    return _read(settings, "SELECT course_id, student_id, current_score FROM canvas.enrollments "
                       "ORDER BY ALL")


def test_run_sync_against_canvas_updates_the_data(demo_db, canvas):
    at = _ok(_open("pages/sync.py"))
    texts = _texts(at)
    assert canvas.base_url in texts and TOKEN not in texts
    assert "configured (never shown)" in texts
    before = _scores(demo_db)
    changed = canvas.dataset.change_scores(0.5, seed=42)
    assert changed > 0

    _button(at, "Run sync").click()
    _ok(at.run())
    assert at.get("progress") or at.success, "the run shows progress or its outcome"
    status = get_sync_runner().wait(60)
    assert status.phase == "succeeded", status.error
    _ok(at.run())
    assert "Sync finished" in _texts(at) and "sync 5" in _texts(at)
    assert at.dataframe[0].value["sync_id"].tolist()[0] == 5
    after = _scores(demo_db)
    assert after != before

    # The caches follow the new sync: the overview shows the new scores.
    at.switch_page("pages/overview.py")
    _ok(at.run())
    overview = at.dataframe[0].value
    fresh = get_course_overview().to_pandas()
    pd.testing.assert_series_equal(overview["mean_score"], fresh["mean_score"])
    assert TOKEN not in _texts(at)
    home = _ok(_open())
    assert any("Data version: sync 5" in text for text in _sidebar(home))
    assert all(TOKEN not in text for text in _sidebar(home))


def test_a_failing_sync_shows_an_error_and_leaves_the_data(demo_db, canvas):
    at = _ok(_open("pages/students.py"))
    students_before = _students(at)
    scores_before = _scores(demo_db)
    canvas.dataset.change_scores(0.5, seed=43)
    canvas.inject_fault("/courses/102/", status=404, times=100)

    at.switch_page("pages/sync.py")
    _ok(at.run())
    _button(at, "Run sync").click()
    _ok(at.run())
    status = get_sync_runner().wait(60)
    assert status.phase == "failed"
    _ok(at.run())
    assert at.error and "Sync failed" in at.error[0].value
    assert "course 102" in at.error[0].value
    assert "Nothing was changed" in _texts(at)
    history = at.dataframe[0].value
    assert history["status"].tolist()[0] == "failed"
    assert _scores(demo_db) == scores_before

    at.switch_page("pages/students.py")
    _ok(at.run())
    pd.testing.assert_frame_equal(_students(at), students_before)


def test_a_second_click_does_not_start_a_second_sync(demo_db, monkeypatch):
    with FakeCanvas(build_demo_dataset(seed=7), token=TOKEN, latency=0.05) as slow:
        monkeypatch.setenv("CANVAS_BASE_URL", slow.base_url)
        monkeypatch.setenv("CANVAS_TOKEN", TOKEN)
        first = _ok(_open("pages/sync.py"))
        other = _ok(_open("pages/sync.py"))  # another teacher's session
        _button(first, "Run sync").click()
        _ok(first.run())
        assert get_sync_runner().status().running
        _button(other, "Run sync").click()
        _ok(other.run())
        assert "already running" in _texts(other)
        status = get_sync_runner().wait(60)
        assert status.phase == "succeeded" and status.run_number >= 1
    assert _read(demo_db, "SELECT count(*) FROM ops.sync_runs WHERE sync_id > 4") == [(1,)]


def test_load_demo_data_fills_an_empty_database(db_path):
    at = _ok(_open("pages/sync.py"))
    _button(at, "Load demo data").click()
    _ok(at.run())
    status = get_sync_runner().wait(120)
    assert status.phase == "succeeded", status.error
    _ok(at.run())
    assert "demo data loaded with 4 syncs" in _texts(at)
    assert _button(at, "Load demo data").disabled
    at.switch_page("pages/overview.py")
    _ok(at.run())
    assert len(at.dataframe[0].value) == 5


def test_canvas_settings_can_come_from_secrets(db_path):
    at = AppTest.from_file(APP, default_timeout=30)
    at.secrets["CANVAS_BASE_URL"] = "https://canvas.example.edu"
    at.secrets["CANVAS_TOKEN"] = TOKEN
    at.run()
    at.switch_page("pages/sync.py")
    _ok(at.run())
    texts = _texts(at)
    assert "https://canvas.example.edu" in texts and TOKEN not in texts
    assert not _button(at, "Run sync").disabled


def test_the_schedule_is_set_on_the_sync_page_and_kept(demo_db):
    at = _ok(_open("pages/sync.py"))
    assert "Schedule" in _texts(at)
    inputs = {n.label: n for n in at.number_input}  # (the lake adds an upkeep input)
    inputs["Sync every (hours)"].set_value(6.0)
    inputs["Sync on open when older than (hours)"].set_value(2.0)
    inputs["Full sync after (incremental syncs)"].set_value(5)
    inputs["Full sync every (days)"].set_value(0.0)  # no age limit: full syncs by count alone
    at.button(key="FormSubmitter:schedule-Save schedule").click()
    _ok(at.run())
    assert "Schedule saved\\." in _texts(at)  # escaped Markdown
    assert dict(_read(demo_db, "SELECT name, value FROM ops.settings WHERE name LIKE "
                               "'schedule.%'")) == {"schedule.every_hours": "6",
                                                    "schedule.on_open_hours": "2",
                                                    "schedule.full_every_syncs": "5",
                                                    "schedule.full_every_days": "0"}
    kept = {n.label: n.value for n in _ok(_open("pages/sync.py")).number_input}
    assert (kept["Sync every (hours)"], kept["Sync on open when older than (hours)"],
            kept["Full sync after (incremental syncs)"], kept["Full sync every (days)"]) == (
                6.0, 2.0, 5, 0.0)


@pytest.mark.file_only
def test_the_running_app_takes_a_sync_request_from_the_command_line(demo_db, canvas):
    import subprocess
    import sys

    _ok(_open())  # the app now holds the file, and listens for requests
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRACKER_", "CANVAS_"))}
    result = subprocess.run(
        [sys.executable, "-m", "tracker_db.cli", "sync", "--db", demo_db.db_path],
        capture_output=True, text=True, timeout=120, env=env,
        cwd=str(Path(APP).parent),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("the dashboard ran the sync: sync 5:")
    assert _read(demo_db, "SELECT source FROM ops.sync_runs WHERE sync_id = 5") == [
        (canvas.base_url,)]


def test_the_sidebar_names_the_backend(demo_db, backend):
    sidebar = _sidebar(_ok(_open()))
    expected = "DuckLake" if backend == "ducklake" else "DuckDB file"
    assert any(expected in text for text in sidebar)


def test_where_the_data_lives_can_come_from_secrets(db_path, monkeypatch, tmp_path):
    for name in SETTING_NAMES:
        monkeypatch.delenv(name, raising=False)
    elsewhere = str(tmp_path / "from-secrets.duckdb")
    at = AppTest.from_file(APP, default_timeout=30)
    at.secrets["TRACKER_DB_PATH"] = elsewhere
    _ok(at.run())
    assert elsewhere in _sidebar(at)


def test_a_megabyte_name_is_cut_for_display_and_kept_whole(db_path):
    from tests.sample_data import make_canvas_data
    from tracker_db.migrate import open_database
    from tracker_db.sync.write import full_canvas_sync

    huge = "Long " * 200_000  # a megabyte
    data = make_canvas_data()
    for enrollment in data["enrollments"]:
        if enrollment["user_id"] == 5002:
            enrollment["user"]["name"] = enrollment["user"]["sortable_name"] = huge
    database = open_database(db_path)
    with database.session() as cur:
        full_canvas_sync(data, cur=cur)
    database.close()
    started = time.monotonic()
    students = _ok(_open("pages/students.py"))
    shown = [n for n in students.dataframe[0].value["name"] if n.startswith("Long")]
    assert shown and all(len(n) <= 200 and n.endswith("…") for n in shown)
    student = _ok(_open("pages/student.py", student_id="5002"))
    assert len(student.title[0].value) < 400  # escaped Markdown of at most 200 characters
    assert time.monotonic() - started < 20
    stored = _read(db_path, "SELECT length(name) FROM canvas.students WHERE student_id = 5002")
    assert stored == [(len(huge),)]


# ---------------------------------------------------------------------------------------------
# Tables, times and editors the same way on every page


def _tables(at: AppTest) -> list:
    return [*at.dataframe, *at.data_editor]


def _opened_everywhere() -> Iterator[tuple[str, AppTest]]:
    """Every page with its tables on show (the Metadata tabs all render at once)."""
    for page in PAGES:
        query = {"student_id": "5005"} if page == "pages/student.py" else {}
        yield page, _ok(_open(page, **query))
    review = _ok(_open("pages/review_removals.py"))
    review.toggle[0].set_value(True)  # every inactive object, so the table shows
    yield "pages/review_removals.py (all)", _ok(review.run())


def test_every_table_shows_blanks_as_a_dash_and_times_in_the_named_zone(demo_db):
    zone = "America/Denver"  # two of the five demo courses keep their dates there
    seen_times = 0
    for page, at in _opened_everywhere():
        for element in _tables(at):
            assert element.proto.placeholder == "\u2013", f"{page}: a blank would show as None"
            for name, column in json.loads(element.proto.columns).items():
                if column.get("type_config", {}).get("type") == "datetime":
                    seen_times += 1
                    assert column["label"].endswith(f"({zone})"), (page, name, column)
                    assert column["type_config"]["timezone"] == zone, (page, name)
    assert seen_times >= 6  # overview, student (2), metadata, sync (2), removals


def test_the_time_zone_is_a_setting_named_everywhere(demo_db):
    at = _ok(_open("pages/sync.py"))
    assert "Times show in America/Denver (the time zone of your Canvas courses)" in _texts(
        at).replace("\\", "")
    at.selectbox[0].set_value("Asia/Tokyo")
    _button(at, "Save time zone").click()
    _ok(at.run())
    assert "Time zone saved" in _texts(at)
    assert "Times show in Asia/Tokyo (chosen on the Sync page)" in _texts(at).replace("\\", "")
    history = json.loads(at.dataframe[0].proto.columns)
    assert history["dated_at"]["label"] == "Date (Asia/Tokyo)"
    finished = _read(demo_db, "SELECT max(finished_at)::TIMESTAMP FROM ops.sync_runs "
                              "WHERE status = 'succeeded'")[0][0]  # naive, in UTC
    tokyo = finished.replace(tzinfo=UTC).astimezone(ZoneInfo("Asia/Tokyo"))
    local = tokyo.strftime("%Y-%m-%d %H:%M")
    assert f"{local} Asia/Tokyo" in _texts(at)  # "Data on screen", converted
    overview = _ok(_open())  # through app.py, so with the sidebar
    assert any(f"{local} Asia/Tokyo" in text for text in _sidebar(overview))

    student = _ok(_open("pages/student.py", student_id="5005"))
    spec = json.loads(student.get("plotly_chart")[0].proto.spec)
    assert spec["layout"]["xaxis"]["title"]["text"] == "Sync date (Asia/Tokyo)"
    student.text_area[0].input("A note")
    _button(student, "Add note").click()
    _ok(student.run())
    assert any(c.value.endswith(" Asia/Tokyo") for c in student.caption)

    at = _ok(_open("pages/sync.py"))
    at.selectbox[0].set_value(at.selectbox[0].options[0])  # "Automatic (America/Denver)"
    _button(at, "Save time zone").click()
    _ok(at.run())
    assert "Times show in America/Denver" in _texts(at).replace("\\", "")


def test_editors_leave_every_check_to_the_save(demo_db):
    # A check in the browser (a pattern, a minimum, a length) silently drops what it refuses;
    # the save refuses with the row and the reason instead.
    at = _ok(_open("pages/metadata.py"))
    assert len(at.data_editor) == 4
    for editor in at.data_editor:
        for name, column in json.loads(editor.proto.columns).items():
            config = column.get("type_config", {})
            checks = {"validate", "min_value", "max_value", "max_chars", "step"} & set(config)
            assert not checks and not column.get("required"), (editor.key, name, column)


def test_invalid_hours_are_refused_with_the_row_and_reason(demo_db):
    at = _ok(_open("pages/metadata.py"))
    editor = at.data_editor[1]
    at.session_state[editor.key] = {"edited_rows": {1: {"course_hours": -3}},
                                    "added_rows": [], "deleted_rows": []}
    _ok(at.run())
    _button(at, "Save courses").click()
    _ok(at.run())
    message = at.error[0].value.replace("\\", "")
    assert "row 2" in message and "hours" in message, message
    assert _course_meta(demo_db) == []


def test_a_course_without_scores_shows_one_message(demo_db):
    at = _ok(_open("pages/progress.py"))
    at.selectbox(key="p_course").set_value(106)  # CS 499: no students yet
    _ok(at.run())
    assert not at.get("plotly_chart")
    assert len(at.info) == 1 and "No scores yet in CS 499" in at.info[0].value.replace("\\", "")


def test_progress_charts_name_the_zone_and_slant_many_labels(demo_db):
    at = _ok(_open("pages/progress.py"))
    trend, assignments, _submitted = (json.loads(f.proto.spec) for f in
                                      at.get("plotly_chart"))
    assert trend["layout"]["xaxis"]["title"]["text"] == "Sync date (America/Denver)"
    axis = assignments["layout"]["xaxis"]
    assert axis["automargin"] is True
    labels = [trace["name"] for trace in assignments["data"]]
    # "N. " and at most 22 characters (before HTML escaping), the last one an ellipsis
    assert all(len(html.unescape(label)) <= 26 for label in labels), labels
    assert any(label.endswith("…") for label in labels)
    assert axis.get("tickangle", 0) == (-35 if len(labels) > 6 else 0)


def test_sync_history_shows_the_dates_the_charts_use(demo_db):
    at = _ok(_open("pages/sync.py"))
    history = at.dataframe[0]
    config = json.loads(history.proto.columns)
    assert config["dated_at"]["label"] == "Date (America/Denver)"
    dates = history.value["dated_at"].tolist()
    gaps = {(a - b).days for a, b in itertools.pairwise(dates)}
    assert gaps == {7}, dates  # the demo's four syncs, a week apart, as the charts show them


def test_review_removals_says_how_it_differs_from_inactive_students(demo_db):
    at = _ok(_open("pages/review_removals.py"))
    texts = _texts(at).replace("\\", "")
    assert "Not the same as an inactive enrollment" in texts
    assert "Include inactive students" in texts


def test_markdown_in_a_name_or_login_never_becomes_a_link(demo_db):
    # Escaping every Markdown character is not enough: GitHub-flavoured Markdown still links
    # a bare "https://...", "www...." or "name@host", so those are broken by a word joiner.
    at = _ok(_open("pages/student.py", student_id="5018"))
    title, caption = at.title[0].value, at.caption[0].value
    for shown in (title, caption):
        assert not re.search(r"(?<!\\)[\[\]()!<>:@/]", shown), shown  # each one escaped
        plain = shown.replace("\\", "")
        assert not re.search(r"://|www\.|\w@", plain), plain  # no bare address left whole
    assert title.replace("\u2060", "").replace("\\", "") == (
        "[Siobhán](https://evil.example/p) ![x](https://evil.example/x.png) "
        "<mailto:s@evil.example> www.evil.example")
    assert "s5018\u2060\\@school" in caption  # the login, shown whole but not as a mail link


def test_a_sync_that_never_finished_is_shown_on_the_sync_page(demo_db):
    from tracker_db.db import write
    from tracker_db.migrate import open_database
    from tracker_db.store import sync_runs

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait(30)  # its number now names no process: a sync that was killed
    started = datetime(2026, 11, 30, 19, 0, tzinfo=UTC)

    def leave_attempt(cur):
        attempt_id = sync_runs.new_attempt_id()
        sync_runs.start_attempt(cur, attempt_id, started, kind="canvas", trigger="schedule")
        cur.execute("UPDATE ops.sync_attempts SET pid = ? WHERE attempt_id = ?",
                    [gone.pid, attempt_id])

    database = open_database(demo_db)
    with database.session() as cur:
        write(cur, leave_attempt)
    database.close()
    at = _ok(_open("pages/sync.py"))
    warnings = [w.value.replace("\\", "").replace("\u2060", "") for w in at.warning]
    assert any("A sync started 2026-11-30 12:00:00 America/Denver" in w and "never finished"
               in w and "nothing of it was saved" in w for w in warnings), warnings


def test_the_student_page_offers_a_printable_report_with_the_notes_chosen(demo_db):
    at = _ok(_open("pages/student.py", student_id="5004"))
    assert at.multiselect(key="report_notes").options == []
    assert [b.proto.label for b in at.get("download_button")
            if b.key in ("report_html", "report_pdf")] == [
        "Download the report (HTML, to print)", "Download the report (PDF)"]
    at.text_area[0].input("Met with parents")
    _ok(at.button(key="FormSubmitter:add_note-Add note").click().run())
    assert len(at.multiselect(key="report_notes").options) == 1
    at.multiselect(key="report_notes").select(at.multiselect(key="report_notes").options[0])
    _ok(at.run())
    assert [b.key for b in at.get("download_button")].count("report_html") == 1


def test_the_progress_page_makes_a_course_report_when_asked(demo_db):
    at = _ok(_open("pages/progress.py"))
    assert "course_report_html" not in [b.key for b in at.get("download_button")]
    _ok(at.button(key="course_report_prepare").click().run())
    course_id = at.selectbox(key="p_course").value
    expected = get_course_report(course_id)
    labels = [b.proto.label for b in at.get("download_button")
              if b.key in ("course_report_html", "course_report_pdf")]
    assert labels == [f"Download the report of {len(expected)} students (HTML, to print)",
                      f"Download the report of {len(expected)} students (PDF)"]
    assert len(expected) > 1


def test_the_smallest_group_to_show_is_set_on_the_sync_page_and_hides_medians(demo_db):
    at = _ok(_open("pages/sync.py"))
    assert at.number_input(key="min_group_size").value == 5
    at.number_input(key="min_group_size").set_value(1000)
    _ok(at.button(key="FormSubmitter:privacy-Save").click().run())
    assert "Smallest group saved." in _said(at)
    at.switch_page("pages/overview.py")
    _ok(at.run())
    courses = at.dataframe[0].value
    assert courses["median_score"].isna().all() and courses["students"].sum() > 100
    assert "not shown for groups of fewer than 1000 students" in _said(at)
    at.switch_page("pages/student.py")
    at.query_params.update({"student_id": "5004"})
    _ok(at.run())
    assert "Class medians are not shown for groups of fewer than 1000" in _said(at)


def test_pseudonyms_replace_students_on_every_page_chart_and_table(demo_db):
    at = _ok(_open("pages/students.py"))
    real = dict(_read(demo_db, "SELECT student_id, name FROM summary.students"))
    courses = " ".join(n for (n,) in _read(demo_db, "SELECT name FROM canvas.courses"))
    at.toggle(key="pseudonyms_widget").set_value(True)
    _ok(at.run())
    shown = _students(at)
    pseudonym = re.compile(r"Student [A-Z2-9]{4}-[A-Z2-9]{4}")
    assert shown["name"].map(lambda n: bool(pseudonym.fullmatch(n))).all()
    assert not set(shown["student_id"]) & set(real)  # no Canvas id either
    assert "Switch pseudonyms off to write to students" in _said(at)

    def leaks(at: AppTest) -> set[str]:
        words = _said(at) + " ".join(
            d.value.to_csv() for d in at.dataframe) + " ".join(
            c.proto.spec for c in at.get("plotly_chart"))
        # (a name that is also part of a course's name is no leak)
        return {n for n in real.values() if n and len(n) > 6 and n in words
                and n not in courses}

    assert leaks(at) == set()
    for page, query in (("pages/overview.py", {}), ("pages/progress.py", {}),
                        ("pages/student.py", {"student_id": "5004"}),
                        ("pages/assignment.py", {}), ("pages/what_changed.py", {})):
        at.switch_page(page)
        at.query_params.clear()
        at.query_params.update(query)
        _ok(at.run())
        assert at.toggle(key="pseudonyms_widget").value  # it holds from page to page
        assert leaks(at) == set(), page
    at.switch_page("pages/student.py")
    at.query_params.update({"student_id": "5004"})
    _ok(at.run())
    assert pseudonym.fullmatch(at.title[0].value.replace("\\", ""))
    assert "Notes are hidden while pseudonyms are on" in _said(at)
    # A past state's download holds every table whole: not offered under pseudonyms.
    at.toggle(key="past_on_widget").set_value(True)
    _ok(at.run())
    assert "past_zip_prepare" not in [b.key for b in at.button]
    assert "Switch pseudonyms off to download this state" in _said(at)
    assert leaks(at) == set()


def test_under_pseudonyms_a_student_s_address_carries_no_canvas_id(demo_db):
    from tracker_db.privacy import Pseudonyms
    from tracker_db.read_models.preferences import get_pseudonym_key

    at = _ok(_open("pages/student.py", student_id="5004"))
    title = at.title[0].value
    at.toggle(key="pseudonyms_widget").set_value(True)
    _ok(at.run())
    number = Pseudonyms(get_pseudonym_key()).number(5004)
    # The page rewrote its own address: the pseudonym number, never the Canvas id.
    assert at.query_params == {"pseudonym": str(number)}
    assert f"Pseudonym number {number}" in _said(at)
    # That address, opened afresh (a bookmark, a link), is the same student ...
    again = _ok(_open("pages/student.py", pseudonym=str(number)))
    assert again.title[0].value == title and "5004" in _said(again)  # pseudonyms off there
    assert again.query_params == {"student_id": "5004"}
    # ... and a number that is nobody's says so.
    nobody = _ok(_open("pages/student.py", pseudonym="123"))
    assert "No student has the pseudonym number 123." in _said(nobody)
    assert "Find a student" in [t.label for t in nobody.text_input]


def test_under_pseudonyms_opening_a_student_from_a_table_links_their_pseudonym(demo_db):
    from tracker_db.privacy import Pseudonyms
    from tracker_db.read_models.preferences import get_pseudonym_key

    at = _ok(_open("pages/students.py"))
    at.toggle(key="pseudonyms_widget").set_value(True)
    _ok(at.run())
    shown = _students(at)
    _select(at, "students_table_0", [2])
    _ok(at.run())
    assert at.query_params.keys() == {"pseudonym"}
    number = int(at.query_params["pseudonym"])
    assert number == shown["student_id"].iloc[2]  # the number the table showed
    real = Pseudonyms(get_pseudonym_key()).find(
        number, [i for (i,) in _read(demo_db, "SELECT student_id FROM canvas.students")])
    assert real is not None and real != number
    assert f"Pseudonym number {number}" in _said(at)  # the Student page, of that student
