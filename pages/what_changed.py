"""What changed: between any two syncs, per course, new grades, regrades, work newly missing
or handed in, students added or gone; select a change to open the student."""

from __future__ import annotations

from typing import Any

import streamlit as st

from pages import common
from tracker_db.read_models import changes

st.title("What changed")
state = common.start()
if not common.require_data(state, "list of changes"):
    st.stop()

syncs = common.cached(changes.list_comparable_syncs)
if syncs.height < 2:
    st.info("Changes show after a second sync: each sync is compared with the one before.",
            icon=":material/info:")
    st.stop()

dated = dict(zip(syncs["sync_id"].to_list(), syncs["dated_at"].to_list(), strict=True))
modes = dict(zip(syncs["sync_id"].to_list(), syncs["mode"].to_list(), strict=True))


def _sync_label(sync_id: int) -> str:
    kind = " (incremental)" if modes.get(sync_id) == "incremental" else ""
    return f"Sync {sync_id}{kind} · {common.show_time(dated[sync_id])}"


newest_first = list(dated)
picked = st.columns(2)
after = picked[0].selectbox(
    "Changes after", newest_first, index=1, format_func=_sync_label, key="changes_after",
    help="The earlier state: what this sync saw is the 'before'.",
)
until = picked[1].selectbox(
    "Up to", newest_first, index=0, format_func=_sync_label, key="changes_until",
    help="The later state: what this sync saw is the 'after'.",
)
span = common.guarded(lambda: common.cached(changes.resolve_range, after, until))
if span is None:
    st.stop()

counts = common.cached(changes.get_change_counts, span)
if counts.is_empty():
    st.info(f"Nothing changed between sync {span.after_sync} and sync {span.until_sync}.",
            icon=":material/info:")
    st.stop()

totals = changes.count_totals(counts)
for column, (kind, total) in zip(st.columns(len(totals)), totals.items(), strict=True):
    column.metric(changes.KIND_PLURALS[kind].capitalize(), f"{total:,}")


def _column(name: str, column: Any) -> Any:
    if name in ("old_score", "new_score"):
        return st.column_config.NumberColumn(column.label, format="%g", width=column.width,
                                             help=column.help)
    if name.endswith("_name") or name in ("kind", "reason"):
        return st.column_config.TextColumn(column.label, width=column.width, help=column.help)
    return st.column_config.NumberColumn(column.label, width=column.width, help=column.help)


st.subheader("Per course")
common.table(counts, column_order=list(changes.COUNT_COLUMNS),
             column_config={n: _column(n, c) for n, c in changes.COUNT_COLUMNS.items()})
common.downloads(counts, changes.COUNT_COLUMNS,
                 f"changes-per-course-sync-{span.after_sync}-to-{span.until_sync}",
                 key="change_counts")

st.subheader("The changes")
course_names = dict(zip(counts["course_id"].to_list(), counts["course_name"].to_list(),
                        strict=True))
filters = st.columns(2)
course_ids = filters[0].multiselect(
    "Course", list(course_names), format_func=lambda c: course_names.get(c, str(c)),
    key="changes_courses", placeholder="All courses",
)
kinds = filters[1].multiselect("Change", changes.CHANGE_KINDS, key="changes_kinds",
                               placeholder="Every kind")
details = common.cached(changes.get_change_details, span, tuple(course_ids), tuple(kinds))
total = sum(changes.count_totals(counts, course_ids, kinds).values())
if details.height < total:
    st.caption(f"The first {details.height:,} of {total:,} changes; choose a course or a kind "
               "to see others. Select a row to open the student.")
else:
    st.caption(f"{total:,} change{'' if total == 1 else 's'}. Select a row to open the student.")
event = common.table(
    details,
    key=common.selection_key("changes_table"),
    on_select="rerun",
    selection_mode="single-row",
    column_order=list(changes.DETAIL_COLUMNS),
    column_config={n: _column(n, c) for n, c in changes.DETAIL_COLUMNS.items()},
)
common.downloads(details, changes.DETAIL_COLUMNS,
                 f"changes-sync-{span.after_sync}-to-{span.until_sync}", key="changes")
if event.selection.rows:
    common.open_student(details["student_id"][event.selection.rows[0]], "changes_table")
