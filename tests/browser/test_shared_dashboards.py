"""Two dashboards (two ``streamlit run`` processes) on one lake, and a sync from cron.

Both serve their pages while a command-line sync runs and commits, and both show the new
data afterwards: the many-processes story the shared backend exists for.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.browser.conftest import ROOT, start_dashboard, stop_dashboard
from tests.conftest import Stores
from tracker_db.cli import main
from tracker_db.fake_canvas import FakeCanvas, build_demo_dataset

TOKEN = "shared-dashboards-token"


def _data_version(page, url: str) -> str:
    page.goto(url)
    page.wait_for_selector("[data-testid='stMain'] h1", timeout=60_000)
    version = page.get_by_text("Data version:").first
    version.wait_for(timeout=60_000)
    return version.inner_text()


@pytest.mark.browser
@pytest.mark.ducklake_only
def test_two_dashboards_on_one_lake_serve_and_update_during_a_cron_sync(
    browser_page, stores: Stores, tmp_path: Path
):
    page = browser_page
    settings = stores.settings("school")
    options = ["--lake", settings.lake or "", "--lake-data", settings.lake_data or ""]
    with FakeCanvas(build_demo_dataset(seed=7), token=TOKEN) as canvas:
        assert main(["demo", "--syncs", "1", *options]) == 0
        servers = [start_dashboard(Stores.env(settings), {}, tmp_path / f"streamlit-{i}.log")
                   for i in (1, 2)]
        try:
            for server in servers:
                assert "Data version: sync 1" in _data_version(page, server.url)
            canvas.latency = 0.05  # a sync of a few seconds, so the pages load during it
            canvas.dataset.change_scores(0.3, seed=3)
            env = {**{k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")},
                   "CANVAS_TOKEN": TOKEN}
            cron = subprocess.Popen(
                [sys.executable, "-m", "tracker_db.cli", "sync", "--base-url", canvas.base_url,
                 *options], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                text=True,
            )
            served_during = 0
            while cron.poll() is None:
                for server in servers:
                    started = time.monotonic()
                    _data_version(page, server.url)
                    assert time.monotonic() - started < 15, "a dashboard waited for the sync"
                    served_during += 1
            out, err = cron.communicate(timeout=120)
            assert cron.returncode == 0, err
            assert out.startswith("sync 2:")
            assert served_during >= 2
            for server in servers:
                assert "Data version: sync 2" in _data_version(page, server.url)
        finally:
            for server in servers:
                stop_dashboard(server)
