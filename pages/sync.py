"""Sync: bring Canvas data in (or the demo data), watch it run, and see past runs.

The sync runs in a background thread owned by the process, not by this page: leaving the
page or closing the tab does not stop it, and clicking again (here or in another browser)
does not start a second one.
"""

from __future__ import annotations

import streamlit as st

from pages import common
from tracker_db import edits
from tracker_db.errors import TrackerError
from tracker_db.maintenance import maintain
from tracker_db.read_models import preferences, sync_status
from tracker_db.read_models.sync_status import RUN_COLUMNS, get_recent_runs
from tracker_db.sync import schedule
from tracker_db.sync.runner import SyncStatus, get_sync_runner

st.title("Sync")
runner = get_sync_runner()
state = common.start()
common.show_flash()
base_url, token = common.canvas_settings()
configured = bool(base_url and token)

st.subheader("Canvas")
if configured:
    st.caption("Canvas address")
    st.text(base_url)
    st.caption("Access token: configured (never shown)")
else:
    st.info(
        "Canvas is not configured yet. Set CANVAS\\_BASE\\_URL (your school's Canvas address) "
        "and CANVAS\\_TOKEN (an access token from your Canvas profile) as environment "
        "variables or in .streamlit/secrets.toml, then restart the dashboard. Or try the "
        "dashboard with the demo data.",
        icon=":material/info:",
    )

status = runner.status()
buttons = st.columns(2)
run_clicked = buttons[0].button(
    "Run sync", type="primary", icon=":material/sync:", disabled=not configured,
    help="Fetch everything from your Canvas and save it as a new sync.",
)
demo_clicked = buttons[1].button(
    "Load demo data", icon=":material/science:", disabled=state.has_data,
    help="Fill this empty database from the built-in fake Canvas (several syncs a week "
         "apart) through the real sync." if not state.has_data else
         "Demo data goes only into an empty database.",
)
if run_clicked or demo_clicked:
    try:
        started = runner.start("canvas", base_url, token) if run_clicked else runner.start("demo")
    except TrackerError as e:
        common.show_error(e)
    else:
        if not started:
            st.info("A sync is already running; its progress is below.",
                    icon=":material/hourglass_top:")
    status = runner.status()


def _show(status: SyncStatus) -> None:
    if status.running:
        label = "Loading demo data" if status.kind == "demo" else "Syncing with Canvas"
        if status.trigger and status.trigger != "button":
            label += f" (started by the {status.trigger})" if status.trigger != "on open" \
                else " (started when the dashboard was opened)"
        st.progress(status.fraction,
                    text=common.md(f"{label}: {status.step}, {status.message}"))
        st.caption(f"Running for {status.elapsed_seconds:.0f} s. You can leave this page; "
                   "the sync goes on.")
    elif status.phase == "succeeded":
        st.success(common.md(f"Sync finished: {status.summary}"),
                   icon=":material/check_circle:")
    elif status.phase == "failed":
        st.error(common.md(f"Sync failed: {status.error}"), icon=":material/error:")
        st.caption("Nothing was changed: the data on every page is still that of the last "
                   "successful sync.")


@st.fragment(run_every=1.0 if status.running else None)
def progress_panel() -> None:
    """Poll the runner while a sync runs; rerun the whole app once it ends."""
    current = runner.status()
    _show(current)
    if current.running:
        st.session_state["_watching_run"] = current.run_number
    elif st.session_state.get("_watching_run") == current.run_number:
        # This page watched the run end: refresh everything (new data version, history).
        st.session_state["_watching_run"] = None
        st.rerun()


progress_panel()

st.subheader("Schedule")
database = common.database()
current = common.guarded(schedule.get_schedule) or schedule.Schedule()
st.caption(
    "The dashboard can sync by itself while it runs, with the Canvas settings above; the "
    "schedule is kept in the database, so it survives a restart, and a sync is never "
    "started twice. Scheduled syncs fetch only the submissions that changed, with a full sync "
    "now and then. 0 switches a part off."
)
with st.form("schedule"):
    columns = st.columns(3 if database.backend == "ducklake" else 2)
    every = columns[0].number_input(
        "Sync every (hours)", min_value=0.0, max_value=schedule.MAX_HOURS, step=1.0,
        value=float(current.every_hours or 0), help="When the last sync is this old.")
    on_open = columns[1].number_input(
        "Sync on open when older than (hours)", min_value=0.0, max_value=schedule.MAX_HOURS,
        step=1.0, value=float(current.on_open_hours or 0),
        help="When a teacher opens the dashboard and the data is older than this.")
    upkeep = current.upkeep_hours
    if database.backend == "ducklake":
        upkeep = columns[2].number_input(
            "Lake upkeep every (hours)", min_value=0.0, max_value=schedule.MAX_HOURS,
            step=1.0, value=float(current.upkeep_hours or 0),
            help="Expire old snapshots and delete files nothing references any more.")
    full_columns = st.columns(2)
    full_syncs = full_columns[0].number_input(
        "Full sync after (incremental syncs)", min_value=0,
        max_value=schedule.MAX_FULL_EVERY_SYNCS, step=1,
        value=int(current.full_every_syncs or 0),
        help="Scheduled syncs fetch only what changed; every this many, one fetches "
             "everything, which is what notices work and students deleted in Canvas.")
    full_days = full_columns[1].number_input(
        "Full sync every (days)", min_value=0.0, max_value=schedule.MAX_FULL_EVERY_DAYS,
        step=1.0, value=float(current.full_every_days or 0),
        help="A scheduled sync is also full when the last full one is this old.")
    if st.form_submit_button("Save schedule", icon=":material/schedule:"):
        saved = common.guarded(lambda: schedule.save_schedule(
            every, on_open, upkeep, full_syncs, full_days))
        if saved is not None:
            common.flash("Schedule saved.")
            st.rerun()
if current.syncs and not configured:
    st.warning("The schedule is on, but Canvas is not configured, so nothing will sync.")
outcome = common.scheduler().last_outcome
if outcome:
    st.caption(common.md(f"Last scheduled check: {outcome}"))
if database.backend == "ducklake" and st.button("Run lake upkeep now",
                                                icon=":material/cleaning_services:"):
    done = common.guarded(lambda: maintain(database))
    if done is not None:
        st.success(common.md(done.summary()))

st.subheader("Time zone")
zone = common.time_zone()
st.caption(common.md(
    f"Times show in {zone.name} ({preferences.SOURCES[zone.source]}); every heading names "
    "the zone. Canvas itself keeps them in UTC."))
with st.form("time_zone"):
    automatic = f"Automatic ({zone.suggested})"
    names = [automatic, *preferences.known_time_zones()]
    chosen = st.selectbox("Show times in", names,
                          index=names.index(zone.name) if zone.source == "setting" else 0)
    if st.form_submit_button("Save time zone", icon=":material/schedule:"):
        saved = common.guarded(
            lambda: edits.set_time_zone(None if chosen == automatic else chosen) or True)
        if saved:
            common.bump_data_version()
            common.flash("Time zone saved.")
            st.rerun()

st.subheader("Privacy")
smallest = common.min_group_size()
st.caption(common.md(
    f"Medians, means and spreads of groups of fewer than {smallest} students are not shown "
    "on any page, chart, report or download, so no student's score can be worked out from "
    "them on a shared screen or in a file that leaves the school. 1 shows everything."))
with st.form("privacy"):
    size = st.number_input("Smallest group to show", min_value=1, max_value=1000,
                           value=smallest, step=1, key="min_group_size")
    if st.form_submit_button("Save", icon=":material/shield:"):
        saved = common.guarded(lambda: edits.set_min_group_size(int(size)) or True)
        if saved:
            common.bump_data_version()
            common.flash("Smallest group saved.")
            st.rerun()

st.subheader("Data on screen")
if state.has_data:
    synced = state.last_synced_at
    st.text(f"From sync {state.last_sync_id}, finished "
            f"{common.show_time(synced) if synced else 'at an unknown time'}.")
else:
    st.text("None yet.")

st.subheader("History")
# Attempts that never recorded an outcome: a process stopped by force (or one running now).
# Read fresh each run: a process that died changes no data version.
unfinished = sync_status.get_unfinished_attempts(time_zone=common.time_zone().name)
for attempt in unfinished.iter_rows(named=True):
    if attempt["state"] == "running":
        st.caption(common.md(attempt["message"]))
    else:
        st.warning(common.md(attempt["message"]), icon=":material/warning:")
runs = get_recent_runs(50)
if runs.is_empty():
    st.text("No sync has run yet.")
else:
    shown = RUN_COLUMNS
    common.table(runs, column_order=list(shown), column_config=common.column_config(runs, shown))
    common.downloads(runs, shown, "sync-history", key="sync_history")
