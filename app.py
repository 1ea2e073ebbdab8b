"""Canvas Tracker dashboard: ``streamlit run app.py``.

This entry point sets up what every page shares (page config, the one cached database
connection, the sidebar with the database file, the last sync and the data version) and then
runs the page chosen in the navigation. Pages live in ``pages/``; data comes from
``tracker_db``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

# `streamlit run` puts this folder on sys.path; AppTest and other runners may not.
_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from pages import common  # noqa: E402
from tracker_db.errors import TrackerError  # noqa: E402
from tracker_db.read_models.sync_status import format_age  # noqa: E402
from tracker_db.sync.runner import get_sync_runner  # noqa: E402

st.set_page_config(page_title="Canvas Tracker", page_icon=":material/school:", layout="wide")

pages = {
    "Dashboard": [
        st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:",
                default=True),
        st.Page("pages/students.py", title="Students", icon=":material/groups:"),
        st.Page("pages/student.py", title="Student", icon=":material/person:"),
        st.Page("pages/progress.py", title="Progress", icon=":material/trending_up:"),
        st.Page("pages/assignment.py", title="Assignment", icon=":material/assignment:"),
        st.Page("pages/what_changed.py", title="What changed", icon=":material/difference:"),
    ],
    "Manage": [
        st.Page("pages/metadata.py", title="Metadata", icon=":material/edit_note:"),
        st.Page("pages/review_removals.py", title="Review removals", icon=":material/rule:"),
        st.Page("pages/sync.py", title="Sync", icon=":material/sync:"),
    ],
}
# Registered before anything can stop the run, so the menu never falls back to listing
# every file in pages/ (common.py is a helper, not a page).
navigation = st.navigation(pages)

try:
    database = common.database()
    state, data_version = common.refresh_state()
except TrackerError as e:
    st.title("Canvas Tracker")
    common.show_error(e, "The database cannot be opened: ")
    st.stop()

with st.sidebar:
    st.caption("Data")
    st.text(database.settings.description)
    st.text(database.location)
    if state.has_data:
        synced = state.last_synced_at
        when = common.show_time(synced) if synced else "unknown"
        st.caption("Last successful sync")
        st.text(f"{when} ({format_age(synced)})")
    else:
        st.caption("No successful sync yet")
    if state.last_attempt_failed:
        st.warning(
            "The latest sync attempt failed; the data shown is from the last successful "
            "sync. See the Sync page.",
            icon=":material/warning:",
        )
    if get_sync_runner().status().running:
        st.info("A sync is running.", icon=":material/sync:")
    st.caption(f"Data version: {common.md(data_version.label)}")
    # (each page's common.start() adds the "Pseudonyms" and "Show a past sync" controls below)

navigation.run()
