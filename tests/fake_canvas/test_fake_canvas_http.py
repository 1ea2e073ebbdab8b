"""The fake Canvas server over real HTTP on 127.0.0.1: auth, pagination, filters, throttling,
latency and faults."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import requests

from tracker_db.fake_canvas import (
    FakeCanvas,
    ThrottleConfig,
    build_demo_dataset,
    build_synthetic_dataset,
)

TOKEN = "test-token"  # the one the conftest servers accept
SYNC_STATES = {"state[]": ["active", "invited", "inactive", "completed"]}
CANVAS_404 = {"errors": [{"message": "The specified resource does not exist."}]}
CANVAS_UNAUTHORIZED = {
    "status": "unauthorized",
    "errors": [{"message": "user not authorized to perform that action"}],
}


def _rels(response: requests.Response) -> list[str]:
    header = response.headers["Link"]
    return [part.split('rel="')[1].rstrip('"') for part in header.split(",")]


# ---------------------------------------------------------------------------- auth


@pytest.mark.parametrize("auth", [None, "Bearer wrong-token", f"Basic {TOKEN}"])
def test_bad_or_missing_token_is_401_with_canvas_body(demo: Any, auth: str | None) -> None:
    headers = {"Authorization": auth} if auth else {}
    response = requests.get(demo.url("/users/self"), headers=headers, timeout=5)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="canvas-lms"'
    assert response.json() == {"errors": [{"message": "Invalid access token."}]}


def test_users_self_is_the_token_user(demo: Any) -> None:
    response = demo.get("/users/self")
    assert response.status_code == 200
    me = response.json()
    assert me["id"] == 5001
    assert me["name"] == "Dana Whitfield"
    assert float(response.headers["X-Request-Cost"]) >= 0
    assert float(response.headers["X-Rate-Limit-Remaining"]) <= 600


# ---------------------------------------------------------------------------- courses


def test_teacher_course_list_excludes_student_only_course(demo: Any) -> None:
    params = {
        "enrollment_type": "teacher",
        "include[]": ["term", "total_students"],
        "state[]": ["available", "completed", "unpublished"],
        "per_page": 100,
    }
    courses, _ = demo.walk("/courses", params)
    assert [c["id"] for c in courses] == [101, 102, 103, 104, 106]
    by_id = {c["id"]: c for c in courses}
    assert by_id[103]["term"] == {"id": 1, "name": "Default Term", "start_at": None, "end_at": None}
    assert by_id[104]["workflow_state"] == "completed"
    assert by_id[106]["total_students"] == 0
    assert by_id[101]["total_students"] > 30
    assert all(c["enrollments"][0]["type"] == "teacher" for c in courses)
    everything, _ = demo.walk("/courses", {"state[]": ["available"]})
    assert 105 in {c["id"] for c in everything}  # the student course exists for the user


def test_course_includes_are_optional(demo: Any) -> None:
    bare = demo.get("/courses", {"enrollment_type": "teacher"}).json()
    assert bare and all("term" not in c and "total_students" not in c for c in bare)
    # Without state[] a teacher sees every state but deleted.
    assert {c["workflow_state"] for c in bare} == {"available", "completed", "unpublished"}


def test_unknown_course_is_404_and_student_course_is_403(demo: Any) -> None:
    missing = demo.get("/courses/999999/assignments")
    assert missing.status_code == 404
    assert missing.json() == CANVAS_404
    forbidden = demo.get("/courses/105/enrollments")
    assert forbidden.status_code == 403
    assert forbidden.headers["Content-Type"].startswith("application/json")
    assert forbidden.json() == CANVAS_UNAUTHORIZED
    assert demo.get("/nonsense").status_code == 404


def test_configured_course_errors(fresh: Any) -> None:
    fresh.fake.set_course_error(101, 403)
    fresh.fake.set_course_error(102, 404)
    assert fresh.get("/courses/101/sections").json() == CANVAS_UNAUTHORIZED
    assert fresh.get("/courses/101/sections").status_code == 403
    assert fresh.get("/courses/102/students/submissions").status_code == 404
    fresh.fake.set_course_error(101, None)
    assert fresh.get("/courses/101/sections").status_code == 200


# ---------------------------------------------------------------------------- pagination


def test_default_page_size_and_per_page_cap(demo: Any) -> None:
    path = "/courses/101/students/submissions"
    assert len(demo.get(path, {"student_ids[]": "all"}).json()) == 10
    assert len(demo.get(path, {"student_ids[]": "all", "per_page": 1000}).json()) == 100
    assert len(demo.get(path, {"student_ids[]": "all", "per_page": 37}).json()) == 37


def test_configurable_per_page_cap(client_for: Any) -> None:
    with FakeCanvas(build_demo_dataset(), token=TOKEN, per_page_cap=25) as fake:
        rows = client_for(fake).get("/courses/101/enrollments", {"per_page": 100}).json()
        assert len(rows) == 25


def test_numbered_pagination_walks_all_pages(demo: Any) -> None:
    expected = [a["id"] for a in demo.fake.dataset.assignments(101)]
    rows, pages = demo.walk("/courses/101/assignments", {"per_page": 3})
    assert [a["id"] for a in rows] == expected
    assert pages == -(-len(expected) // 3)

    middle = demo.get("/courses/101/assignments", {"per_page": 3, "page": 2})
    assert _rels(middle) == ["current", "next", "prev", "first", "last"]
    last_url = middle.links["last"]["url"]
    assert last_url.startswith(demo.fake.base_url + "/api/v1/courses/101/assignments?")
    assert parse_qs(urlparse(last_url).query)["page"] == [str(pages)]
    assert parse_qs(urlparse(last_url).query)["per_page"] == ["3"]

    first = demo.get("/courses/101/assignments", {"per_page": 3})
    assert _rels(first) == ["current", "next", "first", "last"]
    past_end = demo.get("/courses/101/assignments", {"per_page": 3, "page": pages + 5})
    assert past_end.status_code == 200
    assert past_end.json() == []


def test_numbered_pagination_for_sections_groups_and_courses(demo: Any) -> None:
    ds = demo.fake.dataset
    sections, _ = demo.walk("/courses/101/sections", {"per_page": 1})
    assert sections == ds.sections(101)
    assert any(s["nonxlist_course_id"] for s in sections)
    groups, _ = demo.walk("/courses/102/assignment_groups", {"per_page": 2})
    assert [g["group_weight"] for g in groups] == [40.0, 35.5, 24.5]
    courses, pages = demo.walk("/courses", {"enrollment_type": "teacher", "per_page": 2})
    assert len(courses) == 5
    assert pages == 3


def test_bookmarked_pagination_walks_all_and_has_no_last(demo: Any) -> None:
    params = {"type[]": "StudentEnrollment", **SYNC_STATES, "per_page": 7}
    rows, pages = demo.walk("/courses/101/enrollments", params)
    expected = demo.fake.dataset.student_enrollments(101)
    assert [e["id"] for e in rows] == [e["id"] for e in expected]
    assert pages == -(-len(expected) // 7)

    first = demo.get("/courses/101/enrollments", params)
    assert _rels(first) == ["current", "next", "first"]
    next_page = parse_qs(urlparse(first.links["next"]["url"]).query)["page"][0]
    assert next_page.startswith("bookmark:")


def test_undecodable_bookmark_returns_first_page(demo: Any) -> None:
    params = {"student_ids[]": "all", "per_page": 20}
    first = demo.get("/courses/101/students/submissions", {**params, "page": "first"}).json()
    for bad in ("bookmark:!!!not-base64", "bookmark:", "garbage", "bookmark:WzFd"):
        again = demo.get("/courses/101/students/submissions", {**params, "page": bad})
        assert again.status_code == 200
        if bad == "bookmark:WzFd":
            continue  # decodes to [1]: a valid key of the wrong shape, still the first page
        assert again.json() == first


def test_link_urls_follow_the_host_header(demo: Any) -> None:
    response = demo.get("/courses/101/sections", {"per_page": 1}, headers={"Host": "canvas.test"})
    assert response.links["next"]["url"].startswith("http://canvas.test/api/v1/courses/101/")


@pytest.mark.parametrize("spelling", ["link", "Link"])
def test_link_header_spelling(spelling: str) -> None:
    with FakeCanvas(build_demo_dataset(), token=TOKEN, link_header=spelling) as fake:
        conn = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=5)
        conn.request(
            "GET",
            "/api/v1/courses/101/sections?per_page=1",
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        response = conn.getresponse()
        response.read()
        names = [name for name, _ in response.getheaders()]
        assert spelling in names
        assert ({"link", "Link"} - {spelling}).isdisjoint(names)
        conn.close()


# ---------------------------------------------------------------------------- enrollments


def test_student_enrollments_exclude_test_student_teacher_and_deleted(demo: Any) -> None:
    params = {"type[]": "StudentEnrollment", **SYNC_STATES, "per_page": 100}
    rows, _ = demo.walk("/courses/101/enrollments", params)
    assert {e["type"] for e in rows} == {"StudentEnrollment"}
    assert "Test Student" not in {e["user"]["name"] for e in rows}
    assert {e["enrollment_state"] for e in rows} == {"active", "invited", "inactive", "completed"}
    assert all(
        e["grades"]["current_score"] is None or e["grades"]["current_score"] >= 0 for e in rows
    )

    everyone, _ = demo.walk("/courses/101/enrollments", {"per_page": 100})
    types = {e["type"] for e in everyone}
    assert {"TeacherEnrollment", "TaEnrollment", "StudentViewEnrollment"} <= types
    # Without state[] teachers get active + invited + inactive only.
    assert {e["enrollment_state"] for e in everyone} == {"active", "invited", "inactive"}
    teacher = next(e for e in everyone if e["type"] == "TeacherEnrollment")
    assert "grades" not in teacher


# ---------------------------------------------------------------------------- submissions


def test_bulk_submissions_include_test_student_and_skip_unpublished(demo: Any) -> None:
    ds = demo.fake.dataset
    rows, _ = demo.walk(
        "/courses/101/students/submissions", {"student_ids[]": "all", "per_page": 100}
    )
    assert len(rows) == len({r["id"] for r in rows})  # no duplicates
    assert sorted(r["id"] for r in rows) == sorted(r["id"] for r in ds.submissions(101))
    unpublished = {a["id"] for a in ds.assignments(101) if not a["published"]}
    assert unpublished
    assert not unpublished & {r["assignment_id"] for r in rows}
    test_students = set(ds.test_student_ids(101))
    assert test_students and test_students <= {r["user_id"] for r in rows}
    published = [a for a in ds.assignments(101) if a["published"]]
    users = {r["user_id"] for r in rows}
    assert len(rows) == len(users) * len(published)


def test_bulk_submissions_student_id_limits(demo: Any) -> None:
    path = "/courses/101/students/submissions"
    too_many = demo.get(path, {"student_ids[]": [str(5000 + n) for n in range(101)]})
    assert too_many.status_code == 400
    assert too_many.json() == {"error": "too many students"}
    one = demo.get(path, {"student_ids[]": ["5004"], "per_page": 100})
    assert one.status_code == 200
    assert {r["user_id"] for r in one.json()} == {5004}


@pytest.mark.parametrize("course_id", [101, 103])
def test_graded_since_is_strictly_after(demo: Any, course_id: int) -> None:
    ds = demo.fake.dataset
    graded = [r for r in ds.submissions(course_id) if r["graded_at"]]
    moments = sorted({datetime.fromisoformat(r["graded_at"]) for r in graded})
    cut = moments[len(moments) // 2]
    rows, _ = demo.walk(
        f"/courses/{course_id}/students/submissions",
        {"student_ids[]": "all", "per_page": 50, "graded_since": cut.isoformat()},
    )
    expected = {r["id"] for r in graded if datetime.fromisoformat(r["graded_at"]) > cut}
    assert {r["id"] for r in rows} == expected
    assert expected


def test_submitted_since_filters(demo: Any) -> None:
    rows, _ = demo.walk(
        "/courses/102/students/submissions",
        {"student_ids[]": "all", "per_page": 100, "submitted_since": "2100-01-01T00:00:00Z"},
    )
    assert rows == []


# ---------------------------------------------------------------------------- throttling


def _burst(client: Any, n: int, path: str = "/users/self") -> list[requests.Response]:
    """Send n requests at once, each on its own connection."""
    start = threading.Barrier(n)

    def one(_: int) -> requests.Response:
        with requests.Session() as session:
            session.trust_env = False
            start.wait()  # all threads fire together, so all are in flight together
            return session.get(
                client.url(path), headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
            )

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(one, range(n)))


@pytest.mark.parametrize("mode", ["403", "429"])
def test_throttle_trips_with_many_requests_in_flight(mode: str, client_for: Any) -> None:
    with FakeCanvas(build_demo_dataset(), token=TOKEN, latency=0.8, throttle=mode) as fake:
        responses = _burst(client_for(fake), 20)
        for response in responses:
            assert float(response.headers["X-Rate-Limit-Remaining"]) <= 600
            assert float(response.headers["X-Request-Cost"]) >= 0
        throttled = [r for r in responses if r.status_code == int(mode)]
        ok = [r for r in responses if r.status_code == 200]
        # 50 units up front each: about the 12th concurrent request reaches the high-water mark
        # (the bucket leaks 10 units/s meanwhile, which may let one more in).
        assert 11 <= len(ok) <= 12
        assert len(throttled) == 20 - len(ok)
        assert fake.throttled_count == len(throttled)
        for response in throttled:
            assert response.headers["Content-Type"].startswith("text/plain")
            assert "Retry-After" not in response.headers
            reason = "Forbidden" if mode == "403" else "Too Many Requests"
            assert response.text == f"{mode} {reason} (Rate Limit Exceeded)\n"


def test_throttle_with_small_bucket_and_recovery(client_for: Any) -> None:
    bucket = ThrottleConfig(high_water=100, maximum=150, leak_rate=1000, up_front=40)
    with FakeCanvas(
        build_demo_dataset(), token=TOKEN, latency=0.3, throttle="403", bucket=bucket
    ) as fake:
        client = client_for(fake)
        responses = _burst(client, 4)
        assert sorted(r.status_code for r in responses) == [200, 200, 403, 403]
        # Once the burst is over the bucket has drained: sequential requests pass.
        assert all(client.get("/users/self").status_code == 200 for _ in range(3))


def test_sequential_requests_and_few_in_flight_never_throttle(client_for: Any) -> None:
    with FakeCanvas(build_demo_dataset(), token=TOKEN, throttle="403", latency=0.05) as fake:
        client = client_for(fake)
        for _ in range(40):
            assert client.get("/courses/101/students/submissions", {"per_page": 100}).ok
        assert all(r.status_code == 200 for r in _burst(client, 4))
        assert fake.throttled_count == 0


def test_throttle_off_never_rejects(client_for: Any) -> None:
    with FakeCanvas(build_demo_dataset(), token=TOKEN, latency=0.3, throttle="off") as fake:
        assert all(r.status_code == 200 for r in _burst(client_for(fake), 16))


def test_fixed_cost_drains_remaining(client_for: Any) -> None:
    bucket = ThrottleConfig(request_cost=25.0, leak_rate=0.001)
    with FakeCanvas(build_demo_dataset(), token=TOKEN, throttle="403", bucket=bucket) as fake:
        client = client_for(fake)
        remaining = [
            float(client.get("/users/self").headers["X-Rate-Limit-Remaining"]) for _ in range(4)
        ]
        assert remaining == pytest.approx([575, 550, 525, 500], abs=0.5)
        statuses = [client.get("/users/self").status_code for _ in range(30)]
        assert 403 in statuses  # cost alone eventually fills the bucket


# ---------------------------------------------------------------------------- latency


def test_latency_is_applied_concurrently(client_for: Any) -> None:
    with FakeCanvas(build_demo_dataset(), token=TOKEN, latency=0.5) as fake:
        client = client_for(fake)
        started = time.monotonic()
        responses = _burst(client, 8)
        elapsed = time.monotonic() - started
        assert all(r.status_code == 200 for r in responses)
        assert 0.5 <= elapsed < 1.5, elapsed  # about L, far from 8 x L
        started = time.monotonic()
        client.get("/users/self")
        assert time.monotonic() - started >= 0.5


# ---------------------------------------------------------------------------- faults


def test_status_fault_on_nth_request(fresh: Any) -> None:
    fault = fresh.fake.inject_fault("/assignments", nth=2, status=500, times=2)
    path = "/courses/101/assignments"
    assert fresh.get(path).status_code == 200
    second = fresh.get(path)
    assert second.status_code == 500
    assert second.json()["errors"] == [{"message": "An error occurred."}]
    assert fresh.get(path).status_code == 500
    assert fresh.get(path).status_code == 200
    assert fresh.get("/courses/101/sections").status_code == 200  # other paths unaffected
    assert (fault.seen, fault.fired) == (4, 2)
    statuses = [s for _, p, s in fresh.fake.request_log if "/assignments" in p]
    assert statuses == [200, 500, 500, 200]


@pytest.mark.parametrize("status", [502, 503, 504])
def test_proxy_fault_has_html_body(fresh: Any, status: int) -> None:
    fresh.fake.inject_fault("students/submissions", status=status)
    response = fresh.get("/courses/101/students/submissions", {"student_ids[]": "all"})
    assert response.status_code == status
    assert response.headers["Content-Type"].startswith("text/html")
    assert f"<h1>{status} " in response.text
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.text)


def test_drop_fault_closes_without_response(fresh: Any) -> None:
    fresh.fake.inject_fault("/sections", kind="drop")
    with pytest.raises(requests.ConnectionError):
        fresh.get("/courses/101/sections")
    assert fresh.get("/courses/101/sections").status_code == 200
    assert ("GET", "/api/v1/courses/101/sections", 0) in fresh.fake.request_log


def test_truncate_fault_sends_invalid_json(fresh: Any) -> None:
    fresh.fake.inject_fault("/enrollments", kind="truncate")
    response = fresh.get("/courses/101/enrollments", {"per_page": 50})
    assert response.status_code == 200
    assert int(response.headers["Content-Length"]) == len(response.content)
    with pytest.raises(ValueError):
        response.json()
    again = fresh.get("/courses/101/enrollments", {"per_page": 50}).json()
    assert [e["id"] for e in again] == [e["id"] for e in fresh.fake.dataset.enrollments(101)][:50]
    # html_url fields point at the fake itself, not at a placeholder host.
    assert again[0]["html_url"].startswith(fresh.fake.base_url + "/courses/101/users/")


def test_short_fault_breaks_the_read(fresh: Any) -> None:
    fresh.fake.inject_fault("/enrollments", kind="short")
    with pytest.raises(requests.exceptions.RequestException):
        fresh.get("/courses/101/enrollments", {"per_page": 50}).json()
    assert fresh.get("/courses/101/enrollments").status_code == 200


def test_inject_fault_validates_arguments(fresh: Any) -> None:
    with pytest.raises(ValueError):
        fresh.fake.inject_fault("/x", kind="explode")
    with pytest.raises(ValueError):
        fresh.fake.inject_fault("/x", nth=0)


# ---------------------------------------------------------------------------- mutations over HTTP


def test_mutations_show_up_in_responses(fresh: Any) -> None:
    ds = fresh.fake.dataset
    subs = "/courses/101/students/submissions"
    before = {r["id"]: r for r in fresh.walk(subs, {"student_ids[]": "all", "per_page": 100})[0]}

    changed = ds.change_scores(0.05, seed=3)
    after = {r["id"]: r for r in fresh.walk(subs, {"student_ids[]": "all", "per_page": 100})[0]}
    differing = [i for i in before if before[i]["score"] != after[i]["score"]]
    assert changed > 0
    assert 0 < len(differing) <= changed
    for sid in differing:
        assert after[sid]["graded_at"] > before[sid]["graded_at"]

    victim = next(e for e in ds.student_enrollments(101) if e["enrollment_state"] == "active")
    uid = victim["user_id"]
    ds.rename_student(uid, "Renamed 🎉 Person")
    params = {"type[]": "StudentEnrollment", **SYNC_STATES, "per_page": 100}
    rows, _ = fresh.walk("/courses/101/enrollments", params)
    assert {e["user"]["name"] for e in rows if e["user_id"] == uid} == {"Renamed 🎉 Person"}

    ds.drop_student(101, uid, "deleted")
    rows, _ = fresh.walk("/courses/101/enrollments", params)
    assert uid not in {e["user_id"] for e in rows}
    subs_rows, _ = fresh.walk(subs, {"student_ids[]": "all", "per_page": 100})
    assert uid not in {r["user_id"] for r in subs_rows}

    ds.reenroll_student(101, uid)
    rows, _ = fresh.walk("/courses/101/enrollments", params)
    assert {e["enrollment_state"] for e in rows if e["user_id"] == uid} == {"active"}

    new_id = ds.add_assignment(101, "Pop quiz <i>surprise</i>", points_possible=5)
    assignments, _ = fresh.walk("/courses/101/assignments", {"per_page": 100})
    assert new_id in {a["id"] for a in assignments}
    subs_rows, _ = fresh.walk(subs, {"student_ids[]": "all", "per_page": 100})
    placeholders = [r for r in subs_rows if r["assignment_id"] == new_id]
    assert len(placeholders) == len({r["user_id"] for r in subs_rows})
    assert {r["workflow_state"] for r in placeholders} == {"unsubmitted"}

    ds.delete_assignment(101, new_id)
    assignments, _ = fresh.walk("/courses/101/assignments", {"per_page": 100})
    assert new_id not in {a["id"] for a in assignments}
    subs_rows, _ = fresh.walk(subs, {"student_ids[]": "all", "per_page": 100})
    assert new_id not in {r["assignment_id"] for r in subs_rows}


def test_serving_while_mutating_is_consistent(client_for: Any) -> None:
    ds = build_synthetic_dataset(
        courses=2, students_per_course=30, assignments_per_course=10, seed=4
    )
    with FakeCanvas(ds, token=TOKEN) as fake:
        client = client_for(fake)
        stop = threading.Event()

        def mutate() -> None:
            seed = 0
            while not stop.is_set():
                seed += 1
                ds.change_scores(0.02, seed=seed)

        worker = threading.Thread(target=mutate)
        worker.start()
        try:
            for _ in range(3):
                rows, _ = client.walk(
                    "/courses/101/students/submissions", {"student_ids[]": "all", "per_page": 100}
                )
                assert len(rows) == 300
        finally:
            stop.set()
            worker.join()
        assert fake.server_errors == []


def test_keep_alive_reuses_one_connection(demo: Any) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", demo.fake.port, timeout=5)
    for _ in range(5):
        conn.request("GET", "/api/v1/users/self", headers={"Authorization": f"Bearer {TOKEN}"})
        response = conn.getresponse()
        assert response.status == 200
        assert json.loads(response.read())["id"] == 5001
        assert response.getheader("Connection") != "close"
    conn.close()


def test_stop_and_restart() -> None:
    fake = FakeCanvas(build_demo_dataset(), token=TOKEN).start()
    url = fake.base_url
    assert requests.get(
        url + "/api/v1/users/self", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5
    ).ok
    fake.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(url + "/api/v1/users/self", timeout=2)
    with pytest.raises(RuntimeError):
        _ = fake.base_url


def test_filtered_and_fast_submission_paths_agree(fresh: Any) -> None:
    fresh.fake.dataset.change_scores(0.1, seed=5)
    path = "/courses/102/students/submissions"
    fast, _ = fresh.walk(path, {"student_ids[]": "all", "per_page": 30})
    # A since-filter far in the past keeps every graded row but takes the dict path.
    slow, _ = fresh.walk(
        path, {"student_ids[]": "all", "per_page": 30, "graded_since": "1970-01-01T00:00:00Z"}
    )
    assert slow == [r for r in fast if r["graded_at"]]


def test_command_line_serves_until_interrupted() -> None:
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tracker_db.fake_canvas", "--port", "0", "--json", "--token", "tok"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        info = json.loads(proc.stdout.readline())
        assert info["token"] == "tok"
        assert info["courses"] == 5
        response = requests.get(
            info["base_url"] + "/api/v1/users/self",
            headers={"Authorization": "Bearer tok"},
            timeout=5,
        )
        assert response.json()["id"] == 5001
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
