"""The Canvas client over real HTTP against the fake Canvas on loopback."""

from __future__ import annotations

import logging
import threading
import time
from contextlib import contextmanager

import polars as pl
import pytest

from tests.db_snapshot import snapshot
from tracker_db.canvas.client import (
    CanvasAuthError,
    CanvasClient,
    CourseAccessError,
    InFlightLimit,
    RetryPolicy,
    check_token,
    fetch_canvas_data,
    normalize_base_url,
)
from tracker_db.edits import set_course_metadata
from tracker_db.errors import CanvasAPIError, ConfigError, DataValidationError
from tracker_db.fake_canvas import (
    FakeCanvas,
    ThrottleConfig,
    build_demo_dataset,
    build_synthetic_dataset,
)
from tracker_db.migrate import open_database
from tracker_db.sync.from_canvas import sync_from_canvas
from tracker_db.sync.write import full_canvas_sync

TOKEN = "fake-token-7~s3cr3t-do-not-leak"
FAST = RetryPolicy(backoff_base=0.01, backoff_cap=0.05, max_pause=0.05)


@pytest.fixture
def fake():
    with FakeCanvas(build_demo_dataset(seed=7), token=TOKEN) as server:
        yield server


def _sync(fake: FakeCanvas, **kwargs):
    return sync_from_canvas(fake.base_url, TOKEN, retry=FAST, **kwargs)


# -- configuration ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://school.instructure.com", "https://school.instructure.com"),
        ("https://school.instructure.com/", "https://school.instructure.com"),
        ("https://school.instructure.com/api/v1/", "https://school.instructure.com"),
        (" https://canvas.test/sub/api/v1 ", "https://canvas.test/sub"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://localhost:9", "http://localhost:9"),
        ("http://[::1]:9", "http://[::1]:9"),
    ],
)
def test_base_url_is_normalised(raw, expected):
    assert normalize_base_url(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "empty"), (None, "empty"), ("school.instructure.com", "not a web address"),
        ("ftp://canvas.test", "not a web address"), ("http://canvas.test", "must use https"),
        ("http://10.0.0.5", "must use https"), ("https://canvas.test/?x=1", "query"),
    ],
)
def test_bad_base_urls_fail_before_any_request(raw, message):
    with pytest.raises(ConfigError, match=message):
        normalize_base_url(raw)


@pytest.mark.parametrize("token", ["", "   ", None, "abc def", "abc\x00def"])
def test_bad_tokens_fail_without_echoing_them(token):
    with pytest.raises(ConfigError) as caught:
        check_token(token)
    if token and token.strip():
        assert token.strip() not in str(caught.value)


# -- a full sync matches the fake's own data -------------------------------------------------


def test_full_sync_matches_the_fake_exactly(fake, cur):
    ds = fake.dataset
    result = _sync(fake)
    teacher_courses = ds.courses_for_teacher()
    course_ids = sorted(c["id"] for c in teacher_courses)
    stored_courses = cur.execute(
        "SELECT course_id, name FROM canvas.courses ORDER BY course_id"
    ).fetchall()
    assert stored_courses == sorted((c["id"], c["name"]) for c in teacher_courses)

    expected_enrollments = {
        (e["id"], e["user_id"], e["course_id"]): e
        for cid in course_ids for e in ds.student_enrollments(cid)
    }
    stored = cur.execute(
        "SELECT enrollment_id, student_id, course_id, enrollment_state, current_score, "
        "final_score, current_grade FROM canvas.enrollments"
    ).fetchall()
    assert {(r[0], r[1], r[2]) for r in stored} == set(expected_enrollments)
    for row in stored:
        source = expected_enrollments[(row[0], row[1], row[2])]
        grades = source.get("grades") or {}
        assert row[3:] == (
            source["enrollment_state"], grades.get("current_score"), grades.get("final_score"),
            grades.get("current_grade"),
        )

    names = dict(cur.execute("SELECT student_id, name FROM canvas.students").fetchall())
    for enrollment in expected_enrollments.values():
        assert names[enrollment["user_id"]] == enrollment["user"]["name"]  # byte for byte

    expected_subs = {}
    for cid in course_ids:
        tests = set(ds.test_student_ids(cid))
        for s in ds.submissions(cid):
            if s["user_id"] not in tests:
                expected_subs[s["id"]] = (s["score"], s["workflow_state"], s["excused"])
    stored_subs = {
        r[0]: r[1:] for r in cur.execute(
            "SELECT submission_id, score, workflow_state, excused FROM canvas.submissions"
        ).fetchall()
    }
    assert stored_subs == expected_subs
    assert result.counts["submissions"] == len(expected_subs)
    assert result.counts["assignments"] == sum(len(ds.assignments(c)) for c in course_ids)
    assert result.counts["sections"] == sum(len(ds.sections(c)) for c in course_ids)
    assert fake.throttled_count == 0


def test_student_only_course_is_never_requested(fake, cur):
    _sync(fake)
    all_ids = {c["id"] for c in fake.dataset.list_courses()}
    teacher_ids = {c["id"] for c in fake.dataset.courses_for_teacher()}
    student_only = all_ids - teacher_ids
    assert student_only
    for course_id in student_only:
        assert fake.request_count(f"/api/v1/courses/{course_id}/") == 0


def test_second_sync_records_exactly_the_changes(fake, cur):
    _sync(fake)
    ds = fake.dataset
    course_id = ds.courses_for_teacher()[0]["id"]
    tests = set(ds.test_student_ids(course_id))
    submission = next(
        s for s in ds.submissions(course_id)
        if s["user_id"] not in tests and s["score"] is not None
    )
    key = (submission["assignment_id"], submission["user_id"])
    old_score = submission["score"]
    ds.set_score(course_id, *key, old_score + 1)
    new_score = next(
        s["score"] for s in ds.submissions(course_id) if (s["assignment_id"], s["user_id"]) == key
    )
    assert new_score != old_score
    result = _sync(fake)
    assert result.assignment_score_rows == 1
    rows = cur.execute(
        "SELECT sync_id, score FROM history.assignment_scores "
        "WHERE assignment_id = ? AND student_id = ? ORDER BY sync_id",
        list(key),
    ).fetchall()
    assert rows == [(1, old_score), (2, new_score)]
    # The course grade moved with it (the fake recomputes it the way Canvas does).
    assert result.grade_history_rows >= 1


def test_untracked_courses_are_listed_but_not_fetched(fake, cur):
    course_id = fake.dataset.courses_for_teacher()[0]["id"]
    set_course_metadata(course_id, tracking_enabled=False)
    _sync(fake)
    assert fake.request_count(f"/api/v1/courses/{course_id}/") == 0
    assert cur.execute(
        "SELECT count(*) FROM canvas.courses WHERE course_id = ?", [course_id]
    ).fetchone() == (1,)
    assert cur.execute(
        "SELECT count(*) FROM canvas.enrollments WHERE course_id = ?", [course_id]
    ).fetchone() == (0,)


def test_lowercase_link_headers_and_small_pages_are_followed(cur):
    with FakeCanvas(build_demo_dataset(seed=7), token=TOKEN, link_header="link",
                    per_page_cap=7) as small_pages:
        result = _sync(small_pages)
        expected = sum(
            len(small_pages.dataset.student_enrollments(c["id"]))
            for c in small_pages.dataset.courses_for_teacher()
        )
    assert result.counts["enrollments"] == expected


# -- failures: survived, or failed cleanly with the database unchanged -----------------------


def _assert_unchanged_but_failure_recorded(cur, before, reason):
    after = snapshot(cur)
    runs = after.pop("ops.sync_runs")
    before = dict(before)
    before.pop("ops.sync_runs")
    assert after == before
    failed = cur.execute(
        "SELECT status, error FROM ops.sync_runs ORDER BY sync_id DESC LIMIT 1"
    ).fetchone()
    assert failed[0] == "failed" and reason in failed[1]
    assert TOKEN not in repr(runs)


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_on_a_middle_page_are_retried(fake, cur, status):
    fault = fake.inject_fault("students/submissions", nth=2, status=status, times=2)
    result = _sync(fake)
    assert fault.fired == 2
    assert result.counts["submissions"] > 0


def test_persistent_server_errors_fail_cleanly(fake, cur):
    _sync(fake)
    before = snapshot(cur)
    fake.dataset.change_scores(0.5, seed=3)
    fake.inject_fault("students/submissions", nth=2, status=500, times=100)
    with pytest.raises(CanvasAPIError, match=r"failed .* with 500"):
        _sync(fake)
    _assert_unchanged_but_failure_recorded(cur, before, "500")


@pytest.mark.parametrize("kind", ["drop", "truncate", "short"])
def test_dropped_connections_and_truncated_json_are_retried(fake, cur, kind):
    fault = fake.inject_fault("enrollments", nth=1, kind=kind, times=2)
    result = _sync(fake)
    assert fault.fired == 2
    assert result.counts["enrollments"] > 0


def test_truncated_json_every_time_fails_cleanly(fake, cur):
    _sync(fake)
    before = snapshot(cur)
    fake.inject_fault("assignments", nth=1, kind="truncate", times=1000)
    with pytest.raises(CanvasAPIError, match="unreadable JSON"):
        _sync(fake)
    _assert_unchanged_but_failure_recorded(cur, before, "unreadable JSON")


def test_invalid_token_aborts_before_fetching_anything(fake, cur):
    _sync(fake)
    before = snapshot(cur)
    fake.reset_log()
    with pytest.raises(CanvasAuthError, match="invalid or expired") as caught:
        sync_from_canvas(fake.base_url, "wrong-token", retry=FAST)
    assert [path for _, path, _ in fake.request_log] == ["/api/v1/users/self"]
    assert "wrong-token" not in str(caught.value)
    _assert_unchanged_but_failure_recorded(cur, before, "401")


def test_a_refused_course_names_it_and_suggests_untracking(fake, cur):
    course_id = fake.dataset.courses_for_teacher()[0]["id"]
    fake.set_course_error(course_id, 403)
    before = snapshot(cur)
    with pytest.raises(CourseAccessError, match=rf"course {course_id} \(403.*stop tracking"):
        _sync(fake)
    _assert_unchanged_but_failure_recorded(cur, before, f"course {course_id}")
    set_course_metadata(course_id, tracking_enabled=False)
    assert _sync(fake).counts["courses"] >= 1


@pytest.mark.parametrize("throttle", ["403", "429"])
def test_throttled_requests_are_retried_until_they_pass(cur, throttle):
    bucket = ThrottleConfig(high_water=120, maximum=200, up_front=50, leak_rate=200)
    with FakeCanvas(build_demo_dataset(seed=7), token=TOKEN, throttle=throttle, bucket=bucket,
                    latency=0.02) as tight:
        patient = RetryPolicy(
            backoff_base=0.02, backoff_cap=0.2, max_throttle_retries=30, max_pause=0.05
        )
        result = sync_from_canvas(tight.base_url, TOKEN, retry=patient, max_in_flight=6)
        assert tight.throttled_count > 0
    assert result.counts["submissions"] > 0


def test_a_plain_403_is_not_mistaken_for_throttling(fake):
    course_id = fake.dataset.courses_for_teacher()[0]["id"]
    fake.set_course_error(course_id, 403)
    client = CanvasClient(fake.base_url, TOKEN, retry=FAST)
    with pytest.raises(CourseAccessError):
        client.get_collection("sections", f"courses/{course_id}/sections", course_id=course_id)
    assert client.throttled == 0
    assert fake.request_count(f"/api/v1/courses/{course_id}/sections") == 1


def test_default_settings_are_never_throttled_by_a_canvas_default_bucket(cur):
    with FakeCanvas(build_demo_dataset(seed=7), token=TOKEN, throttle="403",
                    latency=0.01) as canvas_like:
        _sync(canvas_like)
        assert canvas_like.throttled_count == 0


# -- mechanics --------------------------------------------------------------------------------


def test_requests_in_flight_stay_within_the_limit(fake):
    fake.latency = 0.02
    client = CanvasClient(fake.base_url, TOKEN, max_in_flight=3, retry=FAST)
    in_flight = peak = 0
    lock = threading.Lock()
    real_send = client._adapter.send

    def counting_send(*args, **kwargs):
        nonlocal in_flight, peak
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)
        try:
            return real_send(*args, **kwargs)
        finally:
            with lock:
                in_flight -= 1

    client._adapter.send = counting_send
    client.fetch_all()
    assert peak == 3


def test_a_page_linking_back_is_not_followed_forever(fake, monkeypatch):
    client = CanvasClient(fake.base_url, TOKEN, retry=FAST)
    first, second = client.api_url("courses?page=first"), client.api_url("courses?page=bm:2")
    pages = {first: (b'[{"id": 1}]', second), second: (b'[{"id": 2}]', first)}
    calls = []

    def fake_page(url, params=None, *, course_id=None, decode):
        calls.append(url)
        body, next_url = pages[url]
        return decode(body), next_url

    monkeypatch.setattr(client, "get_page", fake_page)
    monkeypatch.setattr(client, "api_url", lambda path: first)
    frame = client.get_collection("courses", "courses")
    assert calls == [first, second]
    assert frame["id"].to_list() == ["1", "2"]


def test_progress_is_reported_through_every_step(fake, cur):
    seen = []
    _sync(fake, progress=lambda step, done, total, message: seen.append((step, done, total)))
    steps = [s for s, _, _ in seen]
    assert steps[0] == "connect" and steps[-1] == "write"
    fetches = [(d, t) for s, d, t in seen if s == "fetch"]
    assert fetches[-1][0] == fetches[-1][1] > 0


def test_fetch_returns_raw_frames_for_every_resource(fake):
    data = fetch_canvas_data(fake.base_url, TOKEN, retry=FAST)
    assert set(data) == {"courses", "sections", "enrollments", "assignment_groups",
                         "assignments", "submissions"}
    assert all(isinstance(frame, pl.DataFrame) for frame in data.values())
    assert data["assignment_groups"]["course_id"].null_count() == 0


def test_the_token_never_appears_in_logs_errors_or_tables(fake, cur, caplog):
    caplog.set_level(logging.DEBUG)
    _sync(fake)
    fake.inject_fault("sections", nth=1, status=500, times=100)
    with pytest.raises(CanvasAPIError) as caught:
        _sync(fake)
    error_chain = []
    error: BaseException | None = caught.value
    while error is not None:
        error_chain.append(repr(error) + str(error))
        error = error.__cause__ or error.__context__
    assert TOKEN not in "\n".join(error_chain)
    assert TOKEN not in caplog.text
    assert TOKEN not in repr(snapshot(cur))
    assert TOKEN not in repr(CanvasClient(fake.base_url, TOKEN))


def test_connection_refused_fails_with_a_clear_message(cur):
    # Port 9 (discard) has nothing listening here; no request leaves loopback.
    started = time.monotonic()
    with pytest.raises(CanvasAPIError, match=r"^cannot connect to 127\.0\.0\.1:9 \(/api/v1/"):
        sync_from_canvas("http://127.0.0.1:9", TOKEN, retry=FAST)
    assert time.monotonic() - started < 10


def _tracked_submissions(ds) -> dict[tuple[int, int], tuple]:
    fields = ("score", "grade", "workflow_state", "late", "missing", "excused", "submitted_at",
              "graded_at")
    rows = {}
    for course in ds.courses_for_teacher():
        tests = set(ds.test_student_ids(course["id"]))
        for s in ds.submissions(course["id"]):
            if s["user_id"] not in tests:
                rows[(s["assignment_id"], s["user_id"])] = tuple(s.get(f) for f in fields)
    return rows


def test_moved_data_is_recorded_exactly_in_history(fake, cur):
    _sync(fake)
    before = _tracked_submissions(fake.dataset)
    assert fake.dataset.change_scores(0.1, seed=11) > 0
    after = _tracked_submissions(fake.dataset)
    changed = {key for key in after if before.get(key) != after[key]}
    assert changed
    result = _sync(fake)
    assert result.assignment_score_rows == len(changed)
    recorded = set(cur.execute(
        "SELECT assignment_id, student_id FROM history.assignment_scores WHERE sync_id = 2"
    ).fetchall())
    assert recorded == changed


def test_timeouts_are_retried_then_fail_the_sync(fake, cur):
    fake.latency = 0.3
    client = CanvasClient(fake.base_url, TOKEN, timeout=(2.0, 0.1), retry=FAST)
    with pytest.raises(CanvasAPIError, match=r"did not answer in time \(ReadTimeout\)"):
        client.whoami()
    assert client.requests_made == FAST.max_retries + 1


def test_the_client_pauses_when_the_bucket_runs_low(fake):
    client = CanvasClient(fake.base_url, TOKEN, retry=RetryPolicy(max_pause=1.0))

    class Answer:
        def __init__(self, remaining: str) -> None:
            self.headers = {"X-Rate-Limit-Remaining": remaining}

    client._note_remaining(Answer("600.0"))
    assert client._pause_until == 0.0
    client._note_remaining(Answer("30.0"))  # far below a quarter of the 600 seen
    pause = client._pause_until - time.monotonic()
    assert 0.5 < pause <= 1.0


# -- a scripted Canvas for answers the fake never gives ----------------------------------------


class _Scripted:
    """A loopback HTTP server answering fixed bodies per path; records every request."""

    def __init__(self) -> None:
        import http.server

        self.routes: dict[str, tuple[int, bytes, dict[str, str]]] = {}
        self.seen: list[tuple[str, str | None]] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.seen.append((self.path, self.headers.get("Authorization")))
                path = self.path.split("?")[0]
                status, body, headers = outer.routes.get(path, (404, b'{"errors":[]}', {}))
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def scripted():
    servers: list[_Scripted] = []

    def make() -> _Scripted:
        servers.append(_Scripted())
        return servers[-1]

    yield make
    for server in servers:
        server.close()


def test_a_next_link_to_another_host_is_refused_and_gets_no_token(scripted, cur):
    canvas, thief = scripted(), scripted()
    canvas.routes["/api/v1/users/self"] = (200, b'{"id": 1}', {})
    canvas.routes["/api/v1/courses"] = (
        200, b"[]", {"Link": f'<{thief.base_url}/api/v1/courses?page=2>; rel="next"'}
    )
    with pytest.raises(CanvasAPIError, match="another address"):
        sync_from_canvas(canvas.base_url, TOKEN, retry=FAST)
    assert thief.seen == []
    assert cur.execute("SELECT status FROM ops.sync_runs").fetchall() == [("failed",)]


def test_a_relative_next_link_is_followed_on_the_same_host(scripted):
    canvas = scripted()
    canvas.routes["/api/v1/users/self"] = (200, b'{"id": 1}', {})
    canvas.routes["/api/v1/courses"] = (200, b"[]", {})
    canvas.routes["/api/v1/courses/1/sections"] = (
        200, b'[{"id": 7, "course_id": 1}]',
        {"Link": '</api/v1/courses/1/sections2>; rel="next"'},
    )
    canvas.routes["/api/v1/courses/1/sections2"] = (200, b'[{"id": 8, "course_id": 1}]', {})
    client = CanvasClient(canvas.base_url, TOKEN, retry=FAST)
    frame = client.get_collection("sections", "courses/1/sections")
    assert frame["id"].to_list() == ["7", "8"]
    assert all(auth == f"Bearer {TOKEN}" for _, auth in canvas.seen)


def test_canvas_data_of_the_wrong_shape_fails_the_sync_and_is_recorded(scripted, cur):
    canvas = scripted()
    canvas.routes["/api/v1/users/self"] = (200, b'{"id": 1}', {})
    canvas.routes["/api/v1/courses"] = (200, b'[{"id": 1, "name": "C"}]', {})
    for path in ("enrollments", "assignments", "assignment_groups", "students/submissions"):
        canvas.routes[f"/api/v1/courses/1/{path}"] = (200, b"[]", {})
    canvas.routes["/api/v1/courses/1/sections"] = (200, b'{"oops": true}', {})
    with pytest.raises(DataValidationError, match=r"courses/1/sections: .*expected a list"):
        sync_from_canvas(canvas.base_url, TOKEN, retry=FAST)
    (error,) = cur.execute("SELECT error FROM ops.sync_runs WHERE status = 'failed'").fetchone()
    assert "courses/1/sections" in error
    assert cur.execute("SELECT count(*) FROM canvas.courses").fetchone() == (0,)


def test_stopping_a_fetch_stops_its_workers(cur):
    with FakeCanvas(build_demo_dataset(seed=7), token=TOKEN, latency=0.05) as slow:
        fetch_canvas_data(slow.base_url, TOKEN, retry=FAST, max_in_flight=2)
        full_fetch = slow.request_count()
        slow.reset_log()

        def stop_at_first_collection(step, done, total, message):
            if step == "fetch" and done == 1:
                raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            sync_from_canvas(slow.base_url, TOKEN, retry=FAST, max_in_flight=2,
                             progress=stop_at_first_collection)
        # Progress arrives as collections finish, and the interrupt stops the rest.
        assert slow.request_count() < full_fetch / 2


def test_throttling_past_the_retry_budget_fails_cleanly(cur):
    # Every request needs 50 units up front; a bucket that only ever allows 40 refuses all.
    bucket = ThrottleConfig(high_water=40, maximum=100, up_front=50, leak_rate=0.01)
    with FakeCanvas(build_demo_dataset(seed=7), token=TOKEN, throttle="403",
                    bucket=bucket) as stingy:
        impatient = RetryPolicy(backoff_base=0.01, backoff_cap=0.02, max_throttle_retries=2,
                                max_pause=0.01)
        before = snapshot(cur)
        with pytest.raises(CanvasAPIError, match="kept throttling"):
            sync_from_canvas(stingy.base_url, TOKEN, retry=impatient, max_in_flight=2)
    _assert_unchanged_but_failure_recorded(cur, before, "kept throttling")


def test_non_ascii_tokens_are_refused_before_any_request():
    with pytest.raises(ConfigError, match="non-ASCII"):
        check_token("abc\u2019def")


# -- scheduling and throttles (issue 14) -------------------------------------------------------


def test_each_page_of_the_course_list_starts_its_courses_at_once():
    # Two courses a page: the courses of the first page are being fetched while the client
    # still reads the rest of the list, so the critical path is one chain, not two in a row.
    dataset = build_synthetic_dataset(5, 2, 2, seed=3)
    with FakeCanvas(dataset, token=TOKEN, latency=0.1, per_page_cap=2) as slow:
        data = CanvasClient(slow.base_url, TOKEN, retry=FAST).fetch_all()
        log = [path for _, path, _ in slow.request_log]
    pages_of_the_list = [i for i, path in enumerate(log) if path.startswith("/api/v1/courses?")
                         or path.startswith("/api/v1/courses/?")]
    assert len(pages_of_the_list) == 3
    first_course_request = next(i for i, path in enumerate(log)
                                if path.startswith("/api/v1/courses/"))
    assert first_course_request < pages_of_the_list[-1]
    assert data["courses"].height == 5 and data["submissions"].height == 5 * 2 * 2


def test_in_flight_limit_halves_on_a_throttle_and_climbs_back_to_below_where_it_came():
    limit = InFlightLimit(4, threading.Event())
    slots = [limit.slot() for _ in range(4)]
    for slot in slots:
        slot.__enter__()
    slots.pop().__exit__(None, None, None)  # the throttled request's slot is free again
    limit.throttled()  # 4 were in flight: too many for this bucket
    assert (limit.limit, limit.ceiling, limit.lowest) == (2, 3, 2)
    for slot in slots:
        slot.__exit__(None, None, None)
    for _ in range(2 + 3 + 10):
        limit.answered()
    assert limit.limit == 3  # back up, but not to the number that was throttled
    limit.throttled()  # nothing else in flight: one at a time from now on
    assert (limit.limit, limit.ceiling, limit.lowest) == (1, 1, 1)


def test_a_token_with_a_tighter_bucket_still_syncs_and_settles_at_what_it_allows(cur):
    # Room for 2 requests in flight where the client sends 4 (up front 50 units each).
    bucket = ThrottleConfig(high_water=150)
    with FakeCanvas(build_demo_dataset(seed=7), token=TOKEN, throttle="403", bucket=bucket,
                    latency=0.02) as tight:
        client = CanvasClient(tight.base_url, TOKEN)  # the default retry policy
        data = client.fetch_all()
        throttled = tight.throttled_count
    assert 1 <= throttled <= 4  # a throttle or two lowers the ceiling; then none
    assert client.lowest_in_flight <= 2
    assert data["submissions"].height > 0
    result = full_canvas_sync(data, cur=cur)
    assert result.counts["submissions"] > 0


def test_the_token_is_checked_while_the_database_is_read(fake, tmp_path):
    # The first step (what to fetch, the attempt's record) waits here until Canvas has seen
    # the token's check: were the check made after the step, it would wait in vain.
    database = open_database(tmp_path / "overlap.duckdb")
    checked_during_the_first_step: list[bool] = []

    def token_checked() -> bool:
        return any(path.startswith("/api/v1/users/self") for _, path, _ in fake.request_log)

    class Watching:
        @contextmanager
        def session(self):
            if not checked_during_the_first_step:
                deadline = time.monotonic() + 10
                while not token_checked() and time.monotonic() < deadline:
                    time.sleep(0.01)
                checked_during_the_first_step.append(token_checked())
            with database.session() as cur:
                yield cur

    result = sync_from_canvas(fake.base_url, TOKEN, retry=FAST, sessions=Watching())
    database.close()
    assert checked_during_the_first_step == [True]
    assert result.counts["submissions"] > 0
    assert [p for _, p, _ in fake.request_log].count("/api/v1/users/self") == 1
