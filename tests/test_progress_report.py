"""Printable progress reports: what they hold, that Canvas text stays text, and that small
groups' medians stay out."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html.parser import HTMLParser

import polars as pl
import pytest

from tracker_db.edits import add_student_note
from tracker_db.errors import DataValidationError
from tracker_db.printable import render_reports
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
