"""Shared helpers for the dashboard: the one database, the data version, cached reads, and
text that is safe to show.

Not a page itself (``app.py`` lists the pages). Everything that touches data goes through
``tracker_db``; this module only adds Streamlit's caching and rendering around it.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, ParamSpec, TypeVar

import streamlit as st

from tracker_db.archive import read_tables, tables_zip
from tracker_db.config import SETTING_NAMES, Settings, load_settings
from tracker_db.db import Database, set_default_database
from tracker_db.edits import ensure_pseudonym_key
from tracker_db.errors import DatabaseBusyError, DataValidationError, TrackerError
from tracker_db.exports import Column, to_csv, to_parquet
from tracker_db.migrate import open_database
from tracker_db.past_state import PastState, open_past_state
from tracker_db.privacy import Pseudonyms
from tracker_db.read_models.changes import list_comparable_syncs
from tracker_db.read_models.preferences import (
    TimeZoneChoice,
    get_min_group_size,
    get_time_zone,
)
from tracker_db.read_models.progress_report import StudentReport
from tracker_db.read_models.roster import get_known_student_ids
from tracker_db.read_models.sync_status import SyncState, get_sync_state
from tracker_db.sync.control import ControlServer
from tracker_db.sync.runner import get_sync_runner
from tracker_db.sync.schedule import Scheduler
from tracker_db.validation import validate_id

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

STUDENT_PAGE = "pages/student.py"
ASSIGNMENT_PAGE = "pages/assignment.py"
SYNC_PAGE = "pages/sync.py"
METADATA_PAGE = "pages/metadata.py"

# ---------------------------------------------------------------------------------------------
# The database: one connection per process, one cursor per script run


@dataclass
class _Opened:
    """The database and the background services that live as long as it is open."""

    database: Database
    scheduler: Scheduler
    control: ControlServer | None


def _close(opened: _Opened) -> None:
    opened.scheduler.stop()
    if opened.control is not None:
        opened.control.stop()
    opened.database.close()


# A command-line sync holds a DuckDB file for its write (about a second): wait that out.
_BUSY_WAIT_SECONDS = 5.0


@st.cache_resource(show_spinner=False, on_release=_close)
def _open(settings: Settings) -> _Opened:
    # Keyed by the settings, so changed settings (tests) open their own database.
    deadline = time.monotonic() + _BUSY_WAIT_SECONDS
    while True:
        try:
            database = open_database(settings)
            break
        except DatabaseBusyError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.25)
    runner = get_sync_runner()
    # The scheduler (and a file's request socket) start syncs in this process's runner.
    scheduler = Scheduler(database, runner, canvas_settings).start()
    control = None
    if database.backend == "file" and not database.in_memory:
        try:
            control = ControlServer(database, runner, canvas_settings).start()
        except OSError:
            # No control file beside the database (a read-only folder): the dashboard works,
            # but canvas-tracker sync will say the file is held and what to do instead.
            log.warning("cannot take command-line sync requests", exc_info=True)
    return _Opened(database, scheduler, control)


def scheduler() -> Scheduler:
    """Return the running scheduler of this process's database."""
    return _open(storage_settings()).scheduler


def storage_settings() -> Settings:
    """Where the data lives: the environment, else ``.streamlit/secrets.toml`` (the same
    names: ``TRACKER_DB_PATH``, ``TRACKER_LAKE``, ``TRACKER_LAKE_DATA``).

    Raises:
        ConfigError: A value the tracker cannot use.
    """
    environ = dict(os.environ)
    for name in SETTING_NAMES:
        if name not in environ and (value := _secret(name)):
            environ[name] = value
    return load_settings(environ)


def database() -> Database:
    """Return the process's database (opening it on first use) and install it for tracker_db.

    Raises:
        TrackerError: The path is unusable, the file is held by another process, or its
            schema cannot be brought up to date.
    """
    opened = _open(storage_settings()).database
    # tracker_db functions called without cur= (and the sync thread) use this database.
    set_default_database(opened)
    return opened


class _EditCounter:
    """Counts metadata edits in this process (all writes go through it: DuckDB allows one
    writing process per file), so caches keyed on it refresh after every edit."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.value = 0

    def bump(self) -> int:
        with self._lock:
            self.value += 1
            return self.value


@st.cache_resource(show_spinner=False)
def _edit_counter() -> _EditCounter:
    return _EditCounter()


@dataclass(frozen=True)
class DataVersion:
    """What cached reads are keyed on: a new successful sync or a teacher's edit changes it.

    Attributes:
        location: Where the data is (two databases never share cache entries).
        last_sync_id: The latest successful sync.
        edits: Metadata edits made in this process so far.
    """

    location: str
    last_sync_id: int | None
    edits: int

    @property
    def key(self) -> str:
        """A short text form, for widget keys that must reset when the data changes."""
        return f"{self.last_sync_id or 0}-{self.edits}"

    @property
    def label(self) -> str:
        """The version in words, for the sidebar."""
        sync = f"sync {self.last_sync_id}" if self.last_sync_id else "no sync yet"
        return f"{sync}, {self.edits} edit{'' if self.edits == 1 else 's'} since start"


def refresh_state() -> tuple[SyncState, DataVersion]:
    """Read the sync state once per run and remember it (with the data version) for the page.

    The state is one tiny query; reading it every run is what makes caches notice a sync that
    committed in the background.
    """
    opened = database()
    st.session_state["_showing_past"] = None  # until a page that shows the past says so
    if not st.session_state.get("_noticed_open"):
        # A teacher has just opened the dashboard: "sync on open" may be due.
        st.session_state["_noticed_open"] = True
        scheduler().notice_open()
    state = get_sync_state()
    version = DataVersion(opened.location, state.last_sync_id, _edit_counter().value)
    st.session_state["_sync_state"] = state
    st.session_state["_data_version"] = version
    return state, version


def _leave_pages_directory_mode() -> None:
    """Rerun through ``app.py`` if Streamlit ran this page file on its own.

    A folder named ``pages/`` makes Streamlit start in its older multipage mode: until some
    run calls ``st.navigation`` it lists every file in the folder and runs page files
    directly. A deep link as a process's first request (a bookmarked Student page) would
    keep it there, with ``common`` in the menu and no sidebar. Switching the mode off and
    rerunning lets ``app.py`` register the real navigation and then run the same page.
    """
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # a future Streamlit without the older mode
        return
    if not getattr(PagesManager, "uses_pages_directory", False):
        return
    from streamlit import config

    if config.get_option("global.appTest"):  # set by AppTest (st.get_option is not patched)
        # AppTest restores the older mode before every run, and a rerun there would drop
        # the widget events of the run; pages stand on their own instead.
        return
    PagesManager.uses_pages_directory = False
    st.rerun()


def start(*, shows_past: bool = False) -> SyncState:
    """Open the database and read the sync state for this run; every page starts here.

    ``app.py`` does the same before the navigation runs a page; doing it here too keeps a
    page working when Streamlit runs its file directly (see ``_leave_pages_directory_mode``).
    On an unusable database the run stops with the reason on screen.

    Args:
        shows_past: The page can show a past sync's state: when the sidebar asks for one,
            its cached reads read that state, under a banner saying so. Other pages say
            that they show the present.
    """
    _leave_pages_directory_mode()
    try:
        state = refresh_state()[0]
    except TrackerError as e:
        show_error(e, "The database cannot be opened: ")
        st.stop()
        raise  # unreachable: st.stop() raises
    with st.sidebar:
        pseudonyms_control()
        if state.has_data:
            past_sync_control()
    past = chosen_past_sync()
    if past is not None and shows_past:
        st.session_state["_showing_past"] = past
        st.warning(
            f"Showing the state right after sync {past}: scores, grades, enrollments and "
            "charts as they were then (names, notes and tags as they are now). Switch off "
            "**Show a past sync** in the sidebar for today's data.", icon=":material/history:")
    elif past is not None:
        st.info(f"This page shows the present, not sync {past}: a past sync shows on Overview, "
                "Students, Student, Progress and Assignment.", icon=":material/info:")
    return state


def version() -> DataVersion:
    """Return the data version read at the start of this run."""
    current = st.session_state.get("_data_version")
    return current if current is not None else refresh_state()[1]


def bump_data_version() -> None:
    """Record a metadata edit, so every cached read refreshes on the next run."""
    _edit_counter().bump()
    st.session_state.pop("_data_version", None)
    st.session_state.pop("_sync_state", None)


_READ_MODELS = "tracker_db.read_models."


@st.cache_data(show_spinner=False, max_entries=256)
def _cached_call(
    read: str, data_version: DataVersion, args: tuple[Any, ...],
    kwargs: tuple[tuple[str, Any], ...], _function: Callable[..., Any],
) -> Any:
    # The key is the read's name, the data version and the arguments: a new version means a
    # fresh read. The leading underscore keeps the function itself out of the key.
    return _function(*args, **dict(kwargs))


@st.cache_resource(show_spinner="Rebuilding that sync's state...", max_entries=2)
def _past_state(sync_id: int, data_version: DataVersion) -> PastState:
    # Rebuilt when the data changes (a sync or an edit): teachers' data is today's. Not
    # closed when dropped from the cache: another session's run may still read it, and the
    # memory goes when the last cursor on it does.
    return open_past_state(sync_id)


@st.cache_data(show_spinner=False, max_entries=2)
def _past_zip(sync_id: int, data_version: DataVersion) -> bytes:
    with _past_state(sync_id, data_version).session() as cur:
        return tables_zip(read_tables(cur), f"canvas-tracker-sync-{sync_id}")


@st.cache_data(show_spinner=False, max_entries=256)
def _cached_past_call(
    read: str, data_version: DataVersion, sync_id: int, args: tuple[Any, ...],
    kwargs: tuple[tuple[str, Any], ...], _function: Callable[..., Any],
) -> Any:
    with _past_state(sync_id, data_version).session() as cur:
        return _function(*args, cur=cur, **dict(kwargs))


def cached(function: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """Call a read model function through a cache keyed on the data version; on a page
    showing a past sync (``start(shows_past=True)``), read that sync's state instead.

    Args:
        function: A function of ``tracker_db.read_models`` (nothing that writes).
        *args: Its arguments (hashable by Streamlit).
        **kwargs: Its keyword arguments.

    Raises:
        ValueError: ``function`` is not a read model function.
    """
    module = getattr(function, "__module__", "") or ""
    if not module.startswith(_READ_MODELS):
        raise ValueError(f"{function!r} is not a read model function: only reads are cached")
    read = f"{module}.{function.__qualname__}"
    past = st.session_state.get("_showing_past")
    if past is not None:
        return _cached_past_call(read, version(), past, args, tuple(sorted(kwargs.items())),
                                 function)
    return _cached_call(read, version(), args, tuple(sorted(kwargs.items())), function)


def showing_past() -> bool:
    """Whether this run's page shows a past sync (its cached reads read that state)."""
    return st.session_state.get("_showing_past") is not None


def chosen_past_sync() -> int | None:
    """The past sync the sidebar asks pages to show, or None for the present."""
    if not st.session_state.get("past_on"):
        return None
    chosen = st.session_state.get("past_sync")
    return int(chosen) if chosen is not None else None


def _keep(widget_key: str, stored_key: str) -> Callable[[], None]:
    def keep() -> None:
        st.session_state[stored_key] = st.session_state[widget_key]
    return keep


def past_sync_control() -> None:
    """The sidebar's "Show a past sync" switch and the sync to show (off by default).

    Each page draws it, so the choice lives in keys of its own ("past_on", "past_sync"):
    Streamlit forgets a widget's value when another page draws it anew.
    """
    syncs = cached(list_comparable_syncs)
    if syncs.height < 2:
        st.session_state["past_on"] = False
        return
    st.session_state["past_on_widget"] = bool(st.session_state.get("past_on"))
    st.toggle("Show a past sync", key="past_on_widget",
              on_change=_keep("past_on_widget", "past_on"),
              help="Overview, Students, Student, Progress and Assignment as they were right "
                   "after an earlier sync, rebuilt from the history.")
    if not st.session_state.get("past_on"):
        return
    dated = dict(zip(syncs["sync_id"].to_list(), syncs["dated_at"].to_list(), strict=True))
    earlier = list(dated)[1:]  # the latest is the present
    if st.session_state.get("past_sync") not in earlier:
        st.session_state["past_sync"] = earlier[0]
    st.session_state["past_sync_widget"] = st.session_state["past_sync"]
    st.selectbox("Sync to show", earlier, key="past_sync_widget",
                 on_change=_keep("past_sync_widget", "past_sync"),
                 format_func=lambda i: f"Sync {i} · {show_time(dated[i])}")
    # The ZIP is made only when asked for (a program's state is millions of rows), then
    # offered as an ordinary download; it is kept while the data and the sync stay the same.
    wanted = (int(st.session_state["past_sync"]), version())
    if pseudonyms() is not None:
        # Every table whole, names and ids included: not a file pseudonyms can cover.
        st.caption("Switch pseudonyms off to download this state.")
        return
    if st.button("Prepare a download of this state", key="past_zip_prepare",
                 icon=":material/folder_zip:",
                 help="Every table of that sync's state, as CSV files (safe to open in a "
                      "spreadsheet) in a ZIP file."):
        st.session_state["_past_zip_for"] = wanted
    if st.session_state.get("_past_zip_for") == wanted:
        st.download_button(
            "Download this state", data=_past_zip(*wanted),
            file_name=f"canvas-tracker-sync-{wanted[0]}.zip", mime="application/zip",
            icon=":material/download:", on_click="ignore")


# ---------------------------------------------------------------------------------------------
# Canvas settings: the token is read here and handed to the sync, nothing else


def _secret(name: str) -> str | None:
    try:
        value = st.secrets.get(name)
    except Exception:  # no secrets.toml at all: Streamlit raises rather than returning None
        return None
    return str(value) if value else None


def canvas_settings() -> tuple[str | None, str | None]:
    """Return ``(base_url, token)`` from the environment or ``.streamlit/secrets.toml``.

    The environment wins. Callers may show the base URL and whether a token is set, never
    the token itself.
    """
    base_url = os.environ.get("CANVAS_BASE_URL") or _secret("CANVAS_BASE_URL")
    token = os.environ.get("CANVAS_TOKEN") or _secret("CANVAS_TOKEN")
    return (base_url or None), (token or None)


# ---------------------------------------------------------------------------------------------
# Safe text: Canvas names are untrusted and must never be interpreted as markup

# Every ASCII punctuation character Markdown (or GitHub's autolinks: @ / :) may act on.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=&\"'@/%^;,?])")


# GitHub-flavoured Markdown turns bare addresses into links even when every character is
# escaped ("https://", "www.", "name@host"): an invisible word joiner breaks each pattern.
_WORD_JOINER = "\u2060"
_AUTOLINKS = re.compile(r"(?<=:)(?=//)|(?<=[wW])(?=[wW]{2}\.)|(?=@)")


def md(text: object) -> str:
    """Return ``text`` with every Markdown-special character escaped and every bare address
    broken, for widgets that render Markdown (titles, captions, alerts, labels): the text
    then shows literally, and never as a link, an image or a mail link."""
    value = "" if text is None else " ".join(str(text).split())
    value = _AUTOLINKS.sub(_WORD_JOINER, value)
    return _MARKDOWN_SPECIAL.sub(r"\\\1", value)


# ---------------------------------------------------------------------------------------------
# Tables and times: every page shows them the same way

#: What an empty cell shows (never "None").
EMPTY = "\u2013"  # an en dash
_ROW_PIXELS = 35  # Streamlit's default row height (the header row too)
#: The tallest table: about a screen, so a long list uses the page instead of ten rows.
MAX_TABLE_PIXELS = 700


def table_height(rows: int) -> int:
    """Pixels a table of ``rows`` rows needs to show them all, up to ``MAX_TABLE_PIXELS``."""
    return min(_ROW_PIXELS * (max(rows, 1) + 1) + 3, MAX_TABLE_PIXELS)


def table(frame: Any, **options: Any) -> Any:
    """Show a read-only table the way every page does: the page's width, as tall as its rows
    (up to about a screen), empty cells as a dash, no index. Options go to ``st.dataframe``."""
    options.setdefault("hide_index", True)
    options.setdefault("placeholder", EMPTY)
    options.setdefault("width", "stretch")
    options.setdefault("height", table_height(len(frame)))
    return st.dataframe(shown(frame), **options)


def downloads(frame: Any, columns: Mapping[str, Column], name: str, *, key: str) -> None:
    """Offer a table as shown, as CSV (safe to open in a spreadsheet) and as Parquet.

    Args:
        frame: The rows shown.
        columns: The columns shown, with their headings (the read model's).
        name: The file name without its extension.
        key: A prefix for the buttons' keys, unique on the page.
    """
    frame = shown(frame)
    row = st.container(horizontal=True)
    # The files are made only when a button is pressed (a table can be long).
    row.download_button(
        "Download CSV", data=lambda: to_csv(frame, columns), file_name=f"{name}.csv",
        mime="text/csv", icon=":material/download:", key=f"{key}_csv", on_click="ignore",
        help="The rows and columns shown, with the same headings.")
    row.download_button(
        "Parquet", data=lambda: to_parquet(frame, columns), file_name=f"{name}.parquet",
        mime="application/vnd.apache.parquet", icon=":material/download:",
        key=f"{key}_parquet", on_click="ignore",
        help="The same rows as a Parquet file, values unrounded, for analysis.")


def editor(frame: Any, **options: Any) -> Any:
    """Show an editable table like ``table``. Its columns never validate or clamp what is
    typed (a value the browser refused would vanish silently): the save checks every value
    and refuses with the row and the reason. Options go to ``st.data_editor``."""
    options.setdefault("hide_index", True)
    options.setdefault("placeholder", EMPTY)
    options.setdefault("width", "stretch")
    extra_rows = 1 if options.get("num_rows") == "dynamic" else 0
    options.setdefault("height", table_height(len(frame) + extra_rows))
    return st.data_editor(frame, **options)


def min_group_size() -> int:
    """Return the smallest group whose medians and spreads this run shows (the setting)."""
    return cached(get_min_group_size)


PSEUDONYMS_HELP = ("Show students by stable pseudonyms instead of names and Canvas ids, on "
                   "every page, chart, report and download: for a shared screen, or files "
                   "that leave the school. Notes and messages are hidden meanwhile.")


@st.cache_resource(show_spinner=False)
def _pseudonym_key(location: str) -> str:
    # Made once per database (``ops.settings``); the location keys the cache per database.
    return ensure_pseudonym_key()


def pseudonyms() -> Pseudonyms | None:
    """The pseudonyms this run shows students by (the sidebar's switch), or None."""
    if not st.session_state.get("pseudonyms_on"):
        return None
    return Pseudonyms(_pseudonym_key(database().location))


def shown(frame: Any) -> Any:
    """``frame`` as this run may show it: with pseudonyms when they are on."""
    masks = pseudonyms()
    return masks.frame(frame) if masks is not None and frame is not None else frame


def person(student_id: int, name: str | None) -> str:
    """A student's name as this run may show it (the pseudonym when they are on)."""
    masks = pseudonyms()
    if masks is not None:
        return masks.name(student_id)
    return name or f"student {student_id}"


def shown_report(report: StudentReport) -> StudentReport:
    """A progress report as this run may show it: with pseudonyms when they are on (and
    then without notes, which may name the student)."""
    masks = pseudonyms()
    if masks is None:
        return report
    return replace(report, student_id=masks.number(report.student_id),
                   name=masks.name(report.student_id), notes=report.notes.clear())


def pseudonyms_control() -> None:
    """The sidebar's "Pseudonyms" switch (each page draws it, through ``start``; the choice
    lives in a key of its own, as the past sync's does)."""
    st.session_state["pseudonyms_widget"] = bool(st.session_state.get("pseudonyms_on"))
    st.toggle("Pseudonyms", key="pseudonyms_widget", help=PSEUDONYMS_HELP,
              on_change=_keep("pseudonyms_widget", "pseudonyms_on"))


def time_zone() -> TimeZoneChoice:
    """Return the zone this run shows times in (the setting, the courses', the browser's)."""
    browser = getattr(st.context, "timezone", None)
    return cached(get_time_zone, browser if isinstance(browser, str) else None)


def time_column(label: str, *, date_only: bool = False, **options: Any) -> Any:
    """A table column of times, shown in the teacher's zone, named in the heading.

    Args:
        label: The heading, without the zone ("Due").
        date_only: Show the day only.
        **options: More ``DatetimeColumn`` options (help, width).
    """
    zone = time_zone().name
    return st.column_config.DatetimeColumn(
        f"{label} ({zone})", timezone=zone,
        format="YYYY-MM-DD" if date_only else "YYYY-MM-DD HH:mm", **options)


def column_config(
    frame: Any, columns: Mapping[str, Column], *, formats: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The ``st.column_config`` of a read model's columns, each by its type in ``frame``:
    times in the teacher's zone, booleans as checkboxes, numbers to the decimals the read
    model gives (ids without separators), the rest as text.

    Args:
        frame: The rows shown (for the columns' types).
        columns: The read model's columns, with their headings, widths and help.
        formats: A number format for some columns ("%.1f%%"), over the default.
    """
    formats = formats or {}
    config: dict[str, Any] = {}
    for name, column in columns.items():
        dtype = frame.schema[name]
        options: dict[str, Any] = {"width": column.width, "help": column.help}
        if dtype.is_temporal():
            config[name] = time_column(column.label, **options)
        elif str(dtype) == "Boolean":
            config[name] = st.column_config.CheckboxColumn(column.label, **options)
        elif dtype.is_numeric():
            shown = formats.get(name) or (
                "%d" if name.endswith("_id") or name == "sync_id"
                else f"%.{column.decimals}f" if column.decimals is not None else None)
            config[name] = st.column_config.NumberColumn(column.label, format=shown, **options)
        else:
            config[name] = st.column_config.TextColumn(column.label, **options)
    return config


def show_time(moment: Any) -> str:
    """A moment as text in the teacher's zone, the zone named."""
    return time_zone().format(moment)


def show_error(error: BaseException, prefix: str = "") -> None:
    """Show a tracker error in words (escaped: messages may quote Canvas names)."""
    st.error(md(f"{prefix}{error}"), icon=":material/error:")


def flash(message: str) -> None:
    """Remember a success message to show after the next rerun."""
    st.session_state["_flash"] = message


def show_flash() -> None:
    """Show (once) a message remembered with ``flash``."""
    message = st.session_state.pop("_flash", None)
    if message:
        st.success(md(message), icon=":material/check_circle:")


def require_data(state: SyncState, what: str) -> bool:
    """Before the first sync, say what to do next instead of an empty page.

    Args:
        state: The sync state of this run.
        what: What the page would show, for the message ("the course overview" ...).

    Returns:
        Whether there is data to show.
    """
    if state.has_data:
        return True
    st.info(
        f"No data yet, so there is no {what} to show. Open the **Sync** page and run a sync "
        "with your Canvas, or load the demo data with one click.",
        icon=":material/info:",
    )
    st.page_link(SYNC_PAGE, label="Go to the Sync page", icon=":material/sync:")
    return False


def selection_key(table: str) -> str:
    """Return the widget key of a selectable table; it changes once a row opened a student,
    so coming back to the page does not open them again."""
    return f"{table}_{st.session_state.get(f'_generation_{table}', 0)}"


def _open_page(page: str, query_params: dict[str, str], table: str | None) -> None:
    if table is not None:
        # The table's widget key changes, so coming back does not open the same row again.
        counter = f"_generation_{table}"
        st.session_state[counter] = st.session_state.get(counter, 0) + 1
    st.switch_page(page, query_params=query_params)


def student_link(student_id: int) -> dict[str, str]:
    """The query parameters of a link to one student's page: their Canvas id, or while
    pseudonyms are on, their pseudonym number (so the address bar shows no Canvas id)."""
    masks = pseudonyms()
    if masks is None:
        return {"student_id": str(int(student_id))}
    return {"pseudonym": str(masks.number(student_id))}


def linked_student() -> int | None:
    """The Canvas id of the student the URL names (``?student_id=`` or ``?pseudonym=``), or
    None; the URL is rewritten to the form the pseudonym switch calls for. A value that
    names nobody is named in a warning."""
    if "pseudonym" in st.query_params:
        number = query_id("pseudonym", "pseudonym number")
        # Resolved whether or not pseudonyms are on now: a link made while they were.
        masks = Pseudonyms(_pseudonym_key(database().location))
        student_id = None if number is None else masks.find(
            number, cached(get_known_student_ids))
        if number is not None and student_id is None:
            st.warning(f"No student has the pseudonym number {number}.",
                       icon=":material/warning:")
    else:
        student_id = query_id("student_id")
    if student_id is not None and st.query_params.to_dict() != student_link(student_id):
        st.query_params.from_dict(student_link(student_id))
    return student_id


def open_student(student_id: int, table: str | None = None) -> None:
    """Open the Student page for one student (its URL carries the id, see ``student_link``).

    Args:
        student_id: Canvas user id.
        table: The selectable table the choice came from (see ``selection_key``).
    """
    _open_page(STUDENT_PAGE, student_link(student_id), table)


def open_assignment(assignment_id: int, table: str | None = None) -> None:
    """Open the Assignment page for one assignment (its URL carries the id).

    Args:
        assignment_id: Canvas assignment id.
        table: The selectable table the choice came from (see ``selection_key``).
    """
    _open_page(ASSIGNMENT_PAGE, {"assignment_id": str(int(assignment_id))}, table)


def query_id(name: str, what: str | None = None) -> int | None:
    """The id a URL parameter carries (``?assignment_id=42``), or None; a value that is no
    id is named in a warning (as "not a valid ``what``", by default the parameter's name)
    and ignored."""
    raw = st.query_params.get(name)
    if raw is None:
        return None
    what = what or f"{name.removesuffix('_id').replace('_', ' ')} id"
    try:
        return validate_id(raw, what)
    except DataValidationError:
        st.warning(f"{md(raw)} is not a valid {what}.", icon=":material/warning:")
        return None


def guarded(action: Callable[[], Any], prefix: str = "") -> Any:
    """Run ``action``; show a tracker error in words instead of raising it."""
    try:
        return action()
    except TrackerError as e:
        show_error(e, prefix)
        return None
