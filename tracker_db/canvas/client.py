"""Fetch a teacher's Canvas data: politely, concurrently, and without ever exposing the token.

One ``requests.Session`` carries the Bearer token. Collections of different courses are fetched
concurrently by a small pool (a few requests in flight, the way Canvas's throttle wants it);
pages of one collection are sequential, since bookmarked pages cannot be computed. Each page
goes straight from JSON bytes to a polars frame of text columns (``shaping.raw_frame``), so a
program-scale sync never holds more than a page of Python dicts per worker.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import polars as pl
import requests
from requests.adapters import HTTPAdapter

from tracker_db.canvas.shaping import RESOURCES, raw_frame, raw_frame_from_json
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
    """

    max_retries: int = 4
    max_throttle_retries: int = 8
    backoff_base: float = 0.5
    backoff_cap: float = 20.0
    low_remaining_share: float = 0.25
    max_pause: float = 2.0


# Failures of the connection rather than answers from Canvas: worth a bounded retry.
_TRANSPORT_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine (localhost, 127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def normalize_base_url(raw: str | None) -> str:
    """Return the institution's base URL without a trailing slash or ``/api/v1``.

    Raises:
        ConfigError: Empty, not http(s), has no host, or plain http to a non-loopback host
            (the token must never travel unencrypted).
    """
    text = (raw or "").strip()
    if not text:
        raise ConfigError(
            "Canvas base URL is empty: set CANVAS_BASE_URL (e.g. https://school.instructure.com)"
        )
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"Canvas base URL {text!r} is not a web address like https://school.instructure.com"
        )
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ConfigError(
            f"Canvas base URL {text!r} must use https: the token must not travel unencrypted "
            "(plain http is allowed only for a Canvas on this machine)"
        )
    if parts.query or parts.fragment:
        raise ConfigError(f"Canvas base URL {text!r} must not carry a query or fragment")
    path = parts.path.rstrip("/")
    if path.endswith("/api/v1"):
        path = path[: -len("/api/v1")]
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


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


def _canvas_message(response: requests.Response) -> str:
    """Canvas's own error text, if the body is Canvas JSON; else a short plain excerpt."""
    try:
        body = json.loads(response.content)
    except ValueError:
        text = response.text.strip().splitlines()
        return printable(text[0], 120) if text else ""
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            return printable(str(errors[0].get("message", "")))
        if "error" in body:
            return printable(str(body["error"]))
    return ""


def _is_throttled(response: requests.Response) -> bool:
    if response.status_code == 429:
        return True
    # A throttled Canvas answers 403 with a plain-text body; a plain 403 is a permission error.
    return response.status_code == 403 and b"Rate Limit Exceeded" in response.content[:200]


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
    ) -> None:
        self.base_url = normalize_base_url(base_url)
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
        self._session.trust_env = False
        self._session.headers["Authorization"] = f"Bearer {check_token(token)}"
        self._session.headers["Accept"] = "application/json"
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=max_in_flight, max_retries=0)
        self._session.mount("https://", adapter)
        self._session.mount("http://", adapter)
        self._pause_until = 0.0
        self._max_remaining = 0.0
        self._pause_lock = threading.Lock()
        self._cancelled = threading.Event()
        self._counter_lock = threading.Lock()
        self.requests_made = 0
        self.throttled = 0

    def __repr__(self) -> str:
        return f"CanvasClient({self.base_url!r}, max_in_flight={self.max_in_flight})"

    def close(self) -> None:
        """Close the HTTP session."""
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

    def _backoff(self, attempt: int, *, everyone: bool = False) -> None:
        ceiling = min(self.retry.backoff_cap, self.retry.backoff_base * 2**attempt)
        delay = random.uniform(ceiling / 2, ceiling)  # jitter spreads the workers out
        if everyone:
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
            CanvasAPIError: Any other refusal, or failures past the retry budget.
        """
        failures = throttles = 0
        where = urlsplit(url).path
        while True:
            self._wait_for_bucket()
            self._check_cancelled()
            try:
                with self._counter_lock:
                    self.requests_made += 1
                response = self._session.get(url, params=params, timeout=self.timeout)
            except _TRANSPORT_ERRORS as e:
                failures += 1
                if failures > self.retry.max_retries:
                    raise CanvasAPIError(
                        f"Canvas did not answer {where} after {failures} tries "
                        f"({type(e).__name__})"
                    ) from None
                log.warning("retrying %s after %s", where, type(e).__name__)
                self._backoff(failures)
                continue
            self._note_remaining(response)
            status = response.status_code
            if _is_throttled(response):
                with self._counter_lock:
                    self.throttled += 1
                throttles += 1
                if throttles > self.retry.max_throttle_retries:
                    raise CanvasAPIError(
                        f"Canvas kept throttling {where} ({throttles} times): try again later "
                        "or lower the number of requests in flight"
                    )
                self._backoff(throttles, everyone=True)
                continue
            if status == 401:
                raise CanvasAuthError(
                    "Canvas rejected the token (401): it is invalid or expired; create a new "
                    "one on your Canvas profile page"
                )
            if status in (403, 404) and course_id is not None:
                raise CourseAccessError(
                    f"Canvas refused course {course_id} ({status} "
                    f"{_canvas_message(response) or response.reason}): you may no longer teach "
                    "it; to sync without it, stop tracking this course on the Metadata page"
                )
            if status >= 500:
                failures += 1
                if failures > self.retry.max_retries:
                    raise CanvasAPIError(
                        f"Canvas failed {where} with {status} {response.reason} "
                        f"{failures} times: try again later"
                    )
                log.warning("retrying %s after %s", where, status)
                self._backoff(failures)
                continue
            if status != 200:
                raise CanvasAPIError(
                    f"Canvas answered {status} for {where}: "
                    f"{_canvas_message(response) or response.reason}"
                )
            try:
                body = decode(response.content)
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
        target, base = urlsplit(absolute), urlsplit(self.base_url)
        if (target.scheme, target.netloc) != (base.scheme, base.netloc):
            raise CanvasAPIError(
                f"Canvas linked the next page of {where} to another address "
                f"({printable(f'{target.scheme}://{target.netloc}', 80)}); the token is only "
                f"sent to {base.scheme}://{base.netloc}, so the sync stopped"
            )
        return absolute

    def get_collection(
        self,
        resource: str,
        path: str,
        params: list[tuple[str, str]] | None = None,
        *,
        course_id: int | None = None,
        extra: dict[str, Any] | None = None,
    ) -> pl.DataFrame:
        """Fetch every page of a collection as one raw frame (``shaping.raw_frame``).

        Args:
            resource: Which raw schema the rows follow (``courses``, ``submissions`` ...).
            path: API path, e.g. ``courses/101/assignments``.
            params: Query parameters of the first request; later pages follow ``rel="next"``
                verbatim.
            course_id: The course this collection belongs to (for error messages).
            extra: Fields added to every row (assignment groups get their ``course_id``).
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

    def fetch_all(self, *, untracked_course_ids: Iterable[int] = ()) -> dict[str, pl.DataFrame]:
        """Fetch the teacher's courses and every tracked course's collections.

        Args:
            untracked_course_ids: Courses listed but not fetched further (the teacher switched
                them off).

        Returns:
            ``{resource: raw frame}`` for ``full_canvas_sync``.
        """
        self._cancelled.clear()  # a client may run more than one fetch
        self._report("connect", 0, 1, f"connecting to {self.base_url}")
        me = self.whoami()
        self._report("connect", 1, 1, f"signed in as Canvas user {me['id']}")
        courses = self.get_collection("courses", "courses", COURSE_PARAMS)
        skip = set(untracked_course_ids)
        course_ids = [
            int(c) for c in courses["id"].cast(pl.Int64, strict=False).drop_nulls().unique(
                maintain_order=True
            )
            if int(c) not in skip
        ]
        jobs = [
            (resource, course_id)
            for resource in COURSE_COLLECTIONS
            for course_id in course_ids
        ]
        total = len(jobs)
        self._report("fetch", 0, total, f"{len(course_ids)} courses to fetch")
        results: dict[str, list[pl.DataFrame]] = {r: [] for r in RESOURCES}
        results["courses"].append(courses)
        done = 0
        pool = ThreadPoolExecutor(self.max_in_flight, thread_name_prefix="canvas")
        try:
            futures = {
                pool.submit(self._fetch_course_collection, resource, course_id): (
                    resource, course_id
                )
                for resource, course_id in jobs
            }
            pending = set(futures)
            while pending:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    error = future.exception()
                    if error is not None:
                        raise error
                    resource, course_id = futures[future]
                    results[resource].append(future.result())
                    done += 1
                    self._report("fetch", done, total, f"{resource} of course {course_id}")
        except BaseException:
            # A worker failed, or the caller was interrupted (Ctrl-C, a progress callback
            # that raised): queued jobs never start and running ones stop at their next
            # request or wait, instead of fetching everything for a sync that has failed.
            self._cancelled.set()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
        return {
            resource: pl.concat(frames, how="vertical") if frames else raw_frame(resource, [])
            for resource, frames in results.items()
        }

    def _fetch_course_collection(self, resource: str, course_id: int) -> pl.DataFrame:
        path, params = COURSE_COLLECTIONS[resource]
        extra = {"course_id": course_id} if resource == "assignment_groups" else None
        return self.get_collection(
            resource, f"courses/{course_id}/{path}", params, course_id=course_id, extra=extra
        )


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
        The ``canvas_api_data`` that ``full_canvas_sync`` takes (raw frames).

    Raises:
        ConfigError: Bad base URL or token, before any request.
        CanvasAPIError: Canvas refused or failed (see ``CanvasClient.get_page``).
    """
    with CanvasClient(
        base_url, token, max_in_flight=max_in_flight, retry=retry, progress=progress
    ) as client:
        return client.fetch_all(untracked_course_ids=untracked_course_ids)
