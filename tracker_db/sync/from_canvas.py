"""A sync from Canvas: fetch everything with no database transaction open, then write it.

The fetch (``tracker_db.canvas.client``) is most of a sync's time; only the write that follows
(``write.full_canvas_sync``) takes a transaction. An incremental sync fetches only the
submissions that changed since the latest successful sync and completes them from layer 1
(``tracker_db.canvas.incremental``); with no such sync to build on, or one from another
Canvas, it is a full sync and says so. Any failure, fetching or writing, leaves the
database as it was and is recorded in ``ops.sync_runs`` with a readable reason.

Each attempt records its start in ``ops.sync_attempts`` (one small transaction) before it
fetches; whatever records its outcome ends that row, and an interrupt deletes it, so only a
process that died mid-sync leaves one behind (``read_models.sync_status``).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from urllib.parse import urlsplit

from tracker_db.canvas.client import (
    DEFAULT_MAX_IN_FLIGHT,
    CanvasClient,
    ProgressCallback,
    RetryPolicy,
    is_loopback,
)
from tracker_db.canvas.incremental import WATERMARK_OVERLAP, IncrementalPlan, KnownState
from tracker_db.db import Cursor, Sessions, default_database, read_snapshot, using, write
from tracker_db.errors import CanvasAPIError, ConfigError, TrackerError
from tracker_db.store import snapshot, sync_runs, teacher_data
from tracker_db.sync.write import (
    SyncResult,
    full_canvas_sync,
    record_failed_run,
    was_interrupted,
)

log = logging.getLogger(__name__)


def check_source_matches(source: str, *, cur: Cursor | None = None) -> None:
    """Refuse to mix demo data (a Canvas on this machine) with a real Canvas in one file.

    A full sync replaces layer 1, and the fake Canvas's small ids could collide with real
    ones in history: each kind of data belongs in its own database file.

    Raises:
        ConfigError: The database already holds data of the other kind.
    """
    def is_local(url: str) -> bool:
        return is_loopback(urlsplit(url).hostname or "")

    with using(cur) as c:
        other = sorted(s for s in sync_runs.sources(c) if is_local(s) != is_local(source))
    if not other:
        return
    if is_local(source):
        raise ConfigError(
            f"this database already holds data synced from {other[0]}; load the demo into a "
            "separate file instead (TRACKER_DB_PATH=demo.duckdb, or canvas-tracker --db)"
        )
    raise ConfigError(
        "this database holds demo data from the built-in fake Canvas; sync your Canvas into a "
        "new file (TRACKER_DB_PATH=canvas_tracker.duckdb, or canvas-tracker --db)"
    )


def read_known_state(source: str, *, cur: Cursor | None = None) -> tuple[KnownState | None, str]:
    """Read what an incremental sync builds on: the latest successful sync and layer 1, in
    one snapshot.

    Returns:
        ``(state, "")``, or ``(None, why a full sync is needed instead)``.
    """
    with using(cur) as c, read_snapshot(c):
        last = sync_runs.last_successful_run(c)
        if last is None:
            return None, "no earlier sync to build on, so a full sync"
        if last["source"] != source:
            return None, "the latest sync came from another Canvas address, so a full sync"
        return KnownState(
            sync_id=int(last["sync_id"]),
            since=last["started_at"] - WATERMARK_OVERLAP,
            enrollments=snapshot.read_table(c, "enrollments"),
            assignments=snapshot.read_table(c, "assignments"),
            submissions=snapshot.read_table(c, "submissions"),
        ), ""


def make_client(
    base_url: str,
    token: str,
    *,
    max_in_flight: int | None = None,
    retry: RetryPolicy | None = None,
    progress: ProgressCallback | None = None,
) -> CanvasClient:
    """The client a sync fetches with (``max_in_flight`` None: the client's default).

    Raises:
        ConfigError: Bad base URL, token or ``max_in_flight``.
    """
    return CanvasClient(
        base_url, token,
        max_in_flight=DEFAULT_MAX_IN_FLIGHT if max_in_flight is None else max_in_flight,
        retry=retry, progress=progress,
    )


def sync_from_canvas(
    base_url: str,
    token: str,
    *,
    max_in_flight: int | None = None,
    progress: ProgressCallback | None = None,
    retry: RetryPolicy | None = None,
    recorded_at: datetime | None = None,
    cur: Cursor | None = None,
    sessions: Sessions | None = None,
    kind: str = "canvas",
    trigger: str = "",
    attempt_ids: list[str] | None = None,
    incremental: bool = False,
    client: CanvasClient | None = None,
) -> SyncResult:
    """Fetch from Canvas, then write it with ``full_canvas_sync``.

    Courses the teacher switched off (``meta.course_metadata.tracking_enabled`` false) are
    listed but not fetched. Any failure, fetching or writing, leaves the database as it was
    and is recorded in ``ops.sync_runs`` with a readable reason. The database is used in
    three short steps (read what to fetch; fetch with no cursor; write), so with
    ``sessions`` that open a database per use, nothing holds the database during the fetch.

    Args:
        base_url: The institution's Canvas address.
        token: The teacher's access token (never logged, shown or stored).
        max_in_flight: Requests in flight at once (default: the client's).
        progress: Optional ``(step, done, total, message)`` callback.
        retry: Retry settings for the client.
        recorded_at: Time stamped on the history rows (default: the sync's start).
        cur: Cursor to use for every step.
        sessions: Where each step takes a cursor instead (e.g. ``migrate.OpenPerUse``);
            default the process-wide database.
        kind: ``canvas`` or ``demo``, for the attempt's record.
        trigger: What started it (``button``, ``schedule``, ``command line`` ...).
        attempt_ids: If given, the attempt's id is appended before its start is recorded,
            so the caller can ask afterwards (after an interrupt, say) what became of it.
        incremental: Fetch only the submissions that changed since the latest successful
            sync (``tracker_db.canvas.incremental``); a full sync when there is none to
            build on (the result's ``mode`` and summary say which ran).
        client: The client to fetch with, perhaps with its ``sign_in_soon`` under way
            (the command starts it before it opens the database); default
            ``make_client(base_url, token, ...)``.

    Raises:
        ConfigError: Bad base URL or token, or demo data and real data would mix (nothing
            fetched but the token's check and perhaps the course list, nothing recorded).
        DatabaseBusyError: The database could not be opened for a step.
        CanvasAPIError: Canvas refused or failed.
        DataValidationError: Canvas sent data that does not validate.
        SyncError: Writing failed.
        KeyboardInterrupt: Interrupted; the attempt's row is removed, nothing else recorded
            (the write may have committed: ``get_attempt_runs`` tells).
    """
    started_at = datetime.now(UTC)
    attempt_id = sync_runs.new_attempt_id()

    @contextmanager
    def step() -> Iterator[Cursor]:
        if cur is not None:
            yield cur
        else:
            with (sessions or default_database()).session() as c:
                yield c

    client = client or make_client(base_url, token, max_in_flight=max_in_flight, retry=retry,
                                   progress=progress)
    source = client.base_url
    # The token's check and the course list, while the database is read.
    signed_in = client.sign_in_soon()
    plan: IncrementalPlan | None = None
    fallback = ""
    try:
        with step() as c:
            check_source_matches(source, cur=c)
            untracked = teacher_data.untracked_course_ids(c)
            if incremental:
                known, fallback = read_known_state(source, cur=c)
                if known is not None:
                    plan = IncrementalPlan(known, now=started_at)
            if attempt_ids is not None:
                attempt_ids.append(attempt_id)
            write(c, lambda w: sync_runs.start_attempt(
                w, attempt_id, started_at, kind=kind, trigger=trigger))
    except BaseException:
        client.close()  # (stops the course list, if Canvas is still sending it)
        raise
    recorded = False  # whether a transaction has recorded the outcome (and ended the row)
    try:
        try:
            with client:
                data = client.fetch_all(untracked_course_ids=untracked, plan=plan,
                                        signed_in=signed_in)
        except TrackerError as e:
            with step() as c:
                recorded = record_failed_run(
                    c, started_at, source, str(e), attempt_id
                ) is not None
            raise
        except Exception as e:
            if was_interrupted(e):
                raise KeyboardInterrupt from e
            # Anything else from the HTTP stack (an invalid URL, too many redirects ...).
            error = CanvasAPIError(f"fetching from Canvas failed: {type(e).__name__}: {e}")
            with step() as c:
                recorded = record_failed_run(
                    c, started_at, source, str(error), attempt_id
                ) is not None
            raise error from e
        if progress is not None:
            progress("write", 0, 1, "validating and saving")
        with step() as c:
            try:
                result = full_canvas_sync(
                    data, source=source, started_at=started_at, recorded_at=recorded_at,
                    cur=c, attempt_id=attempt_id, plan=plan,
                )
            except TrackerError:
                recorded = True  # it recorded the failure, which ended the row
                raise
            recorded = True
    except BaseException:
        if not recorded:
            # Interrupted, or a step could not open the database: nothing was recorded, and
            # the process is alive to say so itself, so its trace goes. (If an interrupt
            # came after the COMMIT, the row is gone already and this deletes nothing.)
            _end_attempt(step, attempt_id)
        raise
    if fallback:
        result = dataclasses.replace(result, note=fallback)
    if progress is not None:
        progress("write", 1, 1, result.summary())
    return result


def _end_attempt(step: Callable[[], AbstractContextManager[Cursor]], attempt_id: str) -> None:
    try:
        with step() as c:
            write(c, lambda w: sync_runs.end_attempts(w, [attempt_id]))
    except (TrackerError, RuntimeError):
        # The database is unreachable (or DuckDB was interrupted again): the row stays, and
        # status reports an attempt that never finished, which is what happened.
        log.warning("could not remove the record of unfinished sync attempt %s", attempt_id,
                    exc_info=True)
