"""Run syncs in the background, one at a time per process.

The dashboard starts syncs from a button, but a sync must outlive the page that started it:
a teacher may leave the page, close the tab, or click again, and another teacher may click
too. So a sync runs in a daemon thread owned by a process-wide ``SyncRunner`` (see
``get_sync_runner``), never by a browser session; a lock lets exactly one run at a time, and
pages poll ``status()`` for an immutable snapshot of its progress and outcome.

The thread uses its own cursor of the process-wide ``Database``, so pages keep reading
the previous data (DuckDB's MVCC) until the sync commits, and a failed sync changes nothing.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Literal

from tracker_db.canvas.client import ProgressCallback, RetryPolicy
from tracker_db.db import Cursor, Database, default_database
from tracker_db.errors import ConfigError, TrackerError
from tracker_db.sync.from_canvas import sync_from_canvas

log = logging.getLogger(__name__)

SyncKind = Literal["canvas", "demo"]
SyncPhase = Literal["idle", "running", "succeeded", "failed"]
#: A job runs one sync kind: (progress callback, cursor) -> summary text.
Job = Callable[[ProgressCallback, Cursor], str]


@dataclass(frozen=True)
class SyncStatus:
    """An immutable snapshot of the runner.

    Attributes:
        run_number: Counts started runs in this process (0: none yet); a page compares it
            with the one it last saw to notice a new outcome.
        phase: ``idle`` (never ran), ``running``, ``succeeded`` or ``failed`` (the latest run).
        kind: ``canvas`` or ``demo`` for the latest run.
        trigger: What started it: ``button``, ``schedule``, ``on open``, ``command line``.
        step: The latest progress step (``connect``, ``fetch``, ``write``, ``demo`` ...).
        done: Progress within the step.
        total: Size of the step (0 when unknown).
        message: The latest progress message, for people.
        started_at: When the latest run started (UTC).
        finished_at: When it ended, None while running.
        summary: What a successful run wrote, in words.
        error: Why a failed run failed, in words (never contains the token).
    """

    run_number: int = 0
    phase: SyncPhase = "idle"
    kind: SyncKind | None = None
    trigger: str = ""
    step: str = ""
    done: int = 0
    total: int = 0
    message: str = ""
    started_at: datetime | None = None
    finished_at: datetime | None = None
    summary: str | None = None
    error: str | None = None

    @property
    def running(self) -> bool:
        """Whether a sync is running now."""
        return self.phase == "running"

    @property
    def fraction(self) -> float:
        """Progress within the current step, 0 to 1."""
        if self.total <= 0:
            return 0.0
        return max(0.0, min(1.0, self.done / self.total))

    @property
    def elapsed_seconds(self) -> float:
        """Seconds since the run started (until it ended)."""
        if self.started_at is None:
            return 0.0
        end = self.finished_at or datetime.now(UTC)
        return max(0.0, (end - self.started_at).total_seconds())


def _canvas_job(
    base_url: str, token: str, retry: RetryPolicy | None, trigger: str, incremental: bool
) -> Job:
    def run(progress: ProgressCallback, cur: Cursor) -> str:
        return sync_from_canvas(
            base_url, token, progress=progress, retry=retry, cur=cur, trigger=trigger,
            incremental=incremental,
        ).summary()

    return run


def _demo_job(syncs: int, trigger: str) -> Job:
    def run(progress: ProgressCallback, cur: Cursor) -> str:
        # The demo needs the fake Canvas, which nothing else in the app loads. It refuses a
        # database that holds a sync already (the command line's demo shares the check).
        from tracker_db.sync.demo import load_demo_data

        results = load_demo_data(syncs=syncs, progress=progress, cur=cur, trigger=trigger)
        return f"demo data loaded with {len(results)} syncs; the last one: {results[-1].summary()}"

    return run


class SyncRunner:
    """Runs at most one sync at a time in a background thread, and reports on it.

    Args:
        manager: Database to sync into; default the process-wide one at start time.
        retry: Retry settings for the Canvas client (tests shorten the backoff).
        demo_syncs: Syncs the demo loader runs.
    """

    def __init__(
        self,
        manager: Database | None = None,
        *,
        retry: RetryPolicy | None = None,
        demo_syncs: int = 4,
    ) -> None:
        self._manager = manager
        self._retry = retry
        self._demo_syncs = demo_syncs
        self._lock = threading.Lock()  # guards _status, _version and _thread
        self._changed = threading.Condition(self._lock)  # notified on every new status
        self._version = 0
        self._status = SyncStatus()
        self._thread: threading.Thread | None = None
        self._token: str | None = None  # only to scrub it from error text

    def status(self) -> SyncStatus:
        """Return a snapshot of the current or latest run."""
        with self._lock:
            return self._status

    def next_status(self, seen: int, timeout: float) -> tuple[SyncStatus, int]:
        """Wait until the status differs from version ``seen`` (or ``timeout`` seconds pass);
        return it with its version. Lets a watcher see every step, not a sample."""
        with self._changed:
            self._changed.wait_for(lambda: self._version != seen, timeout)
            return self._status, self._version

    def _set(self, status: SyncStatus) -> None:
        # Called with the lock held.
        self._status = status
        self._version += 1
        self._changed.notify_all()

    def start(
        self,
        kind: SyncKind = "canvas",
        base_url: str | None = None,
        token: str | None = None,
        *,
        trigger: str = "button",
        incremental: bool = False,
    ) -> bool:
        """Start a sync unless one is running.

        Args:
            kind: ``canvas`` (needs ``base_url`` and ``token``) or ``demo`` (the built-in
                fake Canvas, into an empty database).
            base_url: The Canvas address.
            token: The teacher's access token (kept only for the run; never shown).
            trigger: What started it, for the status (``button``, ``schedule`` ...).
            incremental: A Canvas sync that fetches only changed submissions
                (``sync_from_canvas``).

        Returns:
            True if this call started a sync; False if one was already running (the
            running one goes on untouched).

        Raises:
            ConfigError: Unknown kind, or a Canvas sync without base URL or token.
        """
        if kind == "canvas":
            if not (base_url or "").strip() or not (token or "").strip():
                raise ConfigError(
                    "Canvas is not configured: set CANVAS_BASE_URL and CANVAS_TOKEN in the "
                    "environment or in .streamlit/secrets.toml"
                )
            job = _canvas_job(str(base_url), str(token), self._retry, trigger, incremental)
        elif kind == "demo":
            job = _demo_job(self._demo_syncs, trigger)
        else:
            raise ConfigError(f"unknown sync kind {kind!r}: use 'canvas' or 'demo'")
        with self._lock:
            if self._status.running:
                return False
            manager = self._manager or default_database()
            self._token = token if kind == "canvas" else None
            self._set(SyncStatus(
                run_number=self._status.run_number + 1,
                phase="running",
                kind=kind,
                trigger=trigger,
                step="start",
                message="starting",
                started_at=datetime.now(UTC),
            ))
            run_number = self._status.run_number
            # Daemon: the thread belongs to no browser session; if the server process
            # stops, the unfinished transaction simply never commits.
            self._thread = threading.Thread(
                target=self._run, args=(job, manager, run_number),
                name=f"tracker-sync-{run_number}", daemon=True,
            )
            self._thread.start()
        return True

    def wait(self, timeout: float | None = None) -> SyncStatus:
        """Block until the current run ends (or ``timeout`` seconds pass); return the status."""
        with self._lock:
            thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return self.status()

    # -- the thread ------------------------------------------------------------------------

    def _progress(self, run_number: int) -> ProgressCallback:
        demo_index = [1]

        def report(step: str, done: int, total: int, message: str) -> None:
            with self._lock:
                if self._status.run_number != run_number:
                    return
                text = message
                if self._status.kind == "demo":
                    text = f"demo sync {demo_index[0]}: {message}"
                    if step == "write" and total and done >= total:
                        demo_index[0] += 1
                self._set(replace(
                    self._status, step=step, done=int(done), total=int(total),
                    message=self._scrub(text),
                ))

        return report

    def _scrub(self, text: str) -> str:
        token = self._token
        if token and token in text:
            text = text.replace(token, "[token]")
        return text

    def _run(self, job: Job, manager: Database, run_number: int) -> None:
        t0 = time.perf_counter()
        summary: str | None = None
        error: str | None = None
        try:
            with manager.session() as cur:
                summary = job(self._progress(run_number), cur)
        except TrackerError as e:
            error = str(e)
        except Exception as e:  # the thread must always report an outcome
            # The traceback goes to the log for debugging, with the token scrubbed out.
            trace = "".join(traceback.format_exception(e))
            log.error("sync run %d failed unexpectedly:\n%s", run_number, self._scrub(trace))
            error = f"unexpected error ({type(e).__name__}): {e}"
        with self._lock:
            self._set(replace(
                self._status,
                phase="succeeded" if error is None else "failed",
                finished_at=datetime.now(UTC),
                summary=summary,
                error=None if error is None else self._scrub(error),
                message="finished" if error is None else "failed",
            ))
            self._token = None
        log.info("sync run %d ended in %.1f s", run_number, time.perf_counter() - t0)


# Made at import (Python imports a module once, under a lock), so every caller in the
# process shares one runner and one "a sync is running" flag.
_runner = SyncRunner()


def get_sync_runner() -> SyncRunner:
    """Return the process-wide runner."""
    return _runner
