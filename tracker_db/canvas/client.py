"""Fetch a teacher's Canvas data: politely, concurrently, and without ever exposing the token.

One ``requests.Session`` carries the Bearer token. Collections of different courses are fetched
concurrently by a small pool (a few requests in flight, the way Canvas's throttle wants it,
fewer after a throttled answer: ``InFlightLimit``); pages of one collection are sequential,
since bookmarked pages cannot be computed. Each page goes straight from JSON bytes to a polars
frame of text columns (``shaping.raw_frame_from_json``), and each course's collection is typed
as soon as it is complete (``shaping.typed_collection``), so a program-scale sync holds
compact typed columns, never every page's text or a page of Python dicts per worker.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import queue
import random
import re
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC
from typing import Any, cast
from urllib.parse import urljoin, urlsplit

import polars as pl
import requests
from requests.adapters import HTTPAdapter
from urllib3 import exceptions as urllib3_exceptions
from urllib3.exceptions import LocationParseError
from urllib3.util import Timeout, parse_url

from tracker_db.canvas.incremental import IncrementalPlan, Refetch
from tracker_db.canvas.shaping import (
    RESOURCES,
    raw_frame,
    raw_frame_from_json,
    typed_collection,
)
from tracker_db.errors import (
    CanvasAPIError,
    CanvasAuthError,
    ConfigError,
    CourseAccessError,
    DataValidationError,
)

log = logging.getLogger(__name__)

#: progress(step, done, total, message): how far a sync has come, for the UI and the CLI.
ProgressCallback = Callable[[str, int, int, str], None]

DEFAULT_MAX_IN_FLIGHT = 4
PER_PAGE = 100
MAX_PAGES = 100_000  # a runaway-pagination backstop far above any real collection

COURSE_PARAMS: list[tuple[str, str]] = [
    ("enrollment_type", "teacher"),
    ("include[]", "term"),
    ("include[]", "total_students"),
    ("state[]", "available"),
    ("state[]", "completed"),
    ("state[]", "unpublished"),
]
ENROLLMENT_PARAMS: list[tuple[str, str]] = [
    ("type[]", "StudentEnrollment"),
    ("state[]", "active"),
    ("state[]", "invited"),
    ("state[]", "inactive"),
    ("state[]", "completed"),
]
#: resource -> (path under the course, extra query parameters)
COURSE_COLLECTIONS: dict[str, tuple[str, list[tuple[str, str]]]] = {
    # Submissions first: the longest page chains should start earliest.
    "submissions": ("students/submissions", [("student_ids[]", "all")]),
    "enrollments": ("enrollments", ENROLLMENT_PARAMS),
    "assignments": ("assignments", []),
    "assignment_groups": ("assignment_groups", []),
    "sections": ("sections", []),
}


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try before a request fails the sync.

    Attributes:
        max_retries: Retries after a 5xx, a timeout, a dropped connection or unreadable JSON.
        max_throttle_retries: Retries after a throttled answer (403 Rate Limit / 429).
        backoff_base: First wait in seconds; doubles each retry, with full jitter.
        backoff_cap: Longest single wait in seconds.
        low_remaining_share: When ``X-Rate-Limit-Remaining`` falls below this share of the
            highest value seen (Canvas: 600 when idle), every worker pauses briefly so the
            bucket can drain.
        max_pause: Longest such pause, in seconds.
        throttle_backoff_base: First wait after a throttled answer, doubling with each
            throttle of the same request. Short, since the client also sends fewer requests
            at once after one (``InFlightLimit``), which is what empties the bucket.
    """

    max_retries: int = 4
    max_throttle_retries: int = 8
    backoff_base: float = 0.5
    backoff_cap: float = 20.0
    low_remaining_share: float = 0.25
    max_pause: float = 2.0
    throttle_backoff_base: float = 0.1


class InFlightLimit:
    """How many requests may be in flight at once: at most ``ceiling``.

    Each throttled answer halves the limit, and lowers the ceiling to one below the number
    of requests that were in flight when it came; each run of good answers as long as the
    limit adds one back, up to that ceiling (additive increase, multiplicative decrease, as
    TCP shares a link). A token whose bucket is tighter than Canvas's default thus settles,
    after a throttled answer or two, at what the bucket allows instead of failing the sync.

    Args:
        ceiling: The most requests in flight (``max_in_flight``).
        cancelled: Set when the fetch is over: waiting for a slot ends.
    """

    def __init__(self, ceiling: int, cancelled: threading.Event) -> None:
        self.ceiling = ceiling
        self.limit = ceiling
        self.lowest = ceiling
        self._active = 0
        self._good_answers = 0
        self._cancelled = cancelled
        self._changed = threading.Condition()

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one of the slots for a request (waits while every slot is taken)."""
        with self._changed:
            while self._active >= self.limit and not self._cancelled.is_set():
                self._changed.wait(0.05)  # short: a cancelled fetch stops waiting soon
            self._active += 1
        try:
            yield
        finally:
            with self._changed:
                self._active -= 1
                self._changed.notify()

    def throttled(self) -> None:
        """Canvas throttled a request: halve the limit, lower the ceiling."""
        with self._changed:
            # (this request's own slot is free again by now: it counts as in flight)
            self.ceiling = max(1, min(self.ceiling, self._active))
            self.limit = max(1, min(self.limit, self._active + 1) // 2)
            self.lowest = min(self.lowest, self.limit)
            self._good_answers = 0

    def answered(self) -> None:
        """Canvas answered a request: after ``limit`` answers in a row, allow one more."""
        with self._changed:
            if self.limit >= self.ceiling:
                return
            self._good_answers += 1
            if self._good_answers >= self.limit:
                self.limit += 1
                self._good_answers = 0
                self._changed.notify()


class _Late(Exception):
    """A request ran past its deadline (treated as a timeout: retried, then reported)."""


# Failures of the connection rather than answers from Canvas: worth a bounded retry.
_TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
    urllib3_exceptions.HTTPError,  # reading the body ourselves: urllib3's own errors
    zlib.error,
    _Late,
)
MAX_REDIRECTS = 5


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine (localhost, 127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_NUMERIC_HOST = re.compile(r"^[0-9a-fx.]+$")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _valid_host(host: str) -> bool:
    """A plain DNS name, a dotted-quad IPv4 address or a bracketed IPv6 address, written the
    one way every parser reads alike (no percent forms, zones, or numeric shorthands)."""
    if host.startswith("[") and host.endswith("]"):
        try:
            ipaddress.IPv6Address(host[1:-1])  # refuses zone ids ("%eth0") too
        except ValueError:
            return False
        return True
    if _NUMERIC_HOST.match(host) and not host.replace(".", "").isalpha():
        # Looks numeric: only the canonical dotted quad (127.1, 2130706433, 0x7f... are
        # the same machine to a resolver but not to a reader).
        try:
            return str(ipaddress.IPv4Address(host)) == host
        except ValueError:
            return False
    labels = host.rstrip(".").split(".") if host else []
    return bool(labels) and all(_HOST_LABEL.match(label) for label in labels)


def origin(url: str) -> tuple[str, str, int]:
    """``(scheme, host, port)`` of a URL as the HTTP client reads it (urllib3's parser, the
    one requests sends with), with the default port filled in."""
    parsed = parse_url(url)
    scheme = (parsed.scheme or "").lower()
    return scheme, (parsed.host or "").lower(), parsed.port or _DEFAULT_PORTS.get(scheme, 0)


def normalize_base_url(raw: str | None) -> str:
    """Check the institution's address and return it in one canonical form (no trailing
    slash, no ``/api/v1``).

    The address is read by the parser the HTTP client uses (urllib3's) and, as a cross-check,
    by Python's; any address the two read differently (backslashes, user info, percent or
    numeric host forms ...) is refused before a token is ever sent.

    Raises:
        ConfigError: Empty, not http(s), not a plain host, carrying user info, a query or an
            API path, ambiguous, or plain http to another machine (the token must never travel
            unencrypted).
    """
    text = (raw or "").strip()
    example = "https://school.instructure.com"
    if not text:
        raise ConfigError(f"Canvas base URL is empty: set CANVAS_BASE_URL (e.g. {example})")
    if "@" in text:
        # User info ("user:password@host") is never stored or shown, so neither is the text.
        raise ConfigError(
            "Canvas base URL must not contain a user name or password (anything with '@'): "
            f"give the address alone, e.g. {example}; the token is set apart (CANVAS_TOKEN)"
        )
    shown = printable(text, 120)
    if any(not ("!" <= ch <= "~") for ch in text) or "\\" in text:
        raise ConfigError(
            f"Canvas base URL {shown!r} contains spaces, backslashes, control or non-ASCII "
            f"characters: give the address as the browser shows it, e.g. {example}"
        )
    try:
        parsed = parse_url(text)
    except LocationParseError:
        raise ConfigError(
            f"Canvas base URL {shown!r} is not a web address like {example}"
        ) from None
    scheme = (parsed.scheme or "").lower()
    host = (parsed.host or "").lower()
    if scheme not in ("http", "https") or not host:
        raise ConfigError(f"Canvas base URL {shown!r} is not a web address like {example}")
    python_view = urlsplit(text)
    try:
        python_port = python_view.port
    except ValueError:
        python_port = -1
    python_host = (python_view.hostname or "").lower()
    bare = host[1:-1] if host.startswith("[") else host
    if not _valid_host(host) or python_host != bare or python_port != parsed.port:
        raise ConfigError(
            f"Canvas base URL {shown!r} names its host ambiguously (parsers would disagree on "
            f"where it points): give a plain address, e.g. {example}"
        )
    if parsed.query is not None or parsed.fragment is not None:
        raise ConfigError(f"Canvas base URL {shown!r} must not carry a query or fragment")
    path = (parsed.path or "").rstrip("/")
    if path.endswith("/api/v1"):
        path = path[: -len("/api/v1")]
    if "/api/" in f"{path}/":
        raise ConfigError(
            f"Canvas base URL {shown!r} includes an API path: give the address you open "
            f"Canvas at (e.g. {example}), without /api/..."
        )
    if scheme == "http" and not is_loopback(bare):
        raise ConfigError(
            f"Canvas base URL {shown!r} must use https: the token must not travel unencrypted "
            "(plain http is allowed only for a Canvas on this machine)"
        )
    port = "" if parsed.port in (None, _DEFAULT_PORTS[scheme]) else f":{parsed.port}"
    return f"{scheme}://{host}{port}{path}"


def check_token(token: str | None) -> str:
    """Return the token if it is plausible; never put its value in a message.

    Raises:
        ConfigError: Empty, or containing whitespace or control characters.
    """
    if token is None or not token.strip():
        raise ConfigError("Canvas token is empty: set CANVAS_TOKEN to a token from your profile")
    token = token.strip()
    if not token.isascii() or any(ch.isspace() or not ch.isprintable() for ch in token):
        raise ConfigError(
            "Canvas token contains spaces, control or non-ASCII characters: copy it again"
        )
    return token


def printable(text: str, limit: int = 200) -> str:
    """Canvas or proxy text made safe for a message: control characters (e.g. terminal escape
    codes) replaced, length bounded."""
    clean = "".join(ch if ch.isprintable() else "?" for ch in text)
    return clean if len(clean) <= limit else clean[: limit - 3] + "..."


def _canvas_message(content: bytes) -> str:
    """Canvas's own error text, if the body is Canvas JSON; else a short plain excerpt."""
    try:
        body = json.loads(content)
    except ValueError:
        text = content.decode("utf-8", "replace").strip().splitlines()
        if text and text[0].lstrip().startswith("<"):
            return ""  # a web page: its markup says nothing a person can use
        return printable(text[0], 120) if text else ""
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            return printable(str(errors[0].get("message", "")))
        if "error" in body:
            return printable(str(body["error"]))
    return ""


def _is_throttled(response: requests.Response, content: bytes) -> bool:
    if response.status_code == 429:
        return True
    # A throttled Canvas answers 403 with a plain-text body; a plain 403 is a permission error.
    return response.status_code == 403 and b"Rate Limit Exceeded" in content[:200]


def _looks_like_a_web_page(response: requests.Response, content: bytes) -> bool:
    kind = response.headers.get("Content-Type", "").lower()
    return "html" in kind or content.lstrip()[:1] == b"<"


@dataclass(frozen=True)
class ResponseLimits:
    """What one Canvas answer may cost.

    Attributes:
        max_bytes: The largest answer, as sent and as unpacked (a page of 100 objects is
            well under a megabyte).
        deadline_seconds: The longest one request may take in all, from connecting to the
            last byte (Canvas itself gives up on a heavy page after about 60 s).
    """

    max_bytes: int = 32 * 2**20
    deadline_seconds: float = 150.0

    @classmethod
    def from_settings(
        cls, max_mb: object = None, deadline_seconds: object = None
    ) -> ResponseLimits:
        """Limits from settings (``CANVAS_MAX_RESPONSE_MB``, ``CANVAS_REQUEST_DEADLINE``);
        None keeps a default.

        Raises:
            ConfigError: A value that is not a positive number in range.
        """
        def number(value: object, name: str, low: float, high: float) -> float | None:
            if value is None or (isinstance(value, str) and not value.strip()):
                return None
            try:
                result = float(value)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                raise ConfigError(f"{name} must be a number, got {value!r}") from None
            if not low <= result <= high:
                raise ConfigError(f"{name} must be from {low:g} to {high:g}, got {value!r}")
            return result

        mb = number(max_mb, "CANVAS_MAX_RESPONSE_MB", 0.01, 1024)
        seconds = number(deadline_seconds, "CANVAS_REQUEST_DEADLINE", 5, 3600)
        default = cls()
        return cls(
            max_bytes=default.max_bytes if mb is None else int(mb * 2**20),
            deadline_seconds=default.deadline_seconds if seconds is None else seconds,
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ResponseLimits:
        """Limits from ``CANVAS_MAX_RESPONSE_MB`` and ``CANVAS_REQUEST_DEADLINE`` (seconds).

        Raises:
            ConfigError: A value that is not a positive number in range.
        """
        env = os.environ if environ is None else environ
        return cls.from_settings(env.get("CANVAS_MAX_RESPONSE_MB"),
                                 env.get("CANVAS_REQUEST_DEADLINE"))


@dataclass(frozen=True)
class _Listed:
    """The end of the course list: every page, as one raw frame."""

    frame: pl.DataFrame


class HeadStart:
    """A fetch's first requests, under way before the fetch (``CanvasClient.sign_in_soon``).

    Attributes:
        me: Canvas's answer to the token's check (``users/self``), to come.
        pages: The course list's pages as they arrive, then its end (a ``_Listed``) or the
            error that stopped it.
    """

    def __init__(self) -> None:
        self.me: Future[dict[str, Any]] = Future()
        self.pages: queue.SimpleQueue[pl.DataFrame | _Listed | BaseException] = (
            queue.SimpleQueue()
        )

    def listed_courses(self, on_page: Callable[[pl.DataFrame], None]) -> pl.DataFrame:
        """Wait for the course list, handing each page to ``on_page`` as it arrives; return
        every page as one raw frame.

        Raises:
            Whatever stopped the list (``CanvasAPIError`` ...).
        """
        while True:
            item = self.pages.get()
            if isinstance(item, BaseException):
                raise item
            if isinstance(item, _Listed):
                return item.frame
            on_page(item)


class CanvasClient:
    """A polite Canvas REST client for one teacher's full sync.

    Args:
        base_url: The institution's address (``https://school.instructure.com``); a base
            ending in ``/api/v1`` is accepted too.
        token: The teacher's access token.
        max_in_flight: Requests in flight at once (across courses and collections).
        timeout: ``(connect, read)`` seconds per request.
        retry: Retry and backoff settings.
        progress: Optional progress callback.
        limits: What one answer may cost (size, deadline).
    """

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
        timeout: tuple[float, float] = (10.0, 90.0),
        retry: RetryPolicy | None = None,
        progress: ProgressCallback | None = None,
        limits: ResponseLimits | None = None,
    ) -> None:
        self.base_url = normalize_base_url(base_url)
        self._origin = origin(self.base_url)  # where the token may go (checked per page)
        self._api_prefix = f"{self.base_url}/api/v1/"
        self.limits = limits or ResponseLimits.from_env()
        if not isinstance(max_in_flight, int) or not 1 <= max_in_flight <= 32:
            raise ConfigError(f"max_in_flight must be 1 to 32, got {max_in_flight!r}")
        self.max_in_flight = max_in_flight
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.progress = progress
        self._session = requests.Session()
        # Read proxy and CA settings from the environment once, not on every request:
        # requests re-scans os.environ per call otherwise, a real cost over 10,000 pages.
        environment = self._session.merge_environment_settings(
            self.base_url, {}, None, None, None
        )
        self._session.proxies.update(environment["proxies"])
        self._session.verify = environment["verify"]
        self._verify: bool | str = True if environment["verify"] is None else environment["verify"]
        self._session.trust_env = False
        self._session.headers["Authorization"] = f"Bearer {check_token(token)}"
        self._session.headers["Accept"] = "application/json"
        # Only encodings the limits can measure while unpacking.
        self._session.headers["Accept-Encoding"] = "gzip, deflate"
        self._adapter = HTTPAdapter(
            pool_connections=1, pool_maxsize=max_in_flight, max_retries=0
        )
        self._session.mount("https://", self._adapter)
        self._session.mount("http://", self._adapter)
        self._pause_until = 0.0
        self._max_remaining = 0.0
        self._pause_lock = threading.Lock()
        self._cancelled = threading.Event()
        self._counter_lock = threading.Lock()
        self._in_flight = InFlightLimit(max_in_flight, self._cancelled)
        self._head_start: HeadStart | None = None
        self.requests_made = 0
        self.throttled = 0

    @property
    def lowest_in_flight(self) -> int:
        """The fewest requests in flight the client allowed itself after a throttle (the
        configured ``max_in_flight`` when Canvas never throttled it)."""
        return self._in_flight.lowest

    def __repr__(self) -> str:
        return f"CanvasClient({self.base_url!r}, max_in_flight={self.max_in_flight})"

    def close(self) -> None:
        """Stop a head start still under way (``sign_in_soon``), and close the HTTP session."""
        if self._head_start is not None:
            self._cancelled.set()
            self._head_start = None
        self._session.close()

    def __enter__(self) -> CanvasClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def api_url(self, path: str) -> str:
        """Return the absolute URL of an API path such as ``courses/101/sections``."""
        return f"{self.base_url}/api/v1/{path.lstrip('/')}"

    # -- single requests ---------------------------------------------------------------------

    def _wait_for_bucket(self) -> None:
        # Another worker may extend the pause while this one waits: wait until it is over.
        while not self._cancelled.is_set():
            with self._pause_lock:
                delay = self._pause_until - time.monotonic()
            if delay <= 0:
                return
            self._cancelled.wait(delay)

    def _note_remaining(self, response: requests.Response) -> None:
        try:
            remaining = float(response.headers["X-Rate-Limit-Remaining"])
        except (KeyError, ValueError):
            return
        with self._pause_lock:
            self._max_remaining = max(self._max_remaining, remaining)
            low = self._max_remaining * self.retry.low_remaining_share
            if remaining < low:
                # Pause every worker in proportion to how far below the line the bucket is.
                pause = self.retry.max_pause * (low - max(remaining, 0.0)) / low
                self._pause_until = max(self._pause_until, time.monotonic() + pause)

    def _backoff_delay(self, attempt: int, base: float | None = None) -> float:
        first = self.retry.backoff_base if base is None else base
        ceiling = min(self.retry.backoff_cap, first * 2**attempt)
        return random.uniform(ceiling / 2, ceiling)  # jitter spreads the workers out

    def _backoff(self, attempt: int, *, throttled: bool = False) -> None:
        delay = self._backoff_delay(
            attempt, self.retry.throttle_backoff_base if throttled else None
        )
        if throttled:
            # A throttle is about the whole token's bucket: every worker holds back.
            with self._pause_lock:
                self._pause_until = max(self._pause_until, time.monotonic() + delay)
        self._cancelled.wait(delay)  # returns at once when the fetch is cancelled

    def get_page(
        self,
        url: str,
        params: list[tuple[str, str]] | None = None,
        *,
        course_id: int | None = None,
        decode: Callable[[bytes], Any] = json.loads,
    ) -> tuple[Any, str | None]:
        """GET one page, retrying what is worth retrying.

        Redirects are followed only on the Canvas the token belongs to; every answer is read
        within ``limits`` (size, and a deadline for the whole request).

        Args:
            url: Absolute URL.
            params: Query parameters (None when the URL carries them).
            course_id: The course being read, for error messages.
            decode: Turns the body into the result; a ``ValueError`` from it means the body
                was unreadable (truncated in transit) and the request is retried.

        Returns:
            ``(decoded body, next page URL or None)``.

        Raises:
            CanvasAuthError: 401, at once.
            CourseAccessError: 403/404 while reading a course's data.
            CanvasAPIError: Any other refusal, a redirect elsewhere, an answer over the limits
                or not data (a web page), or failures past the retry budget.
        """
        failures = throttles = redirects = 0
        where = urlsplit(url).path
        while True:
            self._wait_for_bucket()
            self._check_cancelled()
            deadline = time.monotonic() + self.limits.deadline_seconds
            try:
                with self._in_flight.slot():
                    self._check_cancelled()
                    with self._counter_lock:
                        self.requests_made += 1
                    # Straight to the adapter: the session's per-request work (cookies,
                    # settings merged again, the next redirect worked out in advance) costs
                    # more CPU than the request itself, and the client needs none of it.
                    prepared = requests.Request(
                        "GET", url, params=params, headers=self._session.headers
                    ).prepare()
                    response = self._adapter.send(
                        prepared, stream=True, verify=self._verify,
                        proxies=self._session.proxies,
                        # total bounds the connection and the headers; the body is read
                        # below (requests passes a urllib3 Timeout through as it is; its
                        # stubs do not say)
                        timeout=cast(Any, Timeout(connect=self.timeout[0],
                                                  read=self.timeout[1],
                                                  total=self.limits.deadline_seconds)),
                    )
                    try:
                        content = self._read_body(response, where, deadline)
                    finally:
                        response.close()
            except _TRANSPORT_ERRORS as e:
                failures += 1
                problem = self._transport_problem(e)
                if failures > self.retry.max_retries:
                    raise CanvasAPIError(
                        f"{problem} ({where}, {failures} tries): check the base URL and the "
                        "network, then try again"
                    ) from None
                delay = self._backoff_delay(failures)
                log.warning("retrying %s: %s", where, problem)
                self._report("retry", failures, self.retry.max_retries,
                             f"{problem}; trying again in {delay:.1f} s")
                self._cancelled.wait(delay)
                continue
            self._note_remaining(response)
            status = response.status_code
            if 300 <= status < 400 and response.headers.get("Location"):
                target = urljoin(response.url, response.headers["Location"])
                self._require_same_origin(target, f"redirected {where}")
                redirects += 1
                if redirects > MAX_REDIRECTS:
                    raise CanvasAPIError(f"Canvas redirected {where} more than {MAX_REDIRECTS} "
                                         "times")
                url, params = target, None
                continue
            if _is_throttled(response, content):
                with self._counter_lock:
                    self.throttled += 1
                self._in_flight.throttled()
                throttles += 1
                if throttles > self.retry.max_throttle_retries:
                    raise CanvasAPIError(
                        f"Canvas kept throttling {where} ({throttles} times): try again later "
                        "or lower the number of requests in flight"
                    )
                self._backoff(throttles, throttled=True)
                continue
            # Canvas's error text, read only off a refusal (a page of data is not parsed twice).
            message = "" if status == 200 else _canvas_message(content)
            if status == 401:
                raise CanvasAuthError(
                    "Canvas rejected the token (401): it is invalid or expired; create a new "
                    "one on your Canvas profile page"
                    + (f" (Canvas said: {message})" if message else "")
                )
            if status in (403, 404) and course_id is not None:
                raise CourseAccessError(
                    f"Canvas refused course {course_id} ({status} "
                    f"{message or response.reason}): you may no longer teach "
                    "it; to sync without it, stop tracking this course on the Metadata page"
                )
            if status >= 500:
                failures += 1
                if failures > self.retry.max_retries:
                    raise CanvasAPIError(
                        f"Canvas failed {where} with {status} {response.reason} "
                        f"{failures} times" + (f" ({message})" if message else "")
                        + ": try again later"
                    )
                log.warning("retrying %s after %s", where, status)
                self._backoff(failures)
                continue
            if status != 200:
                raise CanvasAPIError(
                    f"Canvas answered {status} for {where}: {message or response.reason}"
                )
            if _looks_like_a_web_page(response, content):
                raise CanvasAPIError(
                    f"Canvas answered {where} with a web page, not data: this looks like a "
                    f"login or error page; check the base URL ({self.base_url}) is the "
                    "address you open Canvas at"
                )
            self._in_flight.answered()
            try:
                body = decode(content)
            except ValueError:
                # Truncated or garbled JSON: a transport hiccup, worth another try.
                failures += 1
                if failures > self.retry.max_retries:
                    raise CanvasAPIError(
                        f"Canvas sent unreadable JSON for {where} {failures} times"
                    ) from None
                self._backoff(failures)
                continue
            return body, self._next_link(response, where)

    def _transport_problem(self, error: BaseException) -> str:
        """What went wrong with the connection, in words, naming host and port."""
        _scheme, host, port = self._origin
        if isinstance(error, _Late | requests.Timeout):
            return f"Canvas at {host}:{port} did not answer in time ({type(error).__name__})"
        if isinstance(error, requests.ConnectionError) and not isinstance(
            error, requests.exceptions.ChunkedEncodingError
        ):
            return f"cannot connect to {host}:{port}"
        return f"the connection to {host}:{port} broke off ({type(error).__name__})"

    def _read_body(self, response: requests.Response, where: str, deadline: float) -> bytes:
        """Read an answer within the limits: its size as sent and unpacked, and the deadline.

        Raises:
            CanvasAPIError: Larger than allowed, or in an encoding not asked for.
            _Late: The deadline passed (retried like a timeout).
        """
        limits = self.limits
        declared = response.headers.get("Content-Length", "")
        too_big = CanvasAPIError(
            f"Canvas's answer to {where} is larger than the {limits.max_bytes // 2**20} MB "
            "allowed per answer (set CANVAS_MAX_RESPONSE_MB to allow more)"
        )
        if declared.isdigit() and int(declared) > limits.max_bytes:
            raise too_big
        encoding = response.headers.get("Content-Encoding", "").strip().lower()
        if encoding in ("", "identity"):
            unpack = None
        elif encoding in ("gzip", "x-gzip"):
            unpack = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            unpack = zlib.decompressobj()
        else:
            raise CanvasAPIError(
                f"Canvas answered {where} in an encoding the tracker did not ask for "
                f"({printable(encoding, 30)})"
            )
        connection = getattr(response.raw, "connection", None)
        sock = getattr(connection, "sock", None)
        body = bytearray()
        sent = 0
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _Late()
            if sock is not None:
                # Each read waits no longer than the request has left, so a server that
                # trickles bytes cannot stretch the request past its deadline.
                sock.settimeout(min(remaining, self.timeout[1]))
            try:
                chunk = response.raw.read1(65536, decode_content=False)
            except urllib3_exceptions.ReadTimeoutError:
                if time.monotonic() >= deadline:
                    raise _Late() from None
                raise
            if not chunk:
                break
            sent += len(chunk)
            if sent > limits.max_bytes:
                raise too_big
            if unpack is None:
                body += chunk
            else:
                # Unpacked a little at a time, so a small bomb cannot fill the memory.
                body += unpack.decompress(chunk, limits.max_bytes + 1 - len(body))
                if unpack.unconsumed_tail:
                    raise too_big
            if len(body) > limits.max_bytes:
                raise too_big
        if unpack is not None:
            body += unpack.flush()
            if len(body) > limits.max_bytes:
                raise too_big
        return bytes(body)

    def _check_cancelled(self) -> None:
        if self._cancelled.is_set():
            raise CanvasAPIError("fetch cancelled: another part of the sync failed or was stopped")

    def _next_link(self, response: requests.Response, where: str) -> str | None:
        """The ``rel="next"`` URL, only if it stays on the Canvas the token belongs to.

        The session sends the token with every request, so a next link to another host (a
        misbehaving proxy, a mistyped base URL) or down to plain http must never be followed.
        """
        link = response.links.get("next", {}).get("url")
        if not link:
            return None
        absolute = urljoin(response.url, link)
        if not (absolute.startswith(self._api_prefix) and absolute.isascii()
                and absolute.isprintable() and "\\" not in absolute and " " not in absolute):
            # (the usual link, under the API's own address, needs no parser to tell where it
            # goes: its scheme and authority are the base's, character for character)
            self._require_same_origin(absolute, f"linked the next page of {where}")
        return absolute

    def _require_same_origin(self, url: str, what: str) -> None:
        """Refuse a URL the token must not go to: another scheme, host or port (read by the
        parser the HTTP client uses), or one the parsers disagree on."""
        try:
            target = origin(url)
        except LocationParseError:
            target = ("", "", 0)
        python_view = urlsplit(url)
        agrees = (python_view.hostname or "").lower() == target[1].strip("[]")
        if target != self._origin or not agrees or "\\" in url:
            scheme, host, port = target
            raise CanvasAPIError(
                f"Canvas {what} to another address ({printable(f'{scheme}://{host}:{port}', 80)})"
                f"; the token is only sent to {self.base_url}, so the sync stopped and nothing "
                "from that answer was stored"
            )

    def get_collection(
        self,
        resource: str,
        path: str,
        params: list[tuple[str, str]] | None = None,
        *,
        course_id: int | None = None,
        extra: dict[str, Any] | None = None,
        on_page: Callable[[pl.DataFrame], None] | None = None,
    ) -> pl.DataFrame:
        """Fetch every page of a collection as one raw frame (``shaping.raw_frame``).

        Args:
            resource: Which raw schema the rows follow (``courses``, ``submissions`` ...).
            path: API path, e.g. ``courses/101/assignments``.
            params: Query parameters of the first request; later pages follow ``rel="next"``
                verbatim.
            course_id: The course this collection belongs to (for error messages).
            extra: Fields added to every row (assignment groups get their ``course_id``).
            on_page: Called with each page's rows as it arrives (before the next request).
        """
        url: str | None = self.api_url(path)
        query: list[tuple[str, str]] | None = [*(params or []), ("per_page", str(PER_PAGE))]
        seen_urls: set[str] = set()
        frames: list[pl.DataFrame] = []
        pages = 0
        while url is not None:
            self._check_cancelled()
            if url in seen_urls:
                # An undecodable bookmark sends Canvas back to page one: a loop, not new data.
                log.warning("stopping %s: Canvas linked back to a page already read", path)
                break
            seen_urls.add(url)
            pages += 1
            if pages > MAX_PAGES:
                raise CanvasAPIError(f"Canvas returned more than {MAX_PAGES} pages for {path}")
            try:
                frame, url = self.get_page(
                    url, query, course_id=course_id,
                    decode=lambda content: raw_frame_from_json(resource, content),
                )
            except DataValidationError as e:
                raise DataValidationError(f"Canvas sent invalid data for {path}: {e}") from e
            query = None  # the next URL already carries every parameter
            if frame.height:
                frames.append(frame)
                if on_page is not None:
                    on_page(frame)
        result = pl.concat(frames, how="vertical") if frames else raw_frame(resource, [])
        if extra:
            result = result.with_columns(
                pl.lit(str(value), dtype=pl.String).alias(name) for name, value in extra.items()
            )
        return result

    # -- a teacher's full sync ---------------------------------------------------------------

    def _report(self, step: str, done: int, total: int, message: str) -> None:
        if self.progress is not None:
            self.progress(step, done, total, message)

    def whoami(self) -> dict[str, Any]:
        """Return ``users/self``: checks the token before anything else is fetched."""
        body, _ = self.get_page(self.api_url("users/self"))
        if not isinstance(body, dict) or "id" not in body:
            raise CanvasAPIError("Canvas sent an unexpected answer for users/self")
        return body

    def sign_in_soon(self) -> HeadStart:
        """Start a fetch's first requests in the background and return them, for
        ``fetch_all(signed_in=...)``: the token's check (``whoami``), then, once Canvas has
        accepted the token, the course list.

        The caller reads its database meanwhile (which courses to skip, which only their
        collections wait for), and nothing else is asked of Canvas before the token is known
        to be good. Called again before a fetch has taken it, it returns the same start.
        """
        if self._head_start is not None:
            return self._head_start
        self._cancelled.clear()  # a client may run more than one fetch
        head = self._head_start = HeadStart()

        def start() -> None:
            try:
                head.me.set_result(self.whoami())
            except BaseException as e:  # handed to whoever waits for the answer
                head.me.set_exception(e)
                return
            try:
                listed = self.get_collection("courses", "courses", COURSE_PARAMS,
                                             on_page=head.pages.put)
            except BaseException as e:
                head.pages.put(e)
                return
            head.pages.put(_Listed(listed))

        # A daemon: an interrupted process does not wait for Canvas to answer.
        threading.Thread(target=start, name="canvas-sign-in", daemon=True).start()
        return head

    def fetch_all(
        self,
        *,
        untracked_course_ids: Iterable[int] = (),
        plan: IncrementalPlan | None = None,
        signed_in: HeadStart | None = None,
    ) -> dict[str, pl.DataFrame]:
        """Fetch the teacher's courses and every tracked course's collections.

        Args:
            untracked_course_ids: Courses listed but not fetched further (the teacher switched
                them off).
            plan: For an incremental sync: submissions graded or submitted after
                ``plan.since``, plus those the plan fetches whole (decided per course as its
                enrollments and assignments arrive, and kept in ``plan.refetched``). Every
                other collection is fetched whole either way.
            signed_in: The head start ``sign_in_soon`` returned (default: started now).

        Returns:
            ``{resource: typed frame}`` for ``full_canvas_sync``
            (``shaping.typed_collection``); every row of a course's collection is tagged
            with that course.
        """
        head = signed_in or self.sign_in_soon()
        self._head_start = None  # (taken: the next fetch starts its own)
        self._report("connect", 0, 1, f"connecting to {self.base_url}")
        # The token is checked before anything else is asked for.
        me = head.me.result()
        self._report("connect", 1, 1, f"signed in as Canvas user {me['id']}")
        skip = set(untracked_course_ids)
        course_ids: list[int] = []
        listed: set[int] = set()
        results: dict[str, list[pl.DataFrame]] = {r: [] for r in RESOURCES}
        # An incremental plans a course once its enrollments and assignments are in.
        awaiting: dict[int, dict[str, pl.DataFrame]] = {}
        futures: dict[Future[pl.DataFrame], _Job] = {}
        # One worker more than requests in flight (``InFlightLimit`` holds that line): a
        # worker parsing the page or collection it just received leaves its slot to the
        # spare instead of idling it (more spares only add contention for the interpreter).
        pool = ThreadPoolExecutor(self.max_in_flight + 1, thread_name_prefix="canvas")

        def start_courses(page: pl.DataFrame) -> None:
            # Each page of the course list starts its courses' collections at once, so the
            # critical path is the longest chain of pages, not the course list plus it.
            new = [
                int(c) for c in page["id"].cast(pl.Int64, strict=False).drop_nulls().unique(
                    maintain_order=True
                )
                if int(c) not in skip and int(c) not in listed
            ]
            listed.update(new)
            course_ids.extend(new)
            if plan is not None:
                awaiting.update({c: {} for c in new if c in plan.known.fetched_course_ids})
            for job in _course_jobs(new, plan):
                futures[pool.submit(self._fetch_course_collection, *job)] = job

        done = 0
        try:
            courses = head.listed_courses(on_page=start_courses)
            results["courses"].append(typed_collection("courses", courses, None))
            self._report("fetch", 0, len(futures), f"{len(course_ids)} courses to fetch")
            pending = set(futures)
            while pending:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    error = future.exception()
                    if error is not None:
                        raise error
                    resource, course_id, _ = futures[future]
                    frame = future.result()
                    results[resource].append(frame)
                    done += 1
                    more: list[_Job] = []
                    if (plan is not None and course_id in awaiting
                            and resource in ("enrollments", "assignments")):
                        awaiting[course_id][resource] = frame
                        if len(awaiting[course_id]) == 2:
                            got = awaiting.pop(course_id)
                            refetch = plan.refetch_for(
                                course_id, got["enrollments"], got["assignments"]
                            )
                            more = [("submissions", course_id, params)
                                    for params in refetch.requests()]
                    for job in more:
                        future_job = pool.submit(self._fetch_course_collection, *job)
                        futures[future_job] = job
                        pending.add(future_job)
                    self._report("fetch", done, len(futures), f"{resource} of course {course_id}")
        except BaseException:
            # A worker failed, or the caller was interrupted (Ctrl-C, a progress callback
            # that raised): queued jobs never start and running ones stop at their next
            # request or wait, instead of fetching everything for a sync that has failed.
            self._cancelled.set()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
        return {
            resource: pl.concat(frames, how="vertical") if frames
            else typed_collection(resource, raw_frame(resource, []), None)
            for resource, frames in results.items()
        }

    def _fetch_course_collection(
        self, resource: str, course_id: int, params: list[tuple[str, str]] | None = None
    ) -> pl.DataFrame:
        path, default_params = COURSE_COLLECTIONS[resource]
        extra = {"course_id": course_id} if resource == "assignment_groups" else None
        frame = self.get_collection(
            resource, f"courses/{course_id}/{path}",
            default_params if params is None else params,
            course_id=course_id, extra=extra,
        )
        # Typed now, in this worker; shaping refuses a row that names another course than
        # the one it was fetched for.
        return typed_collection(resource, frame, course_id)


#: A course's collection to fetch: (resource, course id, query parameters or None for the
#: collection's own).
_Job = tuple[str, int, list[tuple[str, str]] | None]


def _course_jobs(course_ids: list[int], plan: IncrementalPlan | None) -> list[_Job]:
    """The collections to fetch for newly listed courses, longest page chains first.

    A full sync fetches every collection whole. An incremental fetches submissions graded or
    submitted since its watermark, except for courses new to the tracker (fetched whole,
    decided now so their long chain of pages starts first); ``fetch_all`` adds the rest of
    the plan once a course's enrollments and assignments are in.
    """
    jobs: list[_Job] = []
    for resource in COURSE_COLLECTIONS:
        for course_id in course_ids:
            if resource != "submissions" or plan is None:
                jobs.append((resource, course_id, None))
            elif course_id not in plan.known.fetched_course_ids:
                plan.refetched[course_id] = Refetch(whole_course=True)
                jobs.append((resource, course_id, None))
            else:
                since = plan.since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                for name in ("graded_since", "submitted_since"):
                    jobs.append((resource, course_id,
                                 [("student_ids[]", "all"), (name, since)]))
    return jobs


def fetch_canvas_data(
    base_url: str,
    token: str,
    *,
    max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
    untracked_course_ids: Iterable[int] = (),
    progress: ProgressCallback | None = None,
    retry: RetryPolicy | None = None,
) -> dict[str, pl.DataFrame]:
    """Fetch everything a full sync needs from Canvas.

    Args:
        base_url: The institution's address; https unless it is this machine.
        token: The teacher's access token (never logged or shown).
        max_in_flight: Requests in flight at once.
        untracked_course_ids: Courses to list but not fetch further.
        progress: Optional progress callback.
        retry: Retry settings.

    Returns:
        The ``canvas_api_data`` that ``full_canvas_sync`` takes (typed frames).

    Raises:
        ConfigError: Bad base URL or token, before any request.
        CanvasAPIError: Canvas refused or failed (see ``CanvasClient.get_page``).
    """
    with CanvasClient(
        base_url, token, max_in_flight=max_in_flight, retry=retry, progress=progress
    ) as client:
        return client.fetch_all(untracked_course_ids=untracked_course_ids)
