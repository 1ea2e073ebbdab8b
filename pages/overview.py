"""Overview: every course at a glance, and the students the flag rules say need the teacher,
each with the reason in words."""

from __future__ import annotations

import streamlit as st

from pages import common, flagging
from tracker_db import privacy
from tracker_db.flag_rules import RULES
from tracker_db.read_models import courses, flags

st.title("Overview")
state = common.start(shows_past=True)
common.show_flash()
state_is_past = common.showing_past()
if not common.require_data(state, "course overview"):
    st.stop()

smallest = common.min_group_size()
overview = common.cached(courses.get_course_overview, min_group_size=smallest)
st.subheader("Courses")
if overview.is_empty():
    st.info("The last sync found no courses: check that your Canvas token belongs to a "
            "teacher account, or switch courses back on on the Metadata page.")
else:
    st.caption(
        "Students are active enrollments (any state but deleted) of students still active in "
        "Canvas. Scores are current scores in percent. Missing and late count submissions "
        "Canvas marks so, excused work not counted."
    )
    shown = courses.OVERVIEW_COLUMNS
    common.table(overview, column_order=list(shown), column_config=common.column_config(
        overview, shown, formats={"mean_score": "%.1f%%", "median_score": "%.1f%%"}))
    common.downloads(overview, shown, "courses", key="courses")
    if privacy.any_small(overview, "students", smallest):
        st.caption(privacy.small_group_note(smallest, "the mean and median are"))

st.subheader("Flagged students")
board = common.cached(flags.get_flag_board)
if board.rules_on:
    st.caption(common.md(
        "Per course, as of the latest sync. Rules on: "
        + ", ".join(RULES[r.rule].label for r in board.rules_on)
        + " (what each means and its threshold: Flag rules, below)."))
flagging.show_flags(board, key="overview_flags", past=state_is_past)
with st.expander("Flag rules"):
    st.caption("When each rule fires. They count for everyone using this database.")
    if state_is_past:
        st.text("The rules are set on the present: switch off Show a past sync first.")
    else:
        flagging.rule_settings_form(board.rules)
