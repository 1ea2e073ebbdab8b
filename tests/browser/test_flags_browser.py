"""Flags in Chromium, the teacher's main path: a flag is dismissed with a note, stays
dismissed through a sync that changes nothing for it, and is raised again when a new grade
changes its facts. The dashboard runs its own syncs from a fake Canvas on loopback."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from tests.browser.conftest import start_dashboard, stop_dashboard
from tests.browser.test_dashboard_browser import ROW, _column, _goto, _wait_for, _wait_idle
from tracker_db.edits import set_flag_rules
from tracker_db.fake_canvas import FakeCanvas, build_demo_dataset
from tracker_db.flag_rules import RULES, RuleSetting, default_setting
from tracker_db.migrate import open_database
from tracker_db.read_models.flags import get_flag_board
from tracker_db.sync.from_canvas import sync_from_canvas

TOKEN = "browser-flags-token-271"
# The flags grid's columns: the selection box, then Student, Course, Flag, Why.
STUDENT, WHY = 1, 4


def _flags_grid(page):
    # The Overview's second table: the first lists the courses.
    return page.get_by_test_id("stDataFrame").nth(1)


def _run_sync(page, url: str, number: int) -> None:
    time.sleep(1.05)  # Canvas's *_since filters are strict, to the second
    _goto(page, f"{url}/sync")
    page.get_by_role("button", name="Run sync").click()
    page.get_by_text(re.compile(rf"Sync finished: sync {number}:")).wait_for(timeout=120_000)
    _wait_idle(page)


@pytest.mark.browser
def test_a_flag_is_dismissed_stays_so_and_comes_back_when_its_facts_change(
    browser_page, tmp_path: Path
):
    page = browser_page
    db_path = tmp_path / "flags.duckdb"
    with FakeCanvas(build_demo_dataset(seed=5), token=TOKEN) as canvas:
        # Before the server owns the file: one sync, and only the low-score rule on, so the
        # board's first row is a score a new grade can move.
        setup = open_database(db_path)
        with setup.session() as cur:
            sync_from_canvas(canvas.base_url, TOKEN, cur=cur)
            set_flag_rules([RuleSetting(r, r == "low_score", default_setting(r).threshold,
                                        default_setting(r).days) for r in RULES], cur=cur)
            first = get_flag_board(cur=cur).open.row(0, named=True)
            graded = cur.execute(
                "SELECT min(assignment_id) FROM canvas.submissions WHERE course_id = ? "
                "AND student_id = ? AND score > 0",
                [first["course_id"], first["student_id"]]).fetchone()[0]
        setup.close()
        assert first["rule"] == "low_score" and graded is not None

        server = start_dashboard(
            db_path, {"CANVAS_BASE_URL": canvas.base_url, "CANVAS_TOKEN": TOKEN},
            tmp_path / "streamlit.log")
        try:
            url = server.url
            # 1. The Overview lists the flag, with its reason in words.
            _goto(page, url)
            grid = _flags_grid(page)
            _wait_for(lambda: _column(page, grid, WHY)[:1] == [first["reason"]],
                      "the first flag's reason")
            assert _column(page, grid, STUDENT)[0] == first["student_name"]

            # 2. Select it and dismiss it with a note.
            box = grid.bounding_box()
            page.mouse.click(box["x"] + 18, box["y"] + ROW + ROW / 2)
            page.get_by_label("Note for the dismissal (optional)").fill("Talked on Monday")
            page.get_by_role("button", name="Dismiss 1 flag").click()
            page.get_by_text("Dismissed 1 flag.").wait_for(timeout=60_000)
            _wait_idle(page)
            expander = page.get_by_text("Dismissed flags (1)")
            expander.wait_for()
            _wait_for(lambda: _column(page, _flags_grid(page), WHY)[:1] != [first["reason"]],
                      "the dismissed flag to leave the open flags")

            # 3. A sync that changes nothing for that student: still dismissed.
            _run_sync(page, url, 2)
            _goto(page, url)
            page.get_by_text("Dismissed flags (1)").wait_for(timeout=60_000)
            expander = page.get_by_text("Dismissed flags (1)")
            expander.click()
            dismissed = page.get_by_test_id("stExpander").get_by_test_id("stDataFrame")
            _wait_for(lambda: _column(page, dismissed, WHY)[:1] == [first["reason"]]
                      and _column(page, dismissed, 5)[:1] == ["Talked on Monday"],
                      "the dismissed flag, with its note")

            # 4. A new grade (zero) moves the score: the flag comes back, its reason new.
            canvas.dataset.set_score(first["course_id"], graded, first["student_id"], 0)
            _run_sync(page, url, 3)
            _goto(page, url)
            grid = _flags_grid(page)
            _wait_for(lambda: _column(page, grid, STUDENT)[:1] == [first["student_name"]],
                      "the student flagged again")
            reason = _column(page, grid, WHY)[0]
            assert reason.startswith("current score ") and reason != first["reason"]
            assert page.get_by_text("Dismissed flags (").count() == 0
            main = page.get_by_test_id("stMain").inner_text()
            assert TOKEN not in page.content() and "Traceback" not in main
        finally:
            stop_dashboard(server)

