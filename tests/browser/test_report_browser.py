"""A progress report in Chromium: the teacher downloads it from the Student page, as HTML that
opens in the browser as one page per student (holding the student's name, their course
scores and assignments, with no script run from Canvas text) and as a PDF that opens and says
the same."""

from __future__ import annotations

import pytest
from pypdf import PdfReader

from tests.browser.test_dashboard_browser import _goto, _wait_idle
from tracker_db.migrate import open_database
from tracker_db.read_models.student_record import get_student_assignments, get_student_courses

STUDENT = 5004


@pytest.mark.browser
def test_a_student_s_report_downloads_and_opens_as_a_printable_page(
    browser_page, served, stores, demo_template, tmp_path
):
    page = browser_page
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    # What the report must hold, read from another copy of the same demo database.
    expected = open_database(stores.copy(demo_template, "expected"))
    with expected.session() as cur:
        courses = get_student_courses(STUDENT, cur=cur)
        assignments = get_student_assignments(STUDENT, cur=cur)
        name = cur.execute("SELECT name FROM summary.students WHERE student_id = ?",
                           [STUDENT]).fetchone()[0]
    expected.close()

    _goto(page, f"{served.url}/student?student_id={STUDENT}")
    button = page.get_by_role("button", name="Download the report (HTML, to print)")
    button.scroll_into_view_if_needed()
    _wait_idle(page)
    with page.expect_download(timeout=60_000) as download:
        button.click()
    assert download.value.suggested_filename == f"progress-report-{STUDENT}.html"
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)

    page.goto(f"file://{saved}")
    page.emulate_media(media="print")
    assert page.locator("section.report").count() == 1
    assert page.locator("h1").inner_text() == name
    text = page.locator("body").inner_text()
    for course in courses.iter_rows(named=True):
        assert course["course_name"] in text
        assert f"Current score {course['current_score']:.1f}%" in text
    for title in assignments["assignment_name"].to_list()[:5]:
        assert title in text
    assert page.locator("svg.chart").count() == courses.height
    assert dialogs == []


@pytest.mark.browser
def test_a_student_s_report_downloads_as_a_pdf_that_opens(
    browser_page, served, stores, demo_template, tmp_path
):
    page = browser_page
    expected = open_database(stores.copy(demo_template, "expected"))
    with expected.session() as cur:
        courses = get_student_courses(STUDENT, cur=cur)
        assignments = get_student_assignments(STUDENT, cur=cur)
        name = cur.execute("SELECT name FROM summary.students WHERE student_id = ?",
                           [STUDENT]).fetchone()[0]
    expected.close()

    _goto(page, f"{served.url}/student?student_id={STUDENT}")
    button = page.get_by_role("button", name="Download the report (PDF)")
    button.scroll_into_view_if_needed()
    _wait_idle(page)
    with page.expect_download(timeout=60_000) as download:
        button.click()  # the PDF is made on the click, on the server
    assert download.value.suggested_filename == f"progress-report-{STUDENT}.pdf"
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)

    reader = PdfReader(saved, strict=True)
    text = " ".join(" ".join(p.extract_text().split()) for p in reader.pages)
    assert reader.metadata.title == f"Progress report: {name}"
    assert text.startswith(name) and f"Canvas id {STUDENT}" in text
    # Words in scripts the PDF's font lacks print as U+FFFD: the rest must be there.
    for course in courses.iter_rows(named=True):
        assert all(word in text for word in course["course_name"].split() if word.isascii())
        assert f"Current score {course['current_score']:.1f}%" in text
    for title in assignments["assignment_name"].to_list()[:5]:
        assert all(word in text for word in title.split() if word.isascii())
