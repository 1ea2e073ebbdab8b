"""Syncs the dashboard runs by itself: every N hours, and when a teacher opens it on data
older than N hours; and, on DuckLake, the lake's upkeep.

Scheduled syncs are incremental (only changed submissions are fetched), except that every
``full_every_syncs`` incrementals or ``full_every_days`` days one is a full sync: full syncs
are the source of truth for deletions, which an incremental cannot see.

The schedule is kept in the database (``ops.settings``), so it survives a restart and every
process sharing the database sees the same one; it is off by default. A due sync is
*claimed* in a write transaction before it starts (the claim holds for ``CLAIM_LEASE``), so
neither two dashboards on one lake nor two checks in one process start a second sync, and a
sync that keeps failing is not retried more often than that.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from tracker_db.db import Cursor, Database, one_row, sql_file, using, write
from tracker_db.errors import DataValidationError, TrackerError
from tracker_db.maintenance import maintain
from tracker_db.store import settings as stored_settings
from tracker_db.store import sync_runs
from tracker_db.sync.runner import SyncRunner

log = logging.getLogger(__name__)

_SQL = sql_file("sync/schedule")

EVERY_HOURS = "schedule.every_hours"
ON_OPEN_HOURS = "schedule.on_open_hours"
UPKEEP_HOURS = "upkeep.every_hours"
FULL_EVERY_SYNCS = "schedule.full_every_syncs"
FULL_EVERY_DAYS = "schedule.full_every_days"
CLAIMED_AT = "schedule.claimed_at"
UPKEEP_AT = "upkeep.last_run_at"

#: A claimed sync is not claimed again for this long (it runs, or it failed: then wait).
CLAIM_LEASE = timedelta(minutes=30)
#: How often the dashboard looks whether something is due.
CHECK_SECONDS = 60.0
#: Upkeep of a lake, when nobody chose otherwise.
DEFAULT_UPKEEP_HOURS = 24.0
MAX_HOURS = 24.0 * 31
#: A scheduled full sync after this many incrementals, or this many days, by default.
DEFAULT_FULL_EVERY_SYNCS = 12
DEFAULT_FULL_EVERY_DAYS = 7.0
MAX_FULL_EVERY_SYNCS = 1000
MAX_FULL_EVERY_DAYS = 90.0

Trigger = Literal["schedule", "on open"]


@dataclass(frozen=True)
class Schedule:
    """When the dashboard syncs (and tidies a lake) by itself; None means "off".

    Attributes:
        every_hours: Sync when the last successful sync is this many hours old.
        on_open_hours: When a teacher opens the dashboard, sync if the data is older.
        upkeep_hours: On DuckLake, run ``maintenance.maintain`` this often.
        full_every_syncs: A scheduled sync is full after this many incremental ones.
        full_every_days: ... or when the last full sync is this many days old.
    """

    every_hours: float | None = None
    on_open_hours: float | None = None
    upkeep_hours: float | None = DEFAULT_UPKEEP_HOURS
    full_every_syncs: int | None = DEFAULT_FULL_EVERY_SYNCS
    full_every_days: float | None = DEFAULT_FULL_EVERY_DAYS

    @property
    def syncs(self) -> bool:
        """Whether any scheduled sync is on."""
        return self.every_hours is not None or self.on_open_hours is not None


def _hours(value: object, what: str) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        hours = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise DataValidationError(f"{what} must be a number of hours, got {value!r}") from None
    if hours == 0:
        return None  # 0 switches it off
    if not 0.25 <= hours <= MAX_HOURS:
        raise DataValidationError(
            f"{what} must be from 0.25 to {MAX_HOURS:g} hours (0 for off), got {value!r}"
        )
    return hours


def _count(value: object, what: str, low: float, high: float, unit: str) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise DataValidationError(f"{what} must be a number of {unit}, got {value!r}") from None
    if number == 0:
        return None  # 0 switches it off
    if not low <= number <= high or (unit == "syncs" and not number.is_integer()):
        raise DataValidationError(
            f"{what} must be {'a whole number ' if unit == 'syncs' else ''}from {low:g} to "
            f"{high:g} {unit} (0 for off), got {value!r}"
        )
    return number


def _full_cadence(syncs: object, days: object) -> tuple[int | None, float | None]:
    every_syncs = _count(syncs, "Full sync after", 1, MAX_FULL_EVERY_SYNCS, "syncs")
    every_days = _count(days, "Full sync every", 0.25, MAX_FULL_EVERY_DAYS, "days")
    if every_syncs is None and every_days is None:
        raise DataValidationError(
            "a scheduled full sync is needed now and then (only a full sync sees what was "
            "deleted in Canvas): set 'Full sync after' or 'Full sync every' above 0"
        )
    return (None if every_syncs is None else int(every_syncs)), every_days


def _text(hours: float | None) -> str:
    return "0" if hours is None else f"{hours:g}"


def read_schedule(cur: Cursor) -> Schedule:
    """Return the schedule stored in the database (the defaults where nothing is)."""
    values = stored_settings.read_settings(cur)
    upkeep = values.get(UPKEEP_HOURS)
    full_syncs, full_days = _full_cadence(
        values.get(FULL_EVERY_SYNCS, DEFAULT_FULL_EVERY_SYNCS),
        values.get(FULL_EVERY_DAYS, DEFAULT_FULL_EVERY_DAYS),
    )
    return Schedule(
        every_hours=_hours(values.get(EVERY_HOURS), "every"),
        on_open_hours=_hours(values.get(ON_OPEN_HOURS), "on open"),
        upkeep_hours=DEFAULT_UPKEEP_HOURS if upkeep is None else _hours(upkeep, "upkeep"),
        full_every_syncs=full_syncs,
        full_every_days=full_days,
    )


def get_schedule(*, cur: Cursor | None = None) -> Schedule:
    """Return the stored schedule (see ``read_schedule``)."""
    with using(cur) as c:
        return read_schedule(c)


def save_schedule(
    every_hours: object = None,
    on_open_hours: object = None,
    upkeep_hours: object = DEFAULT_UPKEEP_HOURS,
    full_every_syncs: object = DEFAULT_FULL_EVERY_SYNCS,
    full_every_days: object = DEFAULT_FULL_EVERY_DAYS,
    *,
    cur: Cursor | None = None,
) -> Schedule:
    """Validate and store the schedule (None or 0 switches a part off).

    Args:
        every_hours: Sync when the data is this many hours old.
        on_open_hours: Sync when a teacher opens the dashboard on data this old.
        upkeep_hours: Lake upkeep this often.
        full_every_syncs: A scheduled sync is full after this many incrementals (1-1000).
        full_every_days: ... or when the last full sync is this many days old (0.25-90).

    Raises:
        DataValidationError: A value out of its range, naming it; or both full-sync
            settings off (deletions in Canvas would never be seen).
    """
    full_syncs, full_days = _full_cadence(full_every_syncs, full_every_days)
    schedule = Schedule(
        every_hours=_hours(every_hours, "Sync every"),
        on_open_hours=_hours(on_open_hours, "Sync on open"),
        upkeep_hours=_hours(upkeep_hours, "Lake upkeep every"),
        full_every_syncs=full_syncs,
        full_every_days=full_days,
    )
    values = {EVERY_HOURS: _text(schedule.every_hours),
              ON_OPEN_HOURS: _text(schedule.on_open_hours),
              UPKEEP_HOURS: _text(schedule.upkeep_hours),
              FULL_EVERY_SYNCS: _text(schedule.full_every_syncs),
              FULL_EVERY_DAYS: _text(schedule.full_every_days)}
    with using(cur) as c:
        write(c, lambda c: stored_settings.write_settings(c, values))
    return schedule


def _moment(value: object) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def due_reason(
    schedule: Schedule,
    last_synced_at: datetime | None,
    now: datetime,
    trigger: Trigger,
) -> str | None:
    """Say why a sync is due now, or None when it is not.

    Args:
        schedule: The schedule.
        last_synced_at: When the last successful sync finished (None: never).
        now: The present.
        trigger: ``schedule`` (the periodic check) or ``on open`` (a teacher opened it).
    """
    hours = schedule.every_hours if trigger == "schedule" else schedule.on_open_hours
    if hours is None:
        return None
    if last_synced_at is None:
        return f"{trigger}: no successful sync yet"
    age = now - last_synced_at
    if age < timedelta(hours=hours):
        return None
    return f"{trigger}: the data is {age.total_seconds() / 3600:.1f} hours old (limit {hours:g})"


def full_sync_reason(schedule: Schedule, *, cur: Cursor | None = None,
                     now: datetime | None = None) -> str | None:
    """Say why the next scheduled sync must be a full one, or None for an incremental.

    Args:
        schedule: The schedule (its ``full_every_*`` settings).
        cur: Cursor to read the sync runs with.
        now: The present.
    """
    now = now or datetime.now(UTC)
    with using(cur) as c:
        last_full_at, incrementals = sync_runs.full_sync_cadence(c)
    if last_full_at is None:
        return "no full sync yet"
    if schedule.full_every_syncs is not None and incrementals >= schedule.full_every_syncs:
        return f"{incrementals} incremental syncs since the last full one"
    if schedule.full_every_days is not None:
        age = now - last_full_at
        if age >= timedelta(days=schedule.full_every_days):
            return f"the last full sync is {age.total_seconds() / 86400:.1f} days old"
    return None


def claim_sync(cur: Cursor, trigger: Trigger, now: datetime | None = None) -> str | None:
    """Claim a due scheduled sync, in one write transaction; return why it is due, or None.

    Only one claim holds at a time (for ``CLAIM_LEASE``), across every process sharing the
    database: two that check at once conflict, and the one tried again finds the claim.
    """
    now = now or datetime.now(UTC)

    def reason(c: Cursor) -> str | None:
        claimed = _moment(stored_settings.read_settings(c).get(CLAIMED_AT))
        if claimed is not None and now - claimed < CLAIM_LEASE:
            return None
        last = (one_row(c, _SQL["last_synced_at"]) or {}).get("last_synced_at")
        return due_reason(read_schedule(c), last, now, trigger)

    def claim(c: Cursor) -> str | None:
        due = reason(c)  # again inside the transaction: another process may have claimed it
        if due is not None:
            stored_settings.write_settings(c, {CLAIMED_AT: now.isoformat()})
        return due

    # Read first: a check that finds nothing due writes nothing (no snapshot on a lake).
    return write(cur, claim) if reason(cur) is not None else None


def claim_upkeep(cur: Cursor, now: datetime | None = None) -> bool:
    """Claim the lake's upkeep when it is due (as ``claim_sync`` does for syncs)."""
    now = now or datetime.now(UTC)

    def due(c: Cursor) -> bool:
        hours = read_schedule(c).upkeep_hours
        last = _moment(stored_settings.read_settings(c).get(UPKEEP_AT))
        return hours is not None and (last is None or now - last >= timedelta(hours=hours))

    def claim(c: Cursor) -> bool:
        if not due(c):
            return False
        stored_settings.write_settings(c, {UPKEEP_AT: now.isoformat()})
        return True

    return due(cur) and write(cur, claim)


class Scheduler:
    """The dashboard's own clock: a daemon thread that starts due syncs and upkeep.

    Args:
        database: The dashboard's database.
        runner: Starts the syncs (one at a time per process).
        canvas_settings: Returns ``(base_url, token)`` when a sync starts (the token is read
            then, never kept).
        interval: Seconds between two checks.
    """

    def __init__(
        self,
        database: Database,
        runner: SyncRunner,
        canvas_settings: Callable[[], tuple[str | None, str | None]],
        *,
        interval: float = CHECK_SECONDS,
    ) -> None:
        self.database = database
        self.runner = runner
        self.canvas_settings = canvas_settings
        self.interval = interval
        self.last_outcome = ""
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._opened = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Scheduler:
        """Start the thread (idempotent)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="tracker-scheduler",
                                            daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the thread (a running sync goes on)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None

    def notice_open(self) -> None:
        """A teacher opened the dashboard: check "on open" soon (without blocking the page)."""
        self._opened.set()
        self._wake.set()

    def check(self, trigger: Trigger = "schedule") -> str:
        """Check once: start a due sync, run due upkeep; return what happened, in words."""
        outcomes = []
        if not self.runner.status().running:
            base_url, token = self.canvas_settings()
            if base_url and token:
                with self.database.session() as cur:
                    reason = claim_sync(cur, trigger)
                    full = None if reason is None else full_sync_reason(
                        read_schedule(cur), cur=cur)
                if reason is not None:
                    started = self.runner.start("canvas", base_url, token, trigger=trigger,
                                                incremental=full is None)
                    kind = "a full sync" if full else "an incremental sync"
                    why = f"{reason}; full: {full}" if full else reason
                    outcomes.append(f"started {kind} ({why})" if started
                                    else "a sync was already running")
        if self.database.backend == "ducklake":
            with self.database.session() as cur:
                due = claim_upkeep(cur)
            if due:
                outcomes.append(f"upkeep: {maintain(self.database).summary()}")
        self.last_outcome = "; ".join(outcomes) or "nothing was due"
        return self.last_outcome

    def _loop(self) -> None:
        # The first look comes after one interval (or when a teacher opens the dashboard),
        # so opening a database never starts work at once.
        while True:
            self._wake.wait(self.interval)
            self._wake.clear()
            if self._stop.is_set():
                return
            trigger: Trigger = "on open" if self._opened.is_set() else "schedule"
            self._opened.clear()
            try:
                outcome = self.check(trigger)
                if outcome != "nothing was due":
                    log.info("scheduler: %s", outcome)
            except TrackerError as e:
                self.last_outcome = f"the scheduled check failed: {e}"
                log.warning("%s", self.last_outcome)
            except Exception:  # the clock must keep ticking
                self.last_outcome = "the scheduled check failed unexpectedly (see the log)"
                log.exception("scheduler check failed")
