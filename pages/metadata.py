"""Metadata: the teacher's own data. Edit a table, then save it: all rows or none."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from pages import common
from tracker_db import edits
from tracker_db.errors import TrackerError
from tracker_db.read_models import roster, teacher_data

st.title("Metadata")
state = common.start()
if not common.require_data(state, "course or student to describe"):
    st.stop()
common.show_flash()
st.caption("Edit cells, then press Save. Invalid edits are refused with the row and the "
           "reason, and then nothing of that table is saved.")

options = common.cached(roster.get_filter_options)
course_labels = {str(c): label for c, label in options.courses}
version = common.version()


def _save(label: str, action: Callable[[], Any]) -> None:
    try:
        result = action()
    except TrackerError as e:
        common.show_error(e)
        return
    common.bump_data_version()
    common.flash(f"{label} saved ({result.written} row{'' if result.written == 1 else 's'} "
                 "changed).")
    st.rerun()


curricula_tab, courses_tab, assignments_tab, students_tab = st.tabs(
    ["Curricula", "Courses", "Assignments", "Student tags and groups"], key="metadata_tabs"
)

with curricula_tab:
    curricula = common.cached(teacher_data.get_curricula_table)
    st.caption("A curriculum groups courses. Add a row for a new one; delete a row to remove "
               "it (its courses stay).")
    edited = common.editor(
        curricula,
        key=f"curricula_editor_{version.key}",
        num_rows="dynamic",
        column_order=["name", "color", "description", "start_date", "courses",
                      "curriculum_id"],
        column_config={
            "curriculum_id": st.column_config.TextColumn("Id", disabled=True,
                                                         help="Made from the name"),
            "name": st.column_config.TextColumn("Name", help="Required, at most 120 characters"),
            "color": st.column_config.TextColumn("Colour", help="#RRGGBB, e.g. #1A7F37"),
            "description": st.column_config.TextColumn("Description", width="medium"),
            "start_date": st.column_config.DateColumn("Start date", format="YYYY-MM-DD"),
            "courses": st.column_config.MultiselectColumn(
                "Courses", options=list(course_labels), format_func=course_labels.get,
                width=330),
        },
    )
    if st.button("Save curricula", key="save_curricula", type="primary"):
        _save("Curricula", lambda: edits.save_curricula(
            edited, deleted_ids=edits.removed_keys(curricula, edited, "curriculum_id")))

with courses_tab:
    course_meta = common.cached(teacher_data.get_course_metadata_table)
    st.caption("Untick Tracked to stop syncing a course (for example one Canvas refuses).")
    edited_courses = common.editor(
        course_meta,
        key=f"courses_editor_{version.key}",
        disabled=["course_id", "name", "course_code"],
        column_order=["name", "course_code", "tracked", "color", "course_hours", "tags",
                      "notes"],
        column_config={
            "name": st.column_config.TextColumn("Course", width="medium"),
            "course_code": "Code",
            "tracked": st.column_config.CheckboxColumn("Tracked"),
            "color": st.column_config.TextColumn("Colour", help="#RRGGBB, e.g. #1A7F37"),
            "course_hours": st.column_config.NumberColumn("Hours", help="0 or more"),
            "tags": st.column_config.MultiselectColumn(
                "Tags", options=teacher_data.distinct_tags(course_meta), accept_new_options=True),
            "notes": st.column_config.TextColumn("Notes", width="medium"),
        },
    )
    if st.button("Save courses", key="save_courses", type="primary"):
        _save("Courses", lambda: edits.save_course_metadata(edited_courses))

with assignments_tab:
    course_id = st.selectbox(
        "Course", [c for c, _ in options.courses], format_func=options.course_label,
        key="m_assignment_course",
    )
    assignment_meta = common.cached(teacher_data.get_assignment_metadata_table, course_id)
    if assignment_meta.is_empty():
        st.text("This course has no assignments.")
    else:
        edited_assignments = common.editor(
            assignment_meta,
            key=f"assignments_editor_{course_id}_{version.key}",
            disabled=["assignment_id", "name", "due_at", "points_possible"],
            column_order=["name", "due_at", "points_possible", "difficulty",
                          "estimated_hours", "tags", "notes"],
            column_config={
                "name": st.column_config.TextColumn("Assignment", width="medium"),
                "due_at": common.time_column("Due", date_only=True),
                "points_possible": st.column_config.NumberColumn("Points"),
                "difficulty": st.column_config.NumberColumn(
                    "Difficulty", help="A whole number from 1 (easy) to 5 (hard)"),
                "estimated_hours": st.column_config.NumberColumn(
                    "Estimated hours", help="0 or more"),
                "tags": st.column_config.MultiselectColumn(
                    "Tags", options=teacher_data.distinct_tags(assignment_meta),
                    accept_new_options=True),
                "notes": st.column_config.TextColumn("Notes", width="medium"),
            },
        )
        if st.button("Save assignments", key="save_assignments", type="primary"):
            _save("Assignments", lambda: edits.save_assignment_metadata(
                edited_assignments))

with students_tab:
    if common.pseudonyms() is not None:
        st.info("Switch pseudonyms off to edit students' tags and groups: the table lists "
                "them by name.", icon=":material/visibility_off:")
        st.stop()  # the last tab: nothing of the page follows
    left, right = st.columns([3, 2])
    student_course = left.selectbox(
        "Course", [None, *(c for c, _ in options.courses)],
        format_func=lambda c: "All students" if c is None else options.course_label(c),
        key="m_student_course",
    )
    student_search = right.text_input("Name search", key="m_student_search")
    student_meta = common.cached(
        teacher_data.get_student_metadata_table, student_course, student_search, limit=500
    )
    if student_meta.is_empty():
        st.text("No student matches.")
    else:
        if student_meta.height >= 500:
            st.caption("Showing the first 500 students by name; pick a course or search.")
        edited_students = common.editor(
            student_meta,
            key=f"students_editor_{student_course}_{version.key}",
            disabled=["student_id", "name"],
            column_order=["name", "tags", "custom_group"],
            column_config={
                "name": st.column_config.TextColumn("Student", width="medium"),
                "tags": st.column_config.MultiselectColumn(
                    "Tags", options=sorted(set(options.tags), key=str.lower),
                    accept_new_options=True),
                "custom_group": st.column_config.TextColumn(
                    "Group", help="At most 120 characters"),
            },
        )
        if st.button("Save tags and groups", key="save_students", type="primary"):
            _save("Student tags and groups",
                  lambda: edits.save_student_metadata(edited_students))
