"""A Canvas, or an address, that means harm: nothing it does may reach the token elsewhere,
hold a sync forever, fill the memory, or be stored.
"""

from __future__ import annotations

import gzip
import time
from pathlib import Path

import pytest

from tests.hostile import HostileServer
from tracker_db.canvas.client import CanvasClient, ResponseLimits, RetryPolicy
from tracker_db.errors import CanvasAPIError, CanvasAuthError, ConfigError
from tracker_db.sync.from_canvas import sync_from_canvas

TOKEN = "hostile-test-token"
FAST = RetryPolicy(max_retries=1, backoff_base=0.01, backoff_cap=0.02)
SMALL = ResponseLimits(max_bytes=2**20, deadline_seconds=1.0)
ME = {"id": 1, "name": "Teacher"}


def _client(url: str, limits: ResponseLimits = SMALL) -> CanvasClient:
    return CanvasClient(url, TOKEN, retry=FAST, limits=limits)


# ---------------------------------------------------------------------------------------------
# The address


@pytest.mark.parametrize("address", [
    "https://canvas.school.test\\@evil.example/",      # backslash: parsers split it apart
    "https://canvas.school.test%2f@evil.example",      # percent form before an '@'
    "https://2130706433/",                             # 127.0.0.1 as one number
    "https://0x7f.0.0.1/",                             # hex
    "http://127.1/",                                   # shorthand
    "https://[fe80::1%25eth0]/",                       # an IPv6 zone
    "https://canvas.school.test\t/",                   # a control character
    "https://canvas.school.test /",                    # a space
    "https://-canvas-.test/",                          # not a host name
    "https://canvas.school.test:99999/",               # no such port
])
def test_an_address_parsers_read_differently_is_refused_before_any_request(address):
    with pytest.raises(ConfigError, match="Canvas base URL"):
        CanvasClient(address, TOKEN)


def test_user_info_is_refused_and_never_shown():
    with pytest.raises(ConfigError) as refused:
        CanvasClient("https://teacher:s3cret-pw@canvas.school.test", TOKEN)
    assert "user name or password" in str(refused.value)
    assert "s3cret-pw" not in str(refused.value) and "teacher" not in str(refused.value)


@pytest.mark.parametrize(("address", "message"), [
    ("https://canvas.school.test/api/v1/courses", "includes an API path"),
    ("https://canvas.school.test/api/v2", "includes an API path"),
    ("http://canvas.school.test", "must use https"),
    ("https://canvas.school.test/?next=1", "query or fragment"),
])
def test_addresses_a_person_gets_wrong_are_explained(address, message):
    with pytest.raises(ConfigError, match=message):
        CanvasClient(address, TOKEN)


def test_one_canonical_form_is_kept():
    client = CanvasClient("HTTPS://Canvas.School.TEST:443/api/v1/", TOKEN)
    assert client.base_url == "https://canvas.school.test"


# ---------------------------------------------------------------------------------------------
# Redirects


def test_a_redirect_on_the_same_canvas_is_followed():
    def answer(h):
        if h.path.startswith("/api/v1/users/self"):
            h.redirect("/api/v1/users/me?per_page=100")
        else:
            h.send_json(ME)

    with HostileServer(answer) as server:
        assert _client(server.url).whoami() == ME
        assert [p for p, _ in server.requests] == ["/api/v1/users/self",
                                                   "/api/v1/users/me?per_page=100"]


def test_a_redirect_to_another_port_is_refused_and_nothing_goes_there(cur):
    with HostileServer(lambda h: h.send_json(ME)) as elsewhere:
        def answer(h):
            return h.redirect(f"{elsewhere.url}/api/v1/users/self")

        with HostileServer(answer) as server, pytest.raises(
            CanvasAPIError
        ) as refused:
            sync_from_canvas(server.url, TOKEN, retry=FAST)
    message = str(refused.value)
    assert "redirected /api/v1/users/self to another address" in message
    assert elsewhere.url.split("//")[1] in message and "nothing from that answer" in message
    assert elsewhere.requests == []  # the token never went there
    # Nothing was stored but the failed attempt.
    assert cur.execute("SELECT count(*) FROM canvas.courses").fetchone() == (0,)
    assert cur.execute("SELECT status FROM ops.sync_runs").fetchall() == [("failed",)]


def test_a_redirect_to_another_host_name_is_refused():
    # Same address and port, another host name: a different origin all the same.
    def answer(h):
        port = h.headers["Host"].rsplit(":", 1)[1]
        return h.redirect(f"http://localhost:{port}/api/v1/users/self")

    with HostileServer(answer) as s, pytest.raises(
        CanvasAPIError, match="to another address"
    ):
        _client(s.url).whoami()
    assert len(s.requests) == 1  # the redirect was not followed back to this server


def test_a_redirect_to_another_scheme_is_refused():
    def answer(h):
        return h.redirect(h.headers["Host"].join(("https://", "/x")))

    with HostileServer(answer) as s, pytest.raises(
        CanvasAPIError, match="to another address"
    ):
        _client(s.url).whoami()


# ---------------------------------------------------------------------------------------------
# Size and time


def test_an_answer_declared_too_large_is_refused_unread():
    big = b"[" + b"0," * (2**20) + b"0]"
    def answer(h):
        return h.send_bytes(big)

    with HostileServer(answer) as server, pytest.raises(
        CanvasAPIError, match=r"larger than the 1 MB allowed.*CANVAS_MAX_RESPONSE_MB"
    ):
        _client(server.url).whoami()


def test_an_answer_that_grows_past_the_limit_unannounced_is_refused():
    chunks = [b"[" + b"0," * 40_000] * 40  # 3 MB in chunks, no Content-Length
    def answer(h):
        return h.send_chunked(chunks)

    with HostileServer(answer) as server, pytest.raises(
        CanvasAPIError, match="larger than the 1 MB allowed"
    ):
        _client(server.url).whoami()


def test_a_packed_answer_is_measured_unpacked():
    bomb = gzip.compress(b"[" + b" " * (50 * 2**20) + b"]")  # 50 MB of spaces, 50 kB packed
    assert len(bomb) < 200_000
    def answer(h):
        return h.send_bytes(bomb, headers={"Content-Encoding": "gzip"})

    with HostileServer(answer) as s, pytest.raises(
        CanvasAPIError, match="larger than the 1 MB allowed"
    ):
        _client(s.url).whoami()


def test_a_packed_answer_within_the_limits_is_read():
    body = gzip.compress(b'{"id": 1, "name": "Teacher"}')
    with HostileServer(lambda h: h.send_bytes(body, headers={"Content-Encoding": "gzip"})) as s:
        assert _client(s.url).whoami() == ME


def test_an_encoding_not_asked_for_is_refused():
    def answer(h):
        return h.send_bytes(b"xx", headers={"Content-Encoding": "br"})

    with HostileServer(answer) as s, pytest.raises(
        CanvasAPIError, match="encoding the tracker did not ask for"
    ):
        _client(s.url).whoami()


def test_a_server_that_trickles_its_body_cannot_hold_the_sync():
    chunks = [b"[", *([b" "] * 200), b"]"]
    with HostileServer(lambda h: h.send_chunked(chunks, pause=0.2)) as server:
        started = time.monotonic()
        with pytest.raises(CanvasAPIError, match="did not answer in time"):
            _client(server.url).whoami()
    # Two tries of a one-second deadline, not 200 x 0.2 s each.
    assert time.monotonic() - started < 6


def test_a_server_that_stalls_before_its_headers_cannot_hold_the_sync():
    def answer(h):
        time.sleep(4)
        h.send_json(ME)

    with HostileServer(answer) as server:
        started = time.monotonic()
        with pytest.raises(CanvasAPIError, match="did not answer in time"):
            CanvasClient(server.url, TOKEN, retry=FAST, timeout=(5, 30), limits=SMALL).whoami()
    assert time.monotonic() - started < 6


@pytest.mark.parametrize(("max_mb", "deadline", "message"), [
    ("lots", None, "CANVAS_MAX_RESPONSE_MB must be a number"),
    ("0", None, "CANVAS_MAX_RESPONSE_MB must be from"),
    (None, "1", "CANVAS_REQUEST_DEADLINE must be from 5"),
])
def test_limits_are_settings_with_clear_errors(max_mb, deadline, message):
    with pytest.raises(ConfigError, match=message):
        ResponseLimits.from_settings(max_mb, deadline)
    assert ResponseLimits.from_env({"CANVAS_MAX_RESPONSE_MB": "2"}).max_bytes == 2 * 2**20


def test_the_limits_default_to_what_the_readme_says():
    defaults = ResponseLimits.from_env({})
    assert (defaults.max_bytes, defaults.deadline_seconds) == (32 * 2**20, 150.0)
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert "CANVAS_MAX_RESPONSE_MB" in readme and "CANVAS_REQUEST_DEADLINE" in readme


# ---------------------------------------------------------------------------------------------
# Answers a person must be told about


def test_a_web_page_where_data_belongs_says_check_the_base_url():
    page = b"<!DOCTYPE html><html><body><form action='/login'>Log in</form></body></html>"
    def answer(h):
        return h.send_bytes(page, kind="text/html")

    with HostileServer(answer) as server, pytest.raises(
        CanvasAPIError, match="looks like a login or error page; check the base URL"
    ):
        _client(server.url).whoami()


def test_canvas_s_own_error_text_is_passed_on():
    body = {"errors": [{"message": "The specified resource does not exist."}]}
    def answer(h):
        return h.send_json(body, status=400)

    with HostileServer(answer) as server, pytest.raises(
        CanvasAPIError, match="does not exist"
    ):
        _client(server.url).whoami()
    token_error = {"errors": [{"message": "Invalid access token."}]}
    def answer(h):
        return h.send_json(token_error, status=401)

    with HostileServer(answer) as server, pytest.raises(
        CanvasAuthError, match="Canvas said: Invalid access token"
    ):
        _client(server.url).whoami()
