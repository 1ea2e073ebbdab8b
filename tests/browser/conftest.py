"""Browser-test plumbing: a real ``streamlit run`` on a free loopback port, Debian's Chromium
through Playwright (no browser download), and a screenshot of every page on failure."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-first-run",
]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so fixtures know whether it failed."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)
    page = getattr(item, "funcargs", {}).get("browser_page")
    if report.when == "call" and report.failed and page is not None:
        # CI keeps only its output, not the screenshots: say there what the page showed.
        try:
            shown = f"{page.url}\n{page.inner_text('body', timeout=5_000)[:6_000]}"
        except Exception as e:  # a closed or hung page must not hide the test's own failure
            shown = f"(the page could not be read: {e})"
        report.sections.append(("what the browser showed", shown))


def chromium_path(default: str = "/usr/bin/chromium") -> str:
    """Return Debian's Chromium, or fail the test (never skip) saying how to get it."""
    path = shutil.which("chromium") or default
    if not Path(path).exists():
        pytest.fail(
            "Debian's chromium is not installed, so the browser test cannot run: "
            "apt-get install -y chromium (.ci/run installs it)",
            pytrace=False,
        )
    return path


def free_port() -> int:
    """Return a TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """A running dashboard."""

    url: str
    process: subprocess.Popen
    log: Path


def start_dashboard(storage: Path | dict[str, str], env: dict[str, str], log: Path) -> Server:
    """Start ``streamlit run app.py`` on a free loopback port and wait until it answers.

    Args:
        storage: The DuckDB file, or the settings' environment (``Stores.env``).
        env: More environment (the Canvas settings).
        log: Where its output goes.
    """
    port = free_port()
    where = {"TRACKER_DB_PATH": str(storage)} if isinstance(storage, Path) else storage
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    full_env = {**inherited, **env, **where, "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    handle = log.open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py",
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--server.headless", "true", "--server.fileWatcherType", "none"],
        cwd=ROOT, env=full_env, stdout=handle, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited early:\n{log.read_text()}")
        try:
            if requests.get(f"{url}/_stcore/health", timeout=1).status_code == 200:
                return Server(url, process, log)
        except requests.RequestException:
            pass
        time.sleep(0.25)
    process.kill()
    raise RuntimeError(f"streamlit did not answer within 60 s:\n{log.read_text()}")


def stop_dashboard(server: Server) -> None:
    """Stop the server this test started (by its own process handle)."""
    server.process.terminate()
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(timeout=5)


@pytest.fixture
def browser_page(request) -> Iterator:
    """A Playwright page in headless Debian Chromium; screenshots go to test-artifacts/ if
    the test fails."""
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_ARGS, headless=True
        )
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.set_default_timeout(30_000)
        try:
            yield page
        finally:
            report = getattr(request.node, "report_call", None)
            if report is not None and report.failed:
                ARTIFACTS.mkdir(exist_ok=True)
                name = request.node.name.replace("/", "_")
                for index, open_page in enumerate(context.pages):
                    open_page.screenshot(path=str(ARTIFACTS / f"{name}-{index}.png"),
                                         full_page=True)
            context.close()
            browser.close()


@pytest.fixture
def served(stores, demo_template, tmp_path: Path) -> Iterator[Server]:
    """A dashboard serving a copy of the demo database (four syncs)."""
    from tests.conftest import Stores

    settings = stores.copy(demo_template, "served")
    server = start_dashboard(Stores.env(settings), {}, tmp_path / "streamlit.log")
    try:
        yield server
    finally:
        stop_dashboard(server)
