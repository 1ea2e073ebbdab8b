"""Review removals: objects Canvas stopped listing that still carry notes or history."""

from __future__ import annotations

import streamlit as st

from pages import common
from tracker_db import review
from tracker_db.errors import TrackerError
from tracker_db.read_models import removals as removal_reads

ACTIONS = {
    "Keep as inactive": "Stays reachable with 'include inactive'; the review flag is cleared.",
    "Archive": "Hidden from every default view; all notes and history are kept.",
    "Delete permanently": "Removes its notes, metadata and history for good.",
}

st.title("Review removals")
state = common.start()
common.show_flash()
if not common.require_data(state, "list of removals"):
    st.stop()
st.caption(
    "Canvas forgets dropped students, deleted assignments and removed courses; the tracker "
    "keeps their notes and history. This page lists each student, course or assignment "
    "Canvas stopped listing that still carries something of yours (notes, metadata or "
    "history), until you decide what happens to it."
)
st.caption(
    "Not the same as an inactive enrollment: a student Canvas still lists as inactive or "
    "completed in a course is not here (they show on Students with Include inactive "
    "students, their enrollment state named). Objects you keep as inactive leave this list "
    "and stay reachable the same way; the toggle below shows them again."
)

show_all = st.toggle("Show every inactive object, not only those waiting for a decision")
try:
    removals = removal_reads.list_removals(pending_only=not show_all)
except TrackerError as e:
    common.show_error(e)
    st.stop()

if removals.is_empty():
    st.info(
        "Nothing to review: no student, course or assignment that carries notes or history "
        "has left Canvas since the last review.",
        icon=":material/task_alt:",
    )
    st.stop()

shown = removal_reads.REMOVAL_COLUMNS
common.table(removals, column_order=list(shown),
             column_config=common.column_config(removals, shown))
common.downloads(removals, shown, "removals", key="removals")

if common.pseudonyms() is not None:
    st.info("Switch pseudonyms off to decide on a removal: a decision needs to see whose "
            "data it keeps or deletes.", icon=":material/visibility_off:")
    st.stop()

labels = {
    f"{kind}:{object_id}": f"{kind} {object_id}: {name or 'no name'} ({reason})"
    for kind, object_id, name, reason in removals.select(
        "object_type", "object_id", "name", "removal_reason"
    ).iter_rows()
}
# Option labels are plain text (never Markdown or HTML), so Canvas names show as written.
chosen = st.selectbox("Decide on", list(labels), format_func=labels.__getitem__)
object_type, object_id = chosen.split(":")[0], int(chosen.split(":")[1])
action = st.radio("Decision", list(ACTIONS), captions=list(ACTIONS.values()), horizontal=True)

try:
    if action == "Delete permanently":
        plan = review.plan_permanent_delete(object_type, object_id)
        st.warning(common.md(plan.describe()), icon=":material/delete_forever:")
        confirmed = st.checkbox(
            f"I understand: delete {object_type} {object_id} and these rows permanently"
        )
        if st.button("Delete permanently", type="primary", disabled=not confirmed):
            review.delete_permanently(object_type, object_id, confirm=plan)
            common.bump_data_version()
            common.flash(f"Deleted {object_type} {object_id} and {plan.total_rows} row(s).")
            st.rerun()
    elif st.button(action, type="primary"):
        if action == "Archive":
            review.archive_object(object_type, object_id)
        else:
            review.keep_inactive(object_type, object_id)
        common.bump_data_version()
        common.flash(f"{action}: {object_type} {object_id}.")
        st.rerun()
except TrackerError as e:
    common.show_error(e)
