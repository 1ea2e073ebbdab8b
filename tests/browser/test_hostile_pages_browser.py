"""Hostile names and rough edges, as Chromium shows them: Markdown in a Canvas name never
becomes a link, image or mailto; an invalid editor value is refused with its row (not
dropped by the browser); wide tables fit a 1400-pixel window without cutting a column off.
"""

from __future__ import annotations

import functools
import re

import pytest

from tests.browser.test_dashboard_browser import (
    ROW,
    _column,
    _courses_editor,
    _edit_cell,
    _goto,
    _wait_for,
    _wait_idle,
)

MARKDOWN_STUDENT = 5018  # "[Siobhán](https://evil.example/p) ![x](...) <mailto:...> www..."

# Any element that would take the teacher (or the browser) somewhere a name chose.
# (a mail link is foreign unless it is a "Message" panel's own button, a BCC list)
_FOREIGN = ("a[href*='evil.example'], img[src*='evil.example'], "
            "a[href^='mailto:']:not([data-testid='stLinkButton'] a[href^='mailto:?bcc=']), "
            "[data-testid='stMain'] a[href^='http://www'], a[href*='www.evil']")

# Every table's scrolling area must be as wide as what it holds: no column cut off.
_OVERFLOWING_TABLES = """() => [...document.querySelectorAll("[data-testid='stDataFrame']")]
    .filter(t => t.offsetParent !== null)
    .map(t => { const s = t.querySelector('.dvn-scroller');
                return s ? [s.scrollWidth, s.clientWidth] : null; })
    .filter(w => w && w[0] > w[1] + 1)"""


@pytest.mark.browser
def test_markdown_in_canvas_names_never_becomes_a_link_or_image(browser_page, served):
    page = browser_page
    _goto(page, f"{served.url}/student?student_id={MARKDOWN_STUDENT}")
    title = page.locator("[data-testid='stMain'] h1").first.inner_text().replace("\u2060", "")
    assert title.startswith("[Siobhán](https://evil.example/p) ![x]")  # the literal text
    page.get_by_test_id("stPlotlyChart").first.wait_for()
    assert page.locator(_FOREIGN).count() == 0

    # A note written in Markdown shows as typed, too.
    note = "See [the form](https://evil.example/f) ![i](https://evil.example/i.png)"
    page.get_by_label("New note").fill(note)
    page.get_by_role("button", name="Add note").click()
    page.get_by_text(note, exact=True).wait_for()
    assert page.locator(_FOREIGN).count() == 0

    for path in ("", "/students", "/progress", "/assignment", "/what_changed",
                 "/review_removals"):
        _goto(page, f"{served.url}{path}")
        assert page.locator(_FOREIGN).count() == 0, path
    # The Students page's "Message" panel does offer mail links: BCC lists of plain addresses.
    _goto(page, f"{served.url}/students")
    page.get_by_text(re.compile(r"^Message the [\d,]+ students listed$")).click()
    links = page.locator("[data-testid='stLinkButton'] a[href^='mailto:']")
    links.first.wait_for(timeout=30_000)
    assert page.locator(_FOREIGN).count() == 0
    assert all(re.fullmatch(r"mailto:\?bcc=[\w.%+'-]+@[\w.-]+(,[\w.%+'-]+@[\w.-]+)*", h)
               for h in (links.nth(i).get_attribute("href") for i in range(links.count())))


# (row, column steps from "Course", what is typed, what the refusal must say)
_INVALID_EDITS = [
    (0, 3, "red", r"row 1 .*colour must look like"),  # first course, Colour
    (1, 4, "-3", r"row 2 .*hours"),  # second course, Hours
]


@pytest.mark.browser
def test_an_invalid_editor_value_is_refused_with_its_row_not_dropped(browser_page, served):
    page = browser_page
    for row, column, typed, refusal in _INVALID_EDITS:
        editor = _courses_editor(page, served.url)  # a fresh page: no earlier edit
        _edit_cell(page, editor, row, column, typed)
        shown = functools.partial(_column, page, editor, column)
        _wait_for(lambda: typed in shown(), f"{typed!r} in the editor")  # noqa: B023 (now)
        page.get_by_role("button", name="Save courses").click()
        error = page.get_by_test_id("stAlertContentError").first
        error.wait_for()
        assert re.search(refusal, error.inner_text()), error.inner_text()
        assert typed in shown()  # still there to correct, not dropped


@pytest.mark.browser
def test_wide_tables_fit_a_1400_pixel_window(browser_page, served):
    page = browser_page
    assert page.viewport_size == {"width": 1400, "height": 1000}

    def fits(where: str) -> None:
        page.get_by_test_id("stDataFrame").filter(visible=True).first.wait_for()
        page.wait_for_timeout(500)  # the grids size their columns once drawn
        overflowing = page.evaluate(_OVERFLOWING_TABLES)
        assert overflowing == [], f"{where}: a table is wider than the page {overflowing}"

    for path in ("", "/students", f"/student?student_id={MARKDOWN_STUDENT}", "/assignment",
                 "/what_changed", "/sync"):
        _goto(page, f"{served.url}{path}")
        fits(path)
    _goto(page, f"{served.url}/review_removals")
    page.get_by_text("Show every inactive object").click()  # so the table has rows
    _wait_idle(page)
    fits("/review_removals")
    _goto(page, f"{served.url}/metadata")
    for tab in ("Curricula", "Courses", "Assignments", "Student tags and groups"):
        page.get_by_role("tab", name=tab).click()
        _wait_idle(page)
        fits(f"/metadata {tab}")
    # A long list uses the page's height, not ten rows.
    _goto(page, f"{served.url}/students")
    grid = page.get_by_test_id("stDataFrame").first.bounding_box()
    assert grid["height"] > 15 * ROW
