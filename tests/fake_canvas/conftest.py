"""Fixtures for the fake Canvas tests: running servers and a small HTTP helper."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tracker_db.fake_canvas import FakeCanvas, build_demo_dataset

TOKEN = "test-token"


class Client:
    """A tiny Canvas client for tests: bearer auth, keep-alive, Link following."""

    def __init__(self, fake: FakeCanvas, token: str = TOKEN) -> None:
        self.fake = fake
        self.session = requests.Session()
        self.session.trust_env = False  # loopback only; skip proxy lookups
        self.session.headers["Authorization"] = f"Bearer {token}"

    def url(self, path: str) -> str:
        """Absolute URL of an API path such as ``/courses/101/sections``."""
        return f"{self.fake.base_url}/api/v1{path}"

    def get(self, path: str, params: Any = None, **kwargs: Any) -> requests.Response:
        """GET an API path."""
        return self.session.get(self.url(path), params=params, timeout=10, **kwargs)

    def walk(self, path: str, params: Any = None) -> tuple[list[dict[str, Any]], int]:
        """Follow ``rel="next"`` verbatim from a first page; return (rows, pages)."""
        response = self.get(path, params)
        rows: list[dict[str, Any]] = []
        pages = 0
        seen: set[str] = set()
        while True:
            assert response.status_code == 200, response.text
            pages += 1
            rows.extend(response.json())
            nxt = response.links.get("next", {}).get("url")
            if not nxt:
                return rows, pages
            assert nxt not in seen, f"pagination loops at {nxt}"
            seen.add(nxt)
            response = self.session.get(nxt, timeout=10)


@pytest.fixture(scope="module")
def demo_fake() -> Iterator[FakeCanvas]:
    """A demo server shared by read-only tests of a module."""
    with FakeCanvas(build_demo_dataset(seed=7), token=TOKEN) as fake:
        yield fake
        assert fake.server_errors == []


@pytest.fixture
def fresh_fake() -> Iterator[FakeCanvas]:
    """A demo server of its own, for tests that mutate data or inject faults."""
    with FakeCanvas(build_demo_dataset(seed=7), token=TOKEN) as fake:
        yield fake
        assert fake.server_errors == []


@pytest.fixture(scope="session")
def client_for() -> type[Client]:
    """The client class, for tests that start a server of their own (``client_for(fake)``)."""
    return Client


@pytest.fixture(scope="module")
def demo(demo_fake: FakeCanvas) -> Client:
    """A client of the shared demo server."""
    return Client(demo_fake)


@pytest.fixture
def fresh(fresh_fake: FakeCanvas) -> Client:
    """A client of a server of its own."""
    return Client(fresh_fake)
