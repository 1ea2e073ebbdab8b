"""A fake Canvas LMS HTTP server on loopback, standard library only.

It serves a ``CanvasDataset`` under ``/api/v1`` with Canvas's auth, pagination (numbered and
bookmarked), leaky-bucket throttling, latency and injectable faults, so the real sync client can
be tested, demoed and benchmarked without a Canvas.
"""

from __future__ import annotations

import contextlib
import json
import random
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlencode

from tracker_db.fake_canvas.dataset import (
    HTML_BASE,
    CanvasDataset,
    CourseData,
    Json,
    decode_bookmark,
    encode_bookmark,
    iso_z,
    parse_ts,
    ts_after,
)

API_PREFIX = "/api/v1/"
MAX_STUDENT_IDS = 100

_BODY_INVALID_TOKEN = b'{"errors":[{"message":"Invalid access token."}]}'
_BODY_UNAUTHORIZED = (
    b'{"status":"unauthorized","errors":[{"message":"user not authorized to perform that action"}]}'
)
_BODY_NOT_FOUND = b'{"errors":[{"message":"The specified resource does not exist."}]}'
_BODY_ERROR = b'{"errors":[{"message":"An error occurred."}],"error_report_id":12345}'
_BODY_THROTTLED = b"403 Forbidden (Rate Limit Exceeded)\n"
_BODY_THROTTLED_429 = b"429 Too Many Requests (Rate Limit Exceeded)\n"
_JSON = "application/json; charset=utf-8"
_HTML = "text/html; charset=utf-8"
_TEXT = "text/plain; charset=utf-8"
_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
FAULT_KINDS = ("status", "drop", "truncate", "short")


@dataclass
class ThrottleConfig:
    """Leaky-bucket parameters (Canvas defaults), one bucket per token.

    Attributes:
        high_water: A request that would take the level to this mark is rejected.
        maximum: The level never exceeds this.
        leak_rate: Units drained per second.
        up_front: Units held by each request while in flight (refunded when it ends).
        request_cost: Fixed real cost added when a request ends. None: the handler's own
            elapsed seconds (Canvas charges CPU + DB seconds), which is tiny here, so a
            sequential sync never trips the bucket and only concurrency does.
        cost_per_row: Extra cost per row served (lets tests make big pages expensive).
    """

    high_water: float = 600.0
    maximum: float = 800.0
    leak_rate: float = 10.0
    up_front: float = 50.0
    request_cost: float | None = None
    cost_per_row: float = 0.0


@dataclass
class Fault:
    """An injected fault; see :meth:`FakeCanvas.inject_fault`.

    Attributes:
        path_substring: Requests whose path (with query) contains this are counted.
        nth: The first affected matching request (1-based).
        kind: ``status``, ``drop``, ``truncate`` (half the JSON, matching Content-Length) or
            ``short`` (full Content-Length, half the body, connection closed).
        status: Status for ``status`` faults.
        times: How many matching requests are affected, from the ``nth`` on.
        html: Send an HTML body (as proxies do) instead of Canvas's JSON error.
        seen: Matching requests counted so far.
        fired: Requests affected so far.
    """

    path_substring: str
    nth: int
    kind: str
    status: int
    times: int
    html: bool
    seen: int = 0
    fired: int = 0

    @property
    def exhausted(self) -> bool:
        """Whether the fault has affected all the requests it will."""
        return self.fired >= self.times


class _Bucket:
    """One token's leaky bucket."""

    __slots__ = ("level", "stamp")

    def __init__(self) -> None:
        self.level = 0.0
        self.stamp = time.monotonic()

    def leak(self, rate: float) -> None:
        now = time.monotonic()
        self.level = max(0.0, self.level - rate * (now - self.stamp))
        self.stamp = now


class _Response:
    """What a route produced, before faults and sending."""

    __slots__ = ("body", "content_type", "headers", "rows", "status")

    def __init__(
        self,
        status: int,
        body: bytes,
        content_type: str = _JSON,
        headers: list[tuple[str, str]] | None = None,
        rows: int = 0,
    ) -> None:
        self.status = status
        self.body = body
        self.content_type = content_type
        self.headers = headers or []
        self.rows = rows


class _Params:
    """Query parameters; ``name[]`` and ``name`` are the same list (Rails accepts both)."""

    def __init__(self, query: str) -> None:
        self.pairs = parse_qsl(query, keep_blank_values=True)
        self.values: dict[str, list[str]] = {}
        for key, value in self.pairs:
            self.values.setdefault(key.removesuffix("[]"), []).append(value)

    def get(self, name: str) -> str | None:
        found = self.values.get(name)
        return found[0] if found else None

    def all(self, name: str) -> list[str]:
        return self.values.get(name, [])


class _CanvasError(Exception):
    """A route's early exit with a ready response."""

    def __init__(self, response: _Response) -> None:
        super().__init__(response.status)
        self.response = response


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # The default backlog of 5 drops SYNs of a burst of connections (clients then retry a
    # second later), which would serialise concurrent requests.
    request_queue_size = 128
    fake: FakeCanvas


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: every response carries Content-Length
    disable_nagle_algorithm = True  # small responses must not wait for delayed ACKs
    server_version = "FakeCanvas/1.0"
    sys_version = ""
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        self.server.fake._track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.fake._track(self.connection, False)

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: thousands of requests per sync would flood stderr."""

    def do_GET(self) -> None:
        self.server.fake._serve(self)

    def _refuse(self) -> None:
        # Drain any body so the keep-alive connection stays usable, then 404 like Canvas.
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.server.fake._serve(self, method_allowed=False)

    do_POST = do_PUT = do_PATCH = do_DELETE = _refuse


class FakeCanvas:
    """A fake Canvas server over a dataset, serving on 127.0.0.1 in a background thread.

    Use it as a context manager, or call :meth:`start` and :meth:`stop`.

    Attributes:
        dataset: The live dataset; mutate it between syncs (its lock guards serving).
        token: The only accepted bearer token.
        latency: Seconds each request takes in its own thread, its own work included (may be
            changed while running).
        per_page_cap: Largest page size honoured.
        default_per_page: Page size without ``per_page``.
        throttle: ``off``, ``403`` or ``429`` (status of a throttled request).
        bucket: Leaky-bucket parameters.
        link_header: Name of the pagination header: ``Link``, ``link`` or ``random``.
        course_errors: Course id -> status (401, 403, 404, 500...) its URLs answer with.
        request_log: (method, path_with_query, status) of every request, in arrival order;
            status 0 marks a dropped connection.
        server_errors: Exceptions raised while building responses (each answered 500); an
            empty list means the fake itself had no bug during the run.
    """

    def __init__(
        self,
        dataset: CanvasDataset | None = None,
        *,
        token: str = "test-token",
        latency: float = 0.0,
        per_page_cap: int = 100,
        default_per_page: int = 10,
        throttle: str = "off",
        bucket: ThrottleConfig | None = None,
        link_header: str = "Link",
        course_errors: Mapping[int, int] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int = 0,
    ) -> None:
        """Configure the fake (nothing listens until :meth:`start`).

        Args:
            dataset: Data to serve; the demo dataset when None.
            token: Accepted bearer token.
            latency: Seconds each request takes, its own work included.
            per_page_cap: Largest ``per_page`` honoured (Canvas: 100).
            default_per_page: Page size without ``per_page`` (Canvas: 10).
            throttle: ``off`` (never reject), ``403`` (Canvas) or ``429`` (newer Canvas).
            bucket: Leaky-bucket parameters; Canvas's defaults when None.
            link_header: ``Link``, ``link`` or ``random`` (Canvas has sent both spellings).
            course_errors: Course ids whose URLs answer with the given status.
            host: Interface to bind (loopback).
            port: Port; 0 picks a free one.
            seed: Seed for the ``random`` header spelling.

        Raises:
            ValueError: An option has an unsupported value.
        """
        if throttle not in ("off", "403", "429"):
            raise ValueError(f"throttle must be 'off', '403' or '429', not {throttle!r}")
        if link_header not in ("Link", "link", "random"):
            raise ValueError(f"link_header must be 'Link', 'link' or 'random', not {link_header!r}")
        if dataset is None:
            from tracker_db.fake_canvas.generators import build_demo_dataset

            dataset = build_demo_dataset()
        self.dataset = dataset
        self.token = token
        self.latency = latency
        self.per_page_cap = per_page_cap
        self.default_per_page = default_per_page
        self.throttle = throttle
        self.bucket = bucket or ThrottleConfig()
        self.link_header = link_header
        self.course_errors: dict[int, int] = dict(course_errors or {})
        self.request_log: list[tuple[str, str, int]] = []
        self.server_errors: list[str] = []
        self._host = host
        self._port = port
        self._rng = random.Random(seed)
        self._log_lock = threading.Lock()
        self._bucket_lock = threading.Lock()
        self._buckets: dict[str, _Bucket] = {}
        self._throttled = 0
        self._faults: list[Fault] = []
        self._date_cache: tuple[int, str] = (0, "")
        self._conns: set[socket.socket] = set()
        self._server: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._routes: dict[str, Callable[[CourseData, _Params, str, str], _Response]] = {
            "sections": self._sections,
            "enrollments": self._enrollments,
            "assignment_groups": self._assignment_groups,
            "assignments": self._assignments,
        }

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> FakeCanvas:
        """Bind the port and serve in a daemon thread.

        Returns:
            self, for chaining.
        """
        if self._server is not None:
            return self
        server = _HTTPServer((self._host, self._port), _Handler)
        server.fake = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-canvas",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close the port and cut open keep-alive connections."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        with self._log_lock:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):  # already closed by the client
                conn.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeCanvas:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The bound port.

        Raises:
            RuntimeError: The server is not running.
        """
        if self._server is None:
            raise RuntimeError("the fake Canvas is not running; call start() first")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>`` (the client appends ``/api/v1/...``)."""
        return f"http://{self._host}:{self.port}"

    @property
    def api_url(self) -> str:
        """``<base_url>/api/v1``."""
        return self.base_url + "/api/v1"

    # ---------------------------------------------------------------- test controls

    def request_count(self, path_prefix: str | None = None) -> int:
        """Count logged requests, optionally those whose path starts with a prefix.

        Args:
            path_prefix: ``/api/v1/courses/101`` or the same without ``/api/v1``; None counts
                everything.

        Returns:
            The number of matching requests (throttled and failed ones included).
        """
        with self._log_lock:
            paths = [path for _, path, _ in self.request_log]
        if path_prefix is None:
            return len(paths)
        prefixes = (path_prefix, "/api/v1" + path_prefix)
        return sum(1 for path in paths if path.startswith(prefixes))

    @property
    def throttled_count(self) -> int:
        """How many requests were rejected by the throttle."""
        return self._throttled

    def inject_fault(
        self,
        path_substring: str,
        nth: int = 1,
        status: int | None = 500,
        kind: str = "status",
        times: int = 1,
        html: bool | None = None,
    ) -> Fault:
        """Make some future requests fail.

        Counting starts now: among requests whose path (with query) contains
        ``path_substring``, the ``nth`` and the following ``times - 1`` ones are affected.

        Args:
            path_substring: Substring of the request path and query.
            nth: First affected matching request (1-based).
            status: Status for ``kind="status"`` (500, 502, 503, 504...); ignored otherwise.
            kind: ``status``; ``drop`` (close the connection without a response);
                ``truncate`` (200 with half the JSON and a matching Content-Length, so the
                client sees invalid JSON); ``short`` (full Content-Length, half the body, then
                the connection closes, so the client sees an incomplete read).
            times: How many matching requests are affected.
            html: HTML body instead of Canvas's JSON error; default: HTML for 502/503/504.

        Returns:
            The fault, whose ``seen``/``fired`` counters tests can read.

        Raises:
            ValueError: Unknown kind or non-positive counts.
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"fault kind must be one of {FAULT_KINDS}, not {kind!r}")
        if nth < 1 or times < 1:
            raise ValueError("nth and times must be at least 1")
        code = status or 500
        fault = Fault(
            path_substring,
            nth,
            kind,
            code,
            times,
            html if html is not None else code in (502, 503, 504),
        )
        with self._log_lock:
            self._faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        """Forget every injected fault."""
        with self._log_lock:
            self._faults.clear()

    def set_course_error(self, course_id: int, status: int | None) -> None:
        """Make a course's URLs answer with a status (403, 404...), or clear it with None."""
        if status is None:
            self.course_errors.pop(course_id, None)
        else:
            self.course_errors[course_id] = status

    def reset_log(self) -> None:
        """Empty the request log and the throttled counter."""
        with self._log_lock:
            self.request_log.clear()
            self._throttled = 0

    def bucket_level(self, token: str | None = None) -> float:
        """The current level of a token's bucket (after leaking)."""
        with self._bucket_lock:
            bucket = self._buckets.setdefault(token or self.token, _Bucket())
            bucket.leak(self.bucket.leak_rate)
            return bucket.level

    # ---------------------------------------------------------------- serving

    def _track(self, conn: socket.socket, add: bool) -> None:
        with self._log_lock:
            if add:
                self._conns.add(conn)
            else:
                self._conns.discard(conn)

    def _log(self, method: str, path: str, status: int) -> None:
        with self._log_lock:
            self.request_log.append((method, path, status))

    def _take_fault(self, path: str) -> Fault | None:
        chosen: Fault | None = None
        with self._log_lock:
            for fault in self._faults:
                if fault.path_substring not in path:
                    continue
                fault.seen += 1
                if chosen is None and fault.seen >= fault.nth and not fault.exhausted:
                    fault.fired += 1
                    chosen = fault
        return chosen

    def _reserve(self, token: str) -> tuple[bool, float]:
        cfg = self.bucket
        with self._bucket_lock:
            bucket = self._buckets.get(token)
            if bucket is None:
                bucket = self._buckets[token] = _Bucket()
            bucket.leak(cfg.leak_rate)
            if self.throttle != "off" and bucket.level + cfg.up_front >= cfg.high_water:
                return False, cfg.high_water - bucket.level
            bucket.level = min(cfg.maximum, bucket.level + cfg.up_front)
            return True, cfg.high_water - bucket.level

    def _release(self, token: str, cost: float) -> float:
        cfg = self.bucket
        with self._bucket_lock:
            bucket = self._buckets[token]
            bucket.leak(cfg.leak_rate)
            bucket.level = min(cfg.maximum, max(0.0, bucket.level - cfg.up_front) + cost)
            return cfg.high_water - bucket.level

    def _serve(self, handler: _Handler, method_allowed: bool = True) -> None:
        method = handler.command
        raw_path = handler.path
        path, _, query = raw_path.partition("?")
        params = _Params(query)
        auth = handler.headers.get("Authorization") or ""
        token = auth[7:].strip() if auth[:7].lower() == "bearer " else params.get("access_token")
        if token != self.token:
            self._send(
                handler,
                method,
                raw_path,
                _Response(
                    401,
                    _BODY_INVALID_TOKEN,
                    headers=[("WWW-Authenticate", 'Bearer realm="canvas-lms"')],
                ),
                cost=0.0,
                remaining=self.bucket.high_water,
            )
            return
        allowed, remaining = self._reserve(token)
        if not allowed:
            with self._log_lock:
                self._throttled += 1
            status = 429 if self.throttle == "429" else 403
            body = _BODY_THROTTLED if status == 403 else _BODY_THROTTLED_429
            self._send(handler, method, raw_path, _Response(status, body, _TEXT), 0.0, remaining)
            return
        cost = 0.0
        response: _Response | None = None
        fault: Fault | None = None
        try:
            fault = self._take_fault(raw_path)
            started = time.perf_counter()
            if fault is not None and fault.kind == "status":
                body = _proxy_page(fault.status) if fault.html else _BODY_ERROR
                response = _Response(fault.status, body, _HTML if fault.html else _JSON)
            elif fault is not None and fault.kind == "drop":
                response = None
            elif not method_allowed:
                response = _Response(404, _BODY_NOT_FOUND)
            else:
                host = handler.headers.get("Host") or f"{self._host}:{self.port}"
                try:
                    response = self._route(path, params, f"http://{host}")
                except Exception as e:  # a bug in the fake: answer like Canvas, keep the cause
                    self.server_errors.append(f"{raw_path}: {e!r}")
                    response = _Response(500, _BODY_ERROR)
            elapsed = time.perf_counter() - started
            if self.latency > elapsed:
                # Latency is the request's whole service time, its own work included, so a
                # benchmark's floor (requests x latency / in flight) measures the client alone.
                time.sleep(self.latency - elapsed)
            cfg = self.bucket
            cost = cfg.request_cost if cfg.request_cost is not None else elapsed
            if response is not None:
                cost += cfg.cost_per_row * response.rows
        finally:
            remaining = self._release(token, cost)
        if response is None:
            # A dropped connection: no status line at all.
            self._log(method, raw_path, 0)
            handler.close_connection = True
            return
        if fault is not None and fault.kind in ("truncate", "short"):
            self._send_cut(handler, method, raw_path, response, fault.kind, cost, remaining)
            return
        self._send(handler, method, raw_path, response, cost, remaining)

    def _date_header(self) -> str:
        now = int(time.time())
        cached = self._date_cache
        if cached[0] != now:
            # One formatdate per second rather than per response.
            cached = self._date_cache = (now, formatdate(now, usegmt=True))
        return cached[1]

    def _headers(
        self, response: _Response, length: int, cost: float, remaining: float, close: bool
    ) -> bytes:
        lines = [
            f"HTTP/1.1 {response.status} {_REASONS.get(response.status, 'Error')}",
            f"Date: {self._date_header()}",
            "Server: FakeCanvas/1.0",
            f"Content-Type: {response.content_type}",
            f"Content-Length: {length}",
            "Cache-Control: private, max-age=0, must-revalidate",
            f"X-Request-Cost: {cost!r}",
            f"X-Rate-Limit-Remaining: {remaining!r}",
        ]
        lines.extend(f"{name}: {value}" for name, value in response.headers)
        if close:
            lines.append("Connection: close")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def _send(
        self,
        handler: _Handler,
        method: str,
        raw_path: str,
        response: _Response,
        cost: float,
        remaining: float,
    ) -> None:
        head = self._headers(
            response, len(response.body), cost, remaining, handler.close_connection
        )
        self._log(method, raw_path, response.status)
        try:
            # One write per response: headers and body in a single segment.
            handler.wfile.write(head + response.body)
        except OSError:
            handler.close_connection = True  # the client went away; nothing to tell it

    def _send_cut(
        self,
        handler: _Handler,
        method: str,
        raw_path: str,
        response: _Response,
        kind: str,
        cost: float,
        remaining: float,
    ) -> None:
        half = response.body[: max(1, len(response.body) // 2)]
        declared = len(half) if kind == "truncate" else len(response.body)
        handler.close_connection = handler.close_connection or kind == "short"
        head = self._headers(response, declared, cost, remaining, False)
        self._log(method, raw_path, response.status)
        try:
            handler.wfile.write(head + half)
        except OSError:
            handler.close_connection = True

    # ---------------------------------------------------------------- routes

    def _json(
        self,
        payload: Any,
        base: str,
        rows: int = 0,
        headers: list[tuple[str, str]] | None = None,
    ) -> _Response:
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        if b"canvas.fake.invalid" in body:
            body = body.replace(HTML_BASE.encode(), base.encode())
        return _Response(200, body, headers=headers, rows=rows)

    def _route(self, path: str, params: _Params, base: str) -> _Response:
        if not path.startswith(API_PREFIX):
            return _Response(404, _BODY_NOT_FOUND)
        parts = path[len(API_PREFIX) :].strip("/").split("/")
        ds = self.dataset
        try:
            with ds.lock:
                if parts == ["users", "self"]:
                    return self._json(ds.self_user, base)
                if parts == ["courses"]:
                    return self._courses(params, path, base)
                if len(parts) >= 2 and parts[0] == "courses":
                    return self._course_route(parts, params, path, base)
        except _CanvasError as stop:
            return stop.response
        return _Response(404, _BODY_NOT_FOUND)

    def _course_route(self, parts: list[str], params: _Params, path: str, base: str) -> _Response:
        try:
            course_id = int(parts[1])
        except ValueError:
            return _Response(404, _BODY_NOT_FOUND)
        forced = self.course_errors.get(course_id)
        if forced is not None:
            body = {401: _BODY_UNAUTHORIZED, 403: _BODY_UNAUTHORIZED, 404: _BODY_NOT_FOUND}
            return _Response(forced, body.get(forced, _BODY_ERROR))
        course = self.dataset.courses.get(course_id)
        if course is None or course.course["workflow_state"] == "deleted":
            return _Response(404, _BODY_NOT_FOUND)
        rest = parts[2:]
        if not rest:
            if not self.dataset.self_enrollments(course):
                return _Response(403, _BODY_UNAUTHORIZED)
            includes = set(params.all("include"))
            return self._json(
                self.dataset.render_course(
                    course, "term" in includes, "total_students" in includes
                ),
                base,
            )
        if not self.dataset.is_teacher(course):
            return _Response(403, _BODY_UNAUTHORIZED)
        if rest == ["students", "submissions"]:
            return self._submissions(course, params, path, base)
        if len(rest) == 1 and rest[0] in self._routes:
            return self._routes[rest[0]](course, params, path, base)
        return _Response(404, _BODY_NOT_FOUND)

    def _per_page(self, params: _Params) -> int:
        raw = params.get("per_page")
        try:
            value = int(raw) if raw is not None else self.default_per_page
        except ValueError:
            value = self.default_per_page
        if value < 1:
            value = self.default_per_page
        return min(value, self.per_page_cap)

    def _link_name(self) -> str:
        if self.link_header == "random":
            return "Link" if self._rng.random() < 0.5 else "link"
        return self.link_header

    def _link_header(
        self, links: list[tuple[str, str]], params: _Params, path: str, base: str
    ) -> tuple[str, str]:
        """Build the pagination header: absolute URLs, the query kept, ``page`` replaced."""
        per_page = self._per_page(params)
        kept = [(k, v) for k, v in params.pairs if k not in ("page", "per_page", "access_token")]
        query = urlencode(kept)
        prefix = f"{base}{path}?{query}&" if query else f"{base}{path}?"
        # Bookmarks are base64url plus "bookmark:", already URL-safe; Canvas leaves them as is.
        value = ",".join(
            f'<{prefix}page={page}&per_page={per_page}>; rel="{rel}"' for rel, page in links
        )
        return self._link_name(), value

    def _numbered(self, rows: list[Json], params: _Params, path: str, base: str) -> _Response:
        per_page = self._per_page(params)
        try:
            page = max(1, int(params.get("page") or 1))
        except ValueError:
            page = 1
        last = max(1, -(-len(rows) // per_page))
        chunk = rows[(page - 1) * per_page : page * per_page]
        links = [("current", str(page))]
        if page < last:
            links.append(("next", str(page + 1)))
        if page > 1:
            links.append(("prev", str(page - 1)))
        links += [("first", "1"), ("last", str(last))]
        header = self._link_header(links, params, path, base)
        return self._json(chunk, base, len(chunk), [header])

    def _bookmarked(
        self,
        chunk: list[Json],
        next_key: list[int] | None,
        params: _Params,
        path: str,
        base: str,
    ) -> _Response:
        header = self._bookmark_links(next_key, params, path, base)
        return self._json(chunk, base, len(chunk), [header])

    def _bookmark_links(
        self, next_key: list[int] | None, params: _Params, path: str, base: str
    ) -> tuple[str, str]:
        current = params.get("page") or "first"
        if decode_bookmark(current) is None:
            current = "first"  # an undecodable bookmark served the first page
        links = [("current", current)]
        if next_key is not None:
            links.append(("next", encode_bookmark(next_key)))
        links.append(("first", "first"))
        return self._link_header(links, params, path, base)

    def _courses(self, params: _Params, path: str, base: str) -> _Response:
        includes = set(params.all("include"))
        rows = self.dataset.list_courses(
            enrollment_type=params.get("enrollment_type") or None,
            states=params.all("state") or None,
            include_term="term" in includes,
            include_total_students="total_students" in includes,
        )
        return self._numbered(rows, params, path, base)

    def _sections(self, course: CourseData, params: _Params, path: str, base: str) -> _Response:
        return self._numbered(course.sections, params, path, base)

    def _assignment_groups(
        self, course: CourseData, params: _Params, path: str, base: str
    ) -> _Response:
        return self._numbered(course.assignment_groups, params, path, base)

    def _assignments(self, course: CourseData, params: _Params, path: str, base: str) -> _Response:
        return self._numbered(course.assignments, params, path, base)

    def _enrollments(self, course: CourseData, params: _Params, path: str, base: str) -> _Response:
        rows = self.dataset.enrollments(
            course.id, params.all("type") or None, params.all("state") or None
        )
        user_filter = params.all("user_id")
        if user_filter:
            rows = [e for e in rows if str(e["user_id"]) in user_filter]
        key = decode_bookmark(params.get("page") or "")
        after = key[0] if key else None
        # Keyset paging by enrollment id, as Canvas bookmarks are: later pages see changes.
        start = 0
        if after is not None:
            start = next((n for n, e in enumerate(rows) if e["id"] > after), len(rows))
        per_page = self._per_page(params)
        chunk = rows[start : start + per_page]
        more = start + per_page < len(rows)
        next_key = [chunk[-1]["id"]] if more and chunk else None
        return self._bookmarked(chunk, next_key, params, path, base)

    def _submissions(self, course: CourseData, params: _Params, path: str, base: str) -> _Response:
        ds = self.dataset
        raw_ids = params.all("student_ids")
        if "all" in raw_ids:
            users = ds.visible_submission_users(course)
        else:
            if len(raw_ids) > MAX_STUDENT_IDS:
                raise _CanvasError(_Response(400, b'{"error":"too many students"}'))
            try:
                wanted = {int(x) for x in raw_ids}
            except ValueError:
                raise _CanvasError(_Response(404, _BODY_NOT_FOUND)) from None
            # Without student_ids Canvas returns the caller's own submissions (none here).
            users = [u for u in ds.visible_submission_users(course) if u in wanted]
        assignments = ds.published_assignment_ids(course)
        only_assignments = params.all("assignment_ids")
        if only_assignments:
            keep = set(only_assignments)
            assignments = [a for a in assignments if str(a) in keep]
        filters: list[tuple[str, str, Any]] = []
        for name, field_name in (
            ("graded_since", "graded_at"),
            ("submitted_since", "submitted_at"),
        ):
            raw = params.get(name)
            if raw:
                try:
                    since = parse_ts(raw)
                except ValueError:
                    message = f'{{"errors":[{{"message":"Invalid datetime for {name}"}}]}}'
                    raise _CanvasError(_Response(400, message.encode())) from None
                filters.append((field_name, iso_z(since), since))
        key = decode_bookmark(params.get("page") or "")
        after = (key[0], key[1]) if key and len(key) == 2 else None
        per_page = self._per_page(params)
        if not filters:
            # Fast path: rows straight to JSON text, no dicts (the bulk of a full sync).
            parts, last, more = course.submissions.page_json(users, assignments, after, per_page)
            next_key = list(last) if more and last else None
            header = self._bookmark_links(next_key, params, path, base)
            body = ("[" + ",".join(parts) + "]").encode()
            return _Response(200, body, headers=[header], rows=len(parts))
        chunk: list[Json] = []
        more = False
        for row in course.submissions.iter_rows(users, assignments, after):
            if not all(ts_after(row[f], sz, s) for f, sz, s in filters):
                continue
            if len(chunk) == per_page:
                more = True
                break
            chunk.append(row)
        next_key = [chunk[-1]["user_id"], chunk[-1]["assignment_id"]] if more else None
        return self._bookmarked(chunk, next_key, params, path, base)


def _proxy_page(status: int) -> bytes:
    reason = _REASONS.get(status, "Error")
    return (
        f"<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
        f"<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n"
        "</body>\r\n</html>\r\n"
    ).encode()
