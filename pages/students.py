"""Students: filter, sort, download, and open one student."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import streamlit as st

from pages import common, messaging
from tracker_db.exports import Column
from tracker_db.read_models import roster

st.title("Students")
state = common.start(shows_past=True)
if not common.require_data(state, "student list"):
    st.stop()

options = common.cached(roster.get_filter_options)
section_labels = dict(options.sections_for(st.session_state.get("f_courses", [])))
# Keep only sections that still belong to the chosen courses (the choices just changed).
if "f_sections" in st.session_state:
    st.session_state["f_sections"] = [
        s for s in st.session_state["f_sections"] if s in section_labels
    ]

top = st.columns([2, 2, 2])
curricula = top[0].multiselect(
    "Curriculum", [c for c, _ in options.curricula], format_func=options.curriculum_name,
    key="f_curricula", placeholder="All curricula",
)
course_ids = top[1].multiselect(
    "Course", [c for c, _ in options.courses], format_func=options.course_label,
    key="f_courses", placeholder="All courses",
)
section_ids = top[2].multiselect(
    "Section", list(section_labels), format_func=lambda s: section_labels.get(s, str(s)),
    key="f_sections", placeholder="All sections",
)
middle = st.columns([2, 2, 2])
tags = middle[0].multiselect("Tag", options.tags, key="f_tags", placeholder="Any tag")
groups = middle[1].multiselect("Group", options.groups, key="f_groups", placeholder="Any group")
states = middle[2].multiselect(
    "Enrollment state", options.states, key="f_states", placeholder="Any state"
)
bottom = st.columns([3, 1, 1, 1], vertical_alignment="bottom")
search = bottom[0].text_input(
    "Name search", key="f_search", placeholder="Part of a name, login or SIS id"
)
include_inactive = bottom[2].toggle(
    "Include inactive", key="f_inactive",
    help="Also list students Canvas no longer has as active, and archived ones.",
)
below = bottom[1].number_input(
    "Score below (%)", min_value=0.0, max_value=1000.0, value=None, step=5.0,
    key="f_below", placeholder="Any score",
    help="Only students with a current score below this in one of the courses listed.",
)
flagged = bottom[3].toggle(
    "Flagged only", key="f_flagged",
    help="Only students with an open flag in the chosen courses (the Overview lists why "
         "each fired, and lets you dismiss it).",
)

filters = roster.StudentFilters(
    curricula=tuple(curricula), course_ids=tuple(course_ids), section_ids=tuple(section_ids),
    tags=tuple(tags), groups=tuple(groups), states=tuple(states), search=search,
    include_inactive=include_inactive, flagged=flagged, below_score=below,
)
table = common.cached(roster.get_students_table, filters)

# Number columns and how they show; the labels, widths and help are the download's too.
_NUMBER_FORMATS = {"student_id": "%d", "mean_score": "%.1f%%", "missing": None, "late": None,
                   "change_since_last_sync": "%+.1f", "last_score": "%.1f%%"}


def _column(name: str, column: Column) -> Any:
    if name.startswith("score_"):  # a column per course
        return st.column_config.NumberColumn(column.label, format="%.1f%%",
                                             width=column.width, help=column.help)
    if name == "left_at":
        return common.time_column(column.label, width=column.width, help=column.help)
    if name in _NUMBER_FORMATS:
        return st.column_config.NumberColumn(column.label, format=_NUMBER_FORMATS[name],
                                             width=column.width, help=column.help)
    return st.column_config.TextColumn(column.label, width=column.width, help=column.help)


if table.total == 0:
    st.info("No student matches these filters.")
else:
    if table.truncated:
        st.caption(
            f"Showing the first {table.rows.height:,} of {table.total:,} matching students by "
            "name; narrow the filters or search to see others."
        )
    else:
        st.caption(f"{table.total:,} student{'' if table.total == 1 else 's'}. "
                   "Select a row to open the student; click a column header to sort.")
    event = common.table(
        table.rows,
        key=common.selection_key("students_table"),
        on_select="rerun",
        selection_mode="single-row",
        column_order=list(table.columns),
        column_config={name: _column(name, c) for name, c in table.columns.items()},
    )
    common.downloads(table.rows, table.columns, "students", key="students")
    listed = table.rows.height
    messaging.message_students(
        table.rows["student_id"], key="students",
        what=f"the {listed:,} student{'' if listed == 1 else 's'} listed")
    if event.selection.rows:
        common.open_student(table.rows["student_id"][event.selection.rows[0]],
                            "students_table")

st.subheader("Left a course")
zone = common.time_zone()
since = st.date_input("Since", value=datetime.now(zone.zone).date() - timedelta(days=30),
                      key="f_left_since", format="YYYY-MM-DD",
                      help="Students whose enrollment ended (dropped, deleted, inactive or "
                           "completed) from this day on; with the course filter above, in "
                           "those courses.")
left = common.cached(roster.get_departures, since, tuple(course_ids), time_zone=zone.name)
if left.is_empty():
    st.text(f"Nobody left a course since {since:%Y-%m-%d}.")
else:
    st.caption(f"{left.height:,} left since {since:%Y-%m-%d}, newest first. Select a row to "
               "open the student.")
    gone = common.table(
        left,
        key=common.selection_key("departures_table"),
        on_select="rerun",
        selection_mode="single-row",
        column_order=list(roster.DEPARTURE_COLUMNS),
        column_config={name: _column(name, c) for name, c in roster.DEPARTURE_COLUMNS.items()},
    )
    common.downloads(left, roster.DEPARTURE_COLUMNS, "left-a-course", key="departures")
    if gone.selection.rows:
        common.open_student(left["student_id"][gone.selection.rows[0]], "departures_table")
