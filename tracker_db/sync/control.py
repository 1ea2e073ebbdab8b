"""A running dashboard takes sync (and status) requests from ``canvas-tracker`` on this machine.

A DuckDB file is open in one process at a time, and the dashboard keeps its file open. So
that ``canvas-tracker sync`` from cron still works while it runs, the dashboard listens on a
loopback-only socket and writes where, with a secret made at start, into a file beside the
database (``<database>.control``, readable by its owner only). The command reads that file,
sends the secret and its request, and reports the dashboard's answer: the dashboard runs the
sync with its own Canvas settings through its sync runner (joining one already running, so
there is never a second), and streams progress back. Nothing else listens: a socket bound to
127.0.0.1 is unreachable from other machines, and without the secret a local process is
refused.

Why a socket and not a request file: the answer (progress, then the result or the reason it
failed) comes back as it happens, and a dashboard that died is noticed at once (the connection
is refused) instead of after a timeout.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import secrets
import socket
import socketserver
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tracker_db.db import Database
from tracker_db.errors import SyncError, TrackerError
from tracker_db.read_models.sync_status import get_recent_runs, get_unfinished_attempts
from tracker_db.sync.runner import SyncRunner, SyncStatus

log = logging.getLogger(__name__)

#: How long the command waits to connect to a dashboard before saying it is not there.
CONNECT_TIMEOUT = 1.0
#: The dashboard reports at least this often while a sync runs (so a silent one is dead).
HEARTBEAT_SECONDS = 5.0
_READ_TIMEOUT = 6 * HEARTBEAT_SECONDS
_MAX_LINE = 64 * 1024


class NoDashboard(TrackerError):
    """No running dashboard takes requests for this database."""


def control_file(db_path: str) -> Path:
    """The file beside a database where its dashboard says how to reach it."""
    return Path(f"{db_path}.control")


def _send(stream: Any, message: dict[str, Any]) -> None:
    stream.write((json.dumps(message) + "\n").encode("utf-8"))
    stream.flush()


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def handle(self) -> None:
        self.request.settimeout(_READ_TIMEOUT)
        try:
            request = json.loads(self.rfile.readline(_MAX_LINE) or b"{}")
        except (ValueError, OSError):
            return
        if not isinstance(request, dict) or not hmac.compare_digest(
            str(request.get("secret", "")), self.server.secret
        ):
            _send(self.wfile, {"event": "refused", "error": "wrong or missing secret"})
            return
        action = request.get("action")
        try:
            if action == "sync":
                self._sync(bool(request.get("incremental")))
            elif action == "status":
                self._status(int(request.get("limit", 10)))
            else:
                _send(self.wfile, {"event": "finished", "ok": False,
                                   "error": f"unknown request {action!r}"})
        except OSError:
            log.info("the command that asked went away")

    def _status(self, limit: int) -> None:
        with self.server.database.session() as cur:
            runs = get_recent_runs(limit, cur=cur)
            attempts = get_unfinished_attempts(cur=cur)
        rows = [{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()}
                for row in runs.iter_rows(named=True)]
        _send(self.wfile, {"event": "finished", "ok": True, "runs": rows,
                           "attempts": attempts["message"].to_list()})

    def _sync(self, incremental: bool) -> None:
        runner = self.server.runner
        current = runner.status()
        if current.running:
            _send(self.wfile, {"event": "joined", "message": "a sync was already running"})
        else:
            base_url, token = self.server.canvas_settings()
            if not (base_url and token):
                _send(self.wfile, {"event": "finished", "ok": False, "error": (
                    "the dashboard has no Canvas settings (CANVAS_BASE_URL and CANVAS_TOKEN "
                    "where it runs, or in its .streamlit/secrets.toml)")})
                return
            try:
                started = runner.start("canvas", base_url, token, trigger="command line",
                                       incremental=incremental)
            except TrackerError as e:
                _send(self.wfile, {"event": "finished", "ok": False, "error": str(e)})
                return
            _send(self.wfile, {"event": "started" if started else "joined"})
        status, seen = runner.next_status(-1, 0)
        watched = status.run_number
        while status.running:
            _send(self.wfile, {"event": "progress", "step": status.step, "done": status.done,
                               "total": status.total, "message": status.message})
            # Every change is sent as it happens; a quiet sync still sends a heartbeat.
            following, seen = runner.next_status(seen, HEARTBEAT_SECONDS)
            if following.run_number != watched:
                break  # ended and another began meanwhile: this one's end was missed
            status = following
        self._finished(status)

    def _finished(self, status: SyncStatus) -> None:
        if status.phase == "succeeded":
            _send(self.wfile, {"event": "finished", "ok": True, "summary": status.summary})
        else:
            _send(self.wfile, {"event": "finished", "ok": False,
                               "error": status.error or "the sync did not finish"})


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, control: ControlServer) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.secret = control.secret
        self.runner = control.runner
        self.database = control.database
        self.canvas_settings = control.canvas_settings


class ControlServer:
    """The dashboard's end: listens on loopback and writes the control file.

    Args:
        database: The dashboard's database (a DuckDB file).
        runner: The dashboard's sync runner.
        canvas_settings: Returns the dashboard's ``(base_url, token)`` when asked to sync.
    """

    def __init__(
        self,
        database: Database,
        runner: SyncRunner,
        canvas_settings: Callable[[], tuple[str | None, str | None]],
    ) -> None:
        self.database = database
        self.runner = runner
        self.canvas_settings = canvas_settings
        self.secret = secrets.token_urlsafe(32)
        self.path = control_file(database.db_path)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> ControlServer:
        """Listen, then publish the address and secret (owner-readable only)."""
        self._server = _Server(self)
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        name="tracker-control", daemon=True)
        self._thread.start()
        port = self._server.server_address[1]
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump({"pid": os.getpid(), "port": port, "secret": self.secret}, handle)
        temporary.replace(self.path)
        return self

    def stop(self) -> None:
        """Stop listening and remove the control file (if it is still this server's)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        try:
            if json.loads(self.path.read_text(encoding="utf-8")).get("secret") == self.secret:
                self.path.unlink()
        except (OSError, ValueError):
            pass


def _ask(db_path: str, request: dict[str, Any],
         on_message: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    path = control_file(db_path)
    try:
        published = json.loads(path.read_text(encoding="utf-8"))
        port, secret = int(published["port"]), str(published["secret"])
    except (OSError, ValueError, KeyError, TypeError):
        raise NoDashboard(f"no dashboard takes requests for {db_path}") from None
    try:
        connection = socket.create_connection(("127.0.0.1", port), timeout=CONNECT_TIMEOUT)
    except OSError:
        raise NoDashboard(f"the dashboard of {db_path} does not answer") from None
    with connection, connection.makefile("rwb") as stream:
        connection.settimeout(_READ_TIMEOUT)
        _send(stream, {**request, "secret": secret})
        while True:
            try:
                line = stream.readline(_MAX_LINE)
            except OSError as e:
                raise SyncError(f"the dashboard stopped answering: {e}") from e
            if not line:
                raise SyncError("the dashboard closed the connection before it finished")
            message = json.loads(line)
            if message.get("event") == "refused":
                raise NoDashboard(f"the dashboard refused the request: {message.get('error')}")
            if message.get("event") == "finished":
                return dict(message)
            on_message(message)


def request_sync(
    db_path: str,
    on_progress: Callable[[str, int, int, str], None] | None = None,
    *,
    incremental: bool = False,
) -> str:
    """Ask the dashboard that holds ``db_path`` to sync (an incremental sync if asked);
    return its summary.

    Raises:
        NoDashboard: No dashboard takes requests for that file (at once: under a second).
        SyncError: The dashboard's sync failed (its reason), or the dashboard went away.
    """
    def shown(message: dict[str, Any]) -> None:
        if on_progress is not None and message.get("event") == "progress":
            on_progress(str(message["step"]), int(message["done"]), int(message["total"]),
                        str(message["message"]))

    answer = _ask(db_path, {"action": "sync", "incremental": incremental}, shown)
    if not answer.get("ok"):
        raise SyncError(f"the dashboard's sync failed: {answer.get('error')}")
    return str(answer.get("summary") or "")


def request_status(db_path: str, limit: int = 10) -> tuple[list[dict[str, Any]], list[str]]:
    """Ask the dashboard that holds ``db_path`` for its latest sync runs and the messages of
    attempts that never finished (see ``get_unfinished_attempts``).

    Raises:
        NoDashboard: No dashboard takes requests for that file.
    """
    answer = _ask(db_path, {"action": "status", "limit": limit}, lambda message: None)
    return list(answer.get("runs") or []), [str(m) for m in answer.get("attempts") or []]
