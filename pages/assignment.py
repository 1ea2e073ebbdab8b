"""Assignment: one assignment, student by student: who has not handed it in, who is late,
missing or excused; download the list, or open a student."""

from __future__ import annotations

from typing import Any

import streamlit as st

from pages import common, messaging
from tracker_db.read_models import assignment_work, roster

st.title("Assignment")
state = common.start(shows_past=True)
if not common.require_data(state, "assignment"):
    st.stop()

options = common.cached(roster.get_filter_options)
course_ids = [c for c, _ in options.courses]
if not course_ids:
    st.info("The last sync found no courses.", icon=":material/info:")
    st.stop()

# A link (from the Student or Progress page) names the assignment, or just its course.
linked = common.query_id("assignment_id")
linked_course = common.query_id("course_id")
found = common.cached(assignment_work.get_assignment, linked) if linked else None
if linked and found is None:
    st.warning(f"There is no assignment {linked} in the tracker; choose one below.",
               icon=":material/warning:")
start_course = found["course_id"] if found else linked_course
picked = st.columns([2, 3])
course_id = picked[0].selectbox(
    "Course", course_ids, format_func=options.course_label, key="a_course",
    index=course_ids.index(start_course) if start_course in course_ids else 0,
)
assignments = common.cached(assignment_work.get_course_assignments, course_id)
if assignments.is_empty():
    st.info(common.md(f"{options.course_label(course_id)} has no assignments."),
            icon=":material/info:")
    st.stop()
names = dict(zip(assignments["assignment_id"].to_list(),
                 assignments["assignment_name"].to_list(), strict=True))
ids = list(names)
start = found["assignment_id"] if found and found["assignment_id"] in names else ids[0]
assignment_id = picked[1].selectbox(
    "Assignment", ids, format_func=lambda a: names.get(a, str(a)), key="a_assignment",
    index=ids.index(start),
)
st.query_params["assignment_id"] = str(assignment_id)  # a link to what is shown

filters = st.columns([4, 2])
statuses = filters[0].multiselect("Status", assignment_work.STATUSES, key="a_statuses",
                                  placeholder="Every status")
include_inactive = filters[1].toggle("Include inactive students", key="a_inactive")
everyone = common.cached(assignment_work.get_assignment_work, assignment_id,
                         include_inactive=include_inactive)
counts = assignment_work.count_statuses(everyone)
for column, (status, n) in zip(st.columns(len(counts)), counts.items(), strict=True):
    column.metric(status.capitalize(), n)

work = common.cached(assignment_work.get_assignment_work, assignment_id, tuple(statuses),
                     include_inactive=include_inactive)
st.caption(f"{work.height} student{'' if work.height == 1 else 's'}. Select a row to open the "
           "student; click a column header to sort.")


def _column(name: str, column: Any) -> Any:
    if name == "submitted_at":
        return common.time_column(column.label, width=column.width)
    if name in ("student_name", "status", "enrollment_state"):
        return st.column_config.TextColumn(column.label, width=column.width)
    formats = {"student_id": "%d", "score_percent": "%.0f%%"}
    return st.column_config.NumberColumn(column.label, width=column.width,
                                         format=formats.get(name, "%g"))


event = common.table(
    work,
    key=common.selection_key("assignment_work"),
    on_select="rerun",
    selection_mode="single-row",
    column_order=list(assignment_work.WORK_COLUMNS),
    column_config={n: _column(n, c) for n, c in assignment_work.WORK_COLUMNS.items()},
)
common.downloads(work, assignment_work.WORK_COLUMNS, f"assignment-{assignment_id}",
                 key="assignment_work")
messaging.message_students(
    work["student_id"], key="assignment_work",
    what=("these students" if not statuses
          else "the students " + " or ".join(status for status in statuses)))
if event.selection.rows:
    common.open_student(work["student_id"][event.selection.rows[0]], "assignment_work")
