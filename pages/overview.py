"""Overview: every course at a glance, and the students who need attention, in words."""

from __future__ import annotations

import streamlit as st

from pages import common
from tracker_db.read_models import attention, courses

st.title("Overview")
state = common.start(shows_past=True)
if not common.require_data(state, "course overview"):
    st.stop()

overview = common.cached(courses.get_course_overview)
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
    common.table(
        overview,
        column_order=["name", "course_code", "term_name", "students", "mean_score",
                      "median_score", "missing_count", "late_count", "tracked",
                      "last_synced_at"],
        column_config={
            "name": st.column_config.TextColumn("Course", width=200),
            "course_code": st.column_config.TextColumn("Code", width=80),
            "term_name": st.column_config.TextColumn("Term", width=90),
            "students": st.column_config.NumberColumn("Students", width=72),
            "mean_score": st.column_config.NumberColumn(
                "Mean", format="%.1f%%", width=60, help="Mean current score"),
            "median_score": st.column_config.NumberColumn(
                "Median", format="%.1f%%", width=65, help="Median current score"),
            "missing_count": st.column_config.NumberColumn("Missing", width=64),
            "late_count": st.column_config.NumberColumn("Late", width=48),
            "tracked": st.column_config.CheckboxColumn("Tracked", width=66),
            "last_synced_at": common.time_column("Last synced", width=175),
        },
    )

st.subheader("Needs attention")
st.caption("Select a row to open the student.")
lists = common.cached(attention.get_needs_attention, 10)
for kind, title in attention.NEEDS_ATTENTION_KINDS.items():
    rows = lists[kind]
    st.markdown(f"**{title}**")
    st.caption(attention.NEEDS_ATTENTION_HELP[kind])
    if rows.is_empty():
        if kind == "score_drop" and (state.previous_sync_id is None):
            st.text("Changes show after a second sync.")
        else:
            st.text("Nobody right now.")
        continue
    event = common.table(
        rows,
        key=common.selection_key(f"attention_{kind}"),
        on_select="rerun",
        selection_mode="single-row",
        column_order=["student_name", "course_name", "explanation"],
        column_config={
            "student_name": st.column_config.TextColumn("Student"),
            "course_name": st.column_config.TextColumn("Course"),
            "explanation": st.column_config.TextColumn("Why", width="large"),
        },
    )
    if event.selection.rows:
        common.open_student(rows["student_id"][event.selection.rows[0]], f"attention_{kind}")
