"""Overview: every course at a glance, and the students who need attention, in words."""

from __future__ import annotations

import streamlit as st

from pages import common
from tracker_db.read_models import attention, courses

st.title("Overview")
state = common.start()
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
    st.dataframe(
        overview,
        hide_index=True,
        column_order=["name", "course_code", "term_name", "students", "mean_score",
                      "median_score", "missing_count", "late_count", "tracked",
                      "last_synced_at"],
        column_config={
            "name": st.column_config.TextColumn("Course", width="large"),
            "course_code": "Code",
            "term_name": "Term",
            "students": st.column_config.NumberColumn("Students"),
            "mean_score": st.column_config.NumberColumn("Mean score", format="%.1f%%"),
            "median_score": st.column_config.NumberColumn("Median score", format="%.1f%%"),
            "missing_count": st.column_config.NumberColumn("Missing"),
            "late_count": st.column_config.NumberColumn("Late"),
            "tracked": st.column_config.CheckboxColumn("Tracked"),
            "last_synced_at": st.column_config.DatetimeColumn(
                "Last synced", format="YYYY-MM-DD HH:mm"),
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
    event = st.dataframe(
        rows,
        hide_index=True,
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
