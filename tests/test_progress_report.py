"""Printable progress reports: what they hold, that Canvas text stays text, and that small
groups' medians stay out."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from html.parser import HTMLParser

import polars as pl
import pytest
from pypdf import PdfReader

from tracker_db.edits import add_student_note
from tracker_db.errors import DataValidationError
from tracker_db.printable import render_reports
from tracker_db.printable_pdf import render_reports_pdf
from tracker_db.read_models.preferences import TimeZoneChoice
from tracker_db.read_models.progress_report import get_course_report, get_student_report
from tracker_db.read_models.student_record import (
    get_student_assignments,
    get_student_courses,
    get_student_notes,
)

UTC_ZONE = TimeZoneChoice("UTC", "default", "UTC")
MADE = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)


class _Document(HTMLParser):
    """The tags, attributes and text of an HTML document."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes += [name for name, _ in attrs]

    def handle_data(self, data):
        self.text.append(data)


def _parse(document: str) -> _Document:
    parsed = _Document()
    parsed.feed(document)
    return parsed


def _sections(document: str) -> list[str]:
    return re.findall(r'<section class="report">(.*?)</section>', document, flags=re.S)


def _first_student(demo_copy) -> int:
    with demo_copy.session() as cur:
        return cur.execute("SELECT student_id FROM summary.students WHERE course_count > 1 "
                           "ORDER BY sort_key LIMIT 1").fetchone()[0]


def test_a_student_report_holds_their_courses_scores_work_and_chosen_notes(demo_copy):
    student_id = _first_student(demo_copy)
    add_student_note(student_id, "Parents' evening: doing well")
    add_student_note(student_id, "Private: not for the report")
    notes = get_student_notes(student_id)
    chosen = notes.filter(pl.col("body").str.starts_with("Parents"))["note_id"].to_list()
    report = get_student_report(student_id, note_ids=chosen)
    document = render_reports([report], title="Report", zone=UTC_ZONE, generated_at=MADE,
                              min_group_size=5)
    text = "".join(_parse(document).text)

    courses = get_student_courses(student_id)
    assert report.courses["course_id"].to_list() == courses["course_id"].to_list()
    assert len(_sections(document)) == 1 and report.name in text
    for course in courses.iter_rows(named=True):
        assert course["course_name"] in text
        assert f"Current score {course['current_score']:.1f}%" in text
    for assignment in get_student_assignments(student_id).iter_rows(named=True):
        assert assignment["assignment_name"] in text
    assert "Parents' evening: doing well" in text and "Private" not in text
    assert document.count("<svg") == courses.height  # a chart per course
    assert "made 2026-12-03 09:30" in text


def test_canvas_text_and_notes_never_become_markup(demo_copy):
    # The demo has a student whose name is a script tag, and a course with one in its name.
    with demo_copy.session() as cur:
        student_id = cur.execute("SELECT student_id FROM canvas.students "
                                 "WHERE name LIKE '%<script>%'").fetchone()[0]
    add_student_note(student_id, '<img src=x onerror="alert(1)"> & <b>bold</b>')
    report = get_student_report(student_id,
                                note_ids=get_student_notes(student_id)["note_id"].to_list())
    document = render_reports([report], title=report.name, zone=UTC_ZONE, generated_at=MADE,
                              min_group_size=5)
    parsed = _parse(document)
    assert "script" not in parsed.tags and "img" not in parsed.tags and "b" not in parsed.tags
    assert not [a for a in parsed.attributes if a.startswith("on")]
    assert report.name in " ".join(parsed.text)  # shown, as text
    assert '<img src=x onerror="alert(1)"> & <b>bold</b>' in " ".join(parsed.text)
    assert "default-src 'none'" in document  # and no script could run anyway


def test_a_course_report_has_a_page_per_student_with_that_course_only(demo_copy):
    with demo_copy.session() as cur:
        course_id, expected = cur.execute("""
            SELECT p.course_id, list(s.name ORDER BY s.sort_key, p.student_id)
            FROM summary.course_students AS p JOIN summary.students AS s USING (student_id)
            WHERE p.listed AND p.enrollment_state <> 'deleted'
              AND p.student_id NOT IN (SELECT student_id FROM lifecycle.hidden_students)
            GROUP BY p.course_id ORDER BY p.course_id LIMIT 1""").fetchone()
    reports = get_course_report(course_id)
    assert [r.name for r in reports] == expected
    assert all(set(r.courses["course_id"]) == {course_id} for r in reports)
    assert all(set(r.assignments["course_id"]) <= {course_id} for r in reports)
    assert all(r.notes.is_empty() for r in reports)
    document = render_reports(reports, title="Course", zone=UTC_ZONE, generated_at=MADE,
                              min_group_size=5)
    sections = _sections(document)
    assert len(sections) == len(expected)
    for section, report in zip(sections, reports, strict=True):
        score = report.courses["current_score"][0]
        assert (f"{score:.1f}%" if score is not None else "Current score") in section
    assert "break-after: page" in document


def test_a_small_group_has_no_median_and_says_why(demo_copy):
    student_id = _first_student(demo_copy)
    report = get_student_report(student_id, min_group_size=1)
    shown = render_reports([report], title="r", zone=UTC_ZONE, generated_at=MADE,
                           min_group_size=1)
    assert "Class median now" in shown and "is left out" not in shown
    small = get_student_report(student_id, min_group_size=10_000)
    assert small.history["class_median"].null_count() == small.history.height > 0
    hidden = render_reports([small], title="r", zone=UTC_ZONE, generated_at=MADE,
                            min_group_size=10_000)
    assert "Class median now" not in hidden and "╍ class median" not in hidden
    assert "fewer than 10000 students" in hidden
    assert hidden.count("<polyline") == report.courses.height  # the student's line only
    assert shown.count("<polyline") == 2 * report.courses.height


def test_an_unknown_student_has_no_report_and_a_stranger_s_note_is_refused(demo_copy):
    assert get_student_report(999_999) is None
    first, second = 5004, 5006
    add_student_note(second, "someone else's")
    with pytest.raises(DataValidationError, match="not one of student 5004's notes"):
        get_student_report(first, note_ids=get_student_notes(second)["note_id"].to_list())
    with pytest.raises(DataValidationError, match="student id"):
        get_student_report("x")


def _pdf_pages(data: bytes) -> list[str]:
    """The text of each page of a PDF, read back by an independent parser."""
    assert data.startswith(b"%PDF-")
    return [page.extract_text() for page in PdfReader(io.BytesIO(data), strict=True).pages]


def _flat(text: str) -> str:
    return " ".join(text.split())  # the layout wraps lines where it must


def test_a_student_s_pdf_opens_and_holds_their_name_scores_work_and_chosen_notes(demo_copy):
    student_id = _first_student(demo_copy)
    add_student_note(student_id, "Parents' evening: doing well")
    add_student_note(student_id, "Private: not for the report")
    notes = get_student_notes(student_id)
    chosen = notes.filter(pl.col("body").str.starts_with("Parents"))["note_id"].to_list()
    report = get_student_report(student_id, note_ids=chosen)
    data = render_reports_pdf([report], title="Progress report", zone=UTC_ZONE,
                              generated_at=MADE, min_group_size=5)
    reader = PdfReader(io.BytesIO(data))
    assert reader.metadata.title == "Progress report"
    text = _flat(" ".join(_pdf_pages(data)))
    assert report.name in text and f"Canvas id {student_id}" in text
    assert "made 2026-12-03 09:30" in text
    courses = get_student_courses(student_id)
    for course in courses.iter_rows(named=True):
        assert course["course_name"] in text
        assert f"Current score {course['current_score']:.1f}%" in text
        assert f"missing {course['missing']} · late {course['late']}" in text
    for assignment in get_student_assignments(student_id).iter_rows(named=True):
        # The demo's titles mix in scripts the font lacks (those print as U+FFFD).
        assert all(word in text for word in assignment["assignment_name"].split()
                   if word.isascii())
        if assignment["score"] is not None:
            assert f"{assignment['score']:g}" in text
    latest = report.history.sort("sync_id").group_by("course_id").last()
    for median in latest["class_median"].drop_nulls():
        assert f"Class median now {median:.1f}%" in text
    assert "Parents' evening: doing well" in text and "Private" not in text


def test_a_course_pdf_starts_each_student_on_a_page_of_their_own(demo_copy):
    with demo_copy.session() as cur:
        course_id = cur.execute("SELECT course_id FROM canvas.courses ORDER BY course_id "
                                "LIMIT 1").fetchone()[0]
    reports = get_course_report(course_id)
    assert len(reports) > 1
    pages = _pdf_pages(render_reports_pdf(reports, title="Course", zone=UTC_ZONE,
                                          generated_at=MADE, min_group_size=5))
    firsts = [i for i, page in enumerate(pages) if "Progress report · Canvas id" in page]
    assert len(firsts) == len(reports) and firsts[0] == 0
    for start, report in zip(firsts, reports, strict=True):
        heading = pages[start].split("Progress report · Canvas id")[0]  # the name, wrapped
        assert [w for w in report.name.split() if w.isascii()] == [
            w for w in heading.split() if w.isascii()]
        assert f"Canvas id {report.student_id}" in pages[start]
    assert all("Course · page" in page for page in pages)  # the footer


def test_the_pdf_leaves_small_groups_medians_out_and_says_why(demo_copy):
    student_id = _first_student(demo_copy)
    small = get_student_report(student_id, min_group_size=10_000)
    text = _flat(" ".join(_pdf_pages(render_reports_pdf(
        [small], title="r", zone=UTC_ZONE, generated_at=MADE, min_group_size=10_000))))
    assert "Class median now" not in text and "dashed: class median" not in text
    assert "fewer than 10000 students with a score" in text
    shown = _flat(" ".join(_pdf_pages(render_reports_pdf(
        [get_student_report(student_id, min_group_size=1)], title="r", zone=UTC_ZONE,
        generated_at=MADE, min_group_size=1))))
    assert "Class median now" in shown and "dashed: class median" in shown


@pytest.mark.parametrize("name, printed", [
    ('<script>alert(1)</script> **not bold**', '<script>alert(1)</script> **not bold**'),
    ("Zoë Ångström-Αλέξανδρος Иванов", "Zoë Ångström-Αλέξανδρος Иванов"),
    ("李小龍", "\ufffd\ufffd\ufffd"),  # no glyph in the font: marked, not blank
    ("Bell\x07\u202eevil\u200b", "Bellevil"),  # controls and bidi overrides dropped
])
def test_the_pdf_prints_any_name_as_plain_text(demo_copy, name, printed):
    from dataclasses import replace

    report = replace(get_student_report(_first_student(demo_copy)), name=name)
    data = render_reports_pdf([report], title=name, zone=UTC_ZONE, generated_at=MADE,
                              min_group_size=5)
    assert _pdf_pages(data)[0].splitlines()[0].strip() == printed


def test_an_empty_pdf_says_nobody_to_report_on():
    assert "Nobody to report on." in _pdf_pages(render_reports_pdf(
        [], title="r", zone=UTC_ZONE, generated_at=MADE, min_group_size=5))[0]
