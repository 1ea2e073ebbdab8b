"""The dashboard in a real browser: what a teacher does, and what the page then shows.

``streamlit run app.py`` serves a fresh database file on a free loopback port, with Canvas
settings pointing at a fake Canvas in this process; Debian's Chromium (through Playwright,
no browser download) loads the demo data, filters by a curriculum, opens a student, adds a
note, edits a metadata cell and runs a sync. Names containing HTML must show as text.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError

from tests.browser import conftest
from tests.browser.conftest import start_dashboard, stop_dashboard
from tracker_db.edits import create_curriculum
from tracker_db.fake_canvas import FakeCanvas, build_demo_dataset
from tracker_db.migrate import open_database

TOKEN = "browser-test-token-314"
HOSTILE_COURSE = "HIST 120: World History <script>alert(1)</script>"
HOSTILE_STUDENT = "<script>alert(1)</script>"
ROW = 35  # Streamlit's default dataframe row height, header included


def _cell(page, column: int, row: int) -> str:
    """Text of a grid cell from the data grid's accessible table (the grid draws on canvas)."""
    return page.get_by_test_id(f"glide-cell-{column}-{row}").first.text_content() or ""


def _column(page, grid, column: int) -> list[str]:
    """Texts of a column's rendered cells (waits for the grid to draw its first row)."""
    grid.get_by_test_id(f"glide-cell-{column}-0").first.wait_for(state="attached")
    texts = []
    for row in range(200):
        cell = grid.get_by_test_id(f"glide-cell-{column}-{row}")
        if cell.count() == 0:
            break
        texts.append(cell.first.text_content() or "")
    return texts


def _wait_idle(page) -> None:
    """Wait until the app has finished its current run."""
    page.wait_for_timeout(300)
    page.wait_for_selector("[data-testid='stStatusWidget']", state="detached", timeout=60_000)


def _wait_for(condition, what: str, timeout: float = 30.0) -> None:
    """Poll ``condition`` until it holds (the app reruns on its own after some events)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if condition():
                return
        except PlaywrightError:
            pass  # the element was being redrawn: look again
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.25)


def _goto(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("[data-testid='stMain'] h1", timeout=60_000)
    _wait_idle(page)


def _courses_editor(page, url: str):
    """Open the Metadata page's Courses tab; return its editor once it shows a course."""
    _goto(page, f"{url}/metadata")
    tab = page.get_by_role("tab", name="Courses")

    def courses_shown() -> bool:
        if tab.get_attribute("aria-selected") != "true":
            tab.click()  # a click during the page's first run can be lost
            return False
        editor = page.get_by_test_id("stDataFrame").filter(visible=True).first
        return bool(_column(page, editor, 1)[0])  # a course code in the first row

    _wait_for(courses_shown, "the course metadata editor")
    _wait_idle(page)
    return page.get_by_test_id("stDataFrame").filter(visible=True).first


def _edit_cell(page, editor, row: int, column: int, text: str) -> None:
    """Type ``text`` into a cell of an editor: ``column`` steps right from the first.

    The grid must hold the keyboard's focus before the arrows move: a click that missed it
    (a grid still drawing on a loaded machine) leaves the focus on the tab just clicked, and
    the arrows would then switch tabs instead of cells.
    """
    def cell_selected() -> bool:
        box = editor.bounding_box()
        page.mouse.click(box["x"] + 60, box["y"] + ROW * (row + 1) + ROW / 2)
        return bool(editor.evaluate("e => e.contains(document.activeElement)"))

    _wait_for(cell_selected, "the editor to take the keyboard's focus")
    for _ in range(column):
        page.keyboard.press("ArrowRight")
    typing = "() => ['INPUT', 'TEXTAREA'].includes(document.activeElement.tagName)"
    page.keyboard.press("Enter")  # open the cell's own editor, then type into it
    page.wait_for_function(typing)
    page.keyboard.type(text, delay=30)
    page.keyboard.press("Enter")
    page.wait_for_function(f"() => !({typing})()")


@pytest.mark.browser
def test_a_teacher_session_in_chromium(browser_page, tmp_path: Path):
    page = browser_page
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

    # Before the server owns the file (one process per DuckDB file): a curriculum naming two
    # demo courses (course ids are soft references, so they may be synced later).
    db_path = tmp_path / "browser.duckdb"
    setup = open_database(db_path)
    with setup.session() as cur:
        create_curriculum("Year 9 Science", course_ids=[101, 103], cur=cur)
    setup.close()

    with FakeCanvas(build_demo_dataset(seed=7), token=TOKEN) as canvas:
        server = start_dashboard(
            db_path, {"CANVAS_BASE_URL": canvas.base_url, "CANVAS_TOKEN": TOKEN},
            tmp_path / "streamlit.log",
        )
        try:
            _session(page, server.url, canvas)
        finally:
            stop_dashboard(server)
    assert dialogs == [], f"a name ran as script: {dialogs}"


def _session(page, url: str, canvas: FakeCanvas) -> None:
    # 1. Empty database: the page says what to do.
    _goto(page, url)
    assert "No data yet" in page.inner_text("[data-testid='stMain']")

    # 2. Load the demo data from the Sync page.
    _goto(page, f"{url}/sync")
    main = page.get_by_test_id("stMain")
    assert canvas.base_url in main.inner_text() and TOKEN not in page.content()
    page.get_by_role("button", name="Load demo data").click()
    page.get_by_text("demo data loaded with 4 syncs").wait_for(timeout=120_000)
    _wait_idle(page)

    # 3. Students, filtered by the curriculum.
    _goto(page, f"{url}/students")
    everyone = page.get_by_text(re.compile(r"^\d+ students\.")).first.inner_text()
    curriculum = page.get_by_test_id("stMultiSelect").filter(has_text="Curriculum")
    curriculum.locator("input").click()
    page.get_by_role("option", name="Year 9 Science").click()
    page.keyboard.press("Escape")
    page.wait_for_function(
        "(before) => !document.body.innerText.includes(before)", arg=everyone.split(".")[0]
    )
    _wait_idle(page)
    filtered = page.get_by_text(re.compile(r"^\d+ students\.")).first.inner_text()
    assert int(filtered.split()[0]) < int(everyone.split()[0])
    grid = page.get_by_test_id("stDataFrame").first

    def only_the_curriculums_courses() -> bool:
        # The grid redraws its cells a moment after the count above changes.
        courses = _column(page, grid, 3)
        return bool(courses) and all(
            set(c.split("; ")) <= {"BIO 101", "MAT 150"} for c in courses
        )

    _wait_for(only_the_curriculums_courses, "only the curriculum's courses in the table")

    # 4. Open the first student by selecting their row.
    name = _cell(page, 2, 0)
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 18, box["y"] + ROW + ROW / 2)
    page.wait_for_url(re.compile(r"/student\?student_id=\d+"), timeout=30_000)
    page.wait_for_selector("[data-testid='stMain'] h1")
    _wait_idle(page)
    assert page.locator("[data-testid='stMain'] h1").first.inner_text() == name
    page.get_by_test_id("stPlotlyChart").first.wait_for()  # the score-over-time chart

    # 5. Add a note; it shows as plain text.
    note = "Called home <b>not bold</b> & agreed on a plan"
    page.get_by_label("New note").fill(note)
    page.get_by_role("button", name="Add note").click()
    page.get_by_text("Note added.").wait_for()
    page.get_by_text(note, exact=True).wait_for()  # shown as typed, tags and all

    # 6. A name containing HTML shows as literal text, never as markup.
    _goto(page, f"{url}/student?student_id=5005")
    assert page.locator("[data-testid='stMain'] h1").first.inner_text() == HOSTILE_STUDENT
    assert page.locator("script:text('alert(1)')").count() == 0
    _goto(page, url)
    overview = page.get_by_test_id("stDataFrame").first
    _wait_for(lambda: HOSTILE_COURSE in _column(page, overview, 0), "the HTML course name")

    # 7. Edit a metadata cell: the Colour of the first course, then save.
    editor = _courses_editor(page, url)
    _edit_cell(page, editor, 0, 3, "#336699")  # first course: Course -> Code -> Tracked -> Colour
    _wait_for(lambda: "#336699" in _column(page, editor, 3), "the typed colour in the editor")
    page.get_by_role("button", name="Save courses").click()
    page.get_by_text("Courses saved (1 row changed).").wait_for()
    _wait_idle(page)
    # The save reruns the page; the Courses tab must come back selected.
    _wait_for(
        lambda: page.get_by_role("tab", name="Courses").get_attribute("aria-selected") == "true",
        "the Courses tab to stay selected after the save",
    )
    editor = page.get_by_test_id("stDataFrame").filter(visible=True).first
    _wait_for(lambda: "#336699" in _column(page, editor, 3), "the saved colour in the editor")

    # 8. Run a sync against the (fake) Canvas, after scores moved there.
    canvas.dataset.change_scores(0.3, seed=11)
    _goto(page, f"{url}/sync")
    page.get_by_role("button", name="Run sync").click()
    page.get_by_text(re.compile(r"Sync finished: sync 5:")).wait_for(timeout=120_000)
    # The panel says so first; the whole page then reruns with the new history.
    history = page.get_by_test_id("stDataFrame").first
    _wait_for(lambda: _column(page, history, 0)[:2] == ["5", "4"], "sync 5 in the history")
    assert _column(page, history, 1)[0] == "succeeded"
    sidebar = page.get_by_test_id("stSidebar").inner_text()
    assert "Data version: sync 5" in sidebar
    assert TOKEN not in page.content()


def test_a_missing_chromium_fails_the_browser_test_instead_of_skipping(monkeypatch):
    monkeypatch.setattr(conftest.shutil, "which", lambda name: None)
    with pytest.raises(pytest.fail.Exception, match="apt-get install -y chromium"):
        conftest.chromium_path("/nonexistent/chromium")
