"""Progress reports as PDF: the reports ``tracker_db.printable`` lays out as HTML, as a file
a teacher can keep, send home or print as it is, a page (or more) per student.

Laid out with fpdf2, a small pure-Python library, so the PDF needs no browser and no system
library. The text is set in DejaVu Sans, which ships with the package (``tracker_db/fonts``),
so names in Latin, Greek, Cyrillic and many other scripts print the same on any machine. A
character the font lacks prints as U+FFFD rather than vanishing, and control characters are
dropped. Canvas text and notes go in as plain text (fpdf2's markdown stays off), and the
charts are drawn from numbers only.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from pathlib import Path

import polars as pl
from fpdf import FPDF
from fpdf.fonts import FontFace

from tracker_db.printable import EMPTY, format_number, format_when
from tracker_db.read_models.preferences import TimeZoneChoice
from tracker_db.read_models.progress_report import StudentReport

_FONTS = Path(__file__).with_name("fonts")
_FAMILY = "DejaVu"
# The HTML report's colours: the student's line, the median's, the grid and quiet text.
_STUDENT_RGB, _MEDIAN_RGB = (31, 95, 168), (136, 136, 136)
_GRID_RGB, _QUIET_RGB = (228, 228, 228), (85, 85, 85)
#: Height of a line of body text, in mm.
_LINE = 5.0


@cache
def _printable_characters() -> frozenset[int]:
    """The code points the bundled font draws (both weights hold the same set)."""
    from fontTools.ttLib import TTFont  # fpdf2's own dependency

    with TTFont(_FONTS / "DejaVuSans.ttf", lazy=True) as font:
        return frozenset(font.getBestCmap())


def _text(value: object) -> str:
    """``value`` as the font can print it: control characters out, any character it has no
    glyph for as U+FFFD (so a name in a script it lacks is not silently blank)."""
    drawn = _printable_characters()
    out = []
    for char in "" if value is None else str(value):
        if unicodedata.category(char) in ("Cc", "Cf") and char not in "\t\n":
            continue  # controls and invisible format characters (bidi overrides among them)
        out.append(char if ord(char) in drawn or char in "\t\n" else "\ufffd")
    return "".join(out)


class _ReportDocument(FPDF):
    """An A4 document with the reports' title and the page number in each page's footer."""

    def __init__(self, title: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.report_title = _text(title)
        self.set_margins(14, 14, 14)
        self.set_auto_page_break(True, margin=16)
        self.add_font(_FAMILY, "", _FONTS / "DejaVuSans.ttf")
        self.add_font(_FAMILY, "B", _FONTS / "DejaVuSans-Bold.ttf")
        # No "page N of {nb}": fpdf2 would put the page count in place of "{nb}" wherever it
        # appears, a student's name or a note included.
        self.alias_nb_pages("")
        self.set_title(self.report_title)
        self.set_creator("Canvas Tracker")

    def footer(self) -> None:  # fpdf2 calls it at the end of each page
        self.set_y(-12)
        self.set_font(_FAMILY, "", 7.5)
        self.set_text_color(*_QUIET_RGB)
        self.cell(0, 4, f"{self.report_title} · page {self.page_no()}", align="C")
        self.set_text_color(0)

    def write_line(self, text: str, *, size: float = 10.0, bold: bool = False,
                   quiet: bool = False, height: float = _LINE) -> None:
        """Write ``text`` as a paragraph across the page, wrapping as needed."""
        self.set_font(_FAMILY, "B" if bold else "", size)
        if quiet:
            self.set_text_color(*_QUIET_RGB)
        self.multi_cell(0, height, _text(text), align="L", new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(0)


def _chart(pdf: _ReportDocument, rows: pl.DataFrame, show_median: bool,
           zone: TimeZoneChoice) -> None:
    """A line chart of one course's score over time and, if shown, the class median."""
    height, label_width, bottom = 42.0, 10.0, 5.0
    if pdf.will_page_break(height + 2):
        pdf.add_page()
    top, left = pdf.get_y(), pdf.l_margin + label_width
    right = pdf.l_margin + pdf.epw
    times = [t.timestamp() for t in rows["recorded_at"].to_list()]
    series = [(rows["student_score"].to_list(), _STUDENT_RGB, False)]
    if show_median:
        series.append((rows["class_median"].to_list(), _MEDIAN_RGB, True))
    values = [v for s, _, _ in series for v in s if v is not None]
    high = max(100.0, *values) if values else 100.0
    start, end = min(times), max(times)

    def x(t: float) -> float:
        return left + (t - start) / (end - start) * (right - left - 2) if end > start else left + 4

    def y(v: float) -> float:
        return top + (1 - v / high) * (height - bottom)

    pdf.set_font(_FAMILY, "", 6.5)
    pdf.set_line_width(0.2)
    pdf.set_draw_color(*_GRID_RGB)
    for tick in (0, 25, 50, 75, 100):
        pdf.line(left, y(tick), right, y(tick))
        pdf.set_xy(pdf.l_margin, y(tick) - 1.5)
        pdf.cell(label_width - 1, 3, f"{tick}%", align="R")
    for label_at in sorted({times[0], times[-1]}):
        moment = rows["recorded_at"][times.index(label_at)]
        pdf.set_xy(x(label_at) - 12, top + height - bottom + 0.8)
        pdf.cell(24, 3, format_when(zone, moment), align="C")
    pdf.set_line_width(0.6)
    for values_, colour, dashed in series:
        points = [(x(t), y(v)) for t, v in zip(times, values_, strict=True) if v is not None]
        pdf.set_draw_color(*colour)
        pdf.set_fill_color(*colour)
        pdf.set_dash_pattern(dash=1.6, gap=1.0) if dashed else pdf.set_dash_pattern()
        if len(points) > 1:
            pdf.polyline(points, style="D")
        for px, py in points if len(points) == 1 else ():
            pdf.circle(px, py, 0.8, style="F")  # one sync: a dot, not an empty chart
    pdf.set_dash_pattern()
    pdf.set_draw_color(0)
    pdf.set_line_width(0.2)
    pdf.set_xy(pdf.l_margin, top + height + 1)


def _assignments(pdf: _ReportDocument, work: pl.DataFrame, zone: TimeZoneChoice) -> None:
    pdf.set_font(_FAMILY, "", 8.5)
    pdf.set_draw_color(204)
    with pdf.table(
        col_widths=(80, 24, 18, 18, 42), text_align=("LEFT", "LEFT", "RIGHT", "RIGHT", "LEFT"),
        borders_layout="HORIZONTAL_LINES", line_height=4.4, align="LEFT", width=pdf.epw,
        headings_style=FontFace(emphasis="BOLD"), markdown=False, padding=(0.6, 1),
    ) as table:
        table.row(["Assignment", "Due", "Score", "Out of", "Status"])
        for a in work.iter_rows(named=True):
            score = EMPTY if a["score"] is None else f"{a['score']:g}"
            out_of = EMPTY if a["points_possible"] is None else f"{a['points_possible']:g}"
            table.row([_text(a["assignment_name"]), format_when(zone, a["due_at"]), score,
                       out_of, _text(a["status"])])
    pdf.set_draw_color(0)
    pdf.ln(1)


def _course(pdf: _ReportDocument, report: StudentReport, course: dict,
            zone: TimeZoneChoice, min_group_size: int) -> None:
    course_id = course["course_id"]
    rows = report.history.filter(pl.col("course_id") == course_id).sort("sync_id")
    if pdf.will_page_break(30):
        pdf.add_page()  # a course's heading never sits alone at the foot of a page
    pdf.ln(2)
    pdf.write_line(course["course_name"], size=12, bold=True, height=6)
    grade = f" ({course['current_grade']})" if course.get("current_grade") else ""
    pdf.write_line(f"Current score {format_number(course['current_score'], suffix='%')}"
                   f"{grade} · missing {course['missing']} · late {course['late']}")
    if rows.height:
        latest = rows.row(-1, named=True)
        show_median = rows["class_median"].null_count() < rows.height
        if latest["class_median"] is not None:
            pdf.write_line(f"Class median now {format_number(latest['class_median'], suffix='%')}"
                           f" ({latest['class_size']} students).")
        if rows["class_median"].null_count():
            pdf.write_line("The class median is left out where the class had fewer than "
                           f"{min_group_size} students with a score.", size=8.5, quiet=True)
        _chart(pdf, rows, show_median, zone)
        legend = f"Solid line: {report.name}" + (" · dashed: class median" if show_median else "")
        pdf.write_line(legend, size=8, quiet=True, height=4)
    work = report.assignments.filter(pl.col("course_id") == course_id)
    if work.height:
        _assignments(pdf, work, zone)


def render_reports_pdf(
    reports: Sequence[StudentReport],
    *,
    title: str,
    zone: TimeZoneChoice,
    generated_at: datetime,
    min_group_size: int,
) -> bytes:
    """Return the reports as one PDF, each student starting on a new page.

    Args:
        reports: ``get_student_report`` or ``get_course_report`` results.
        title: The document's title (in its properties and each page's footer).
        zone: The zone dates are shown in.
        generated_at: When the report is made (printed under each student's name).
        min_group_size: The minimum the reports were read with, named where a class
            median is left out.
    """
    pdf = _ReportDocument(title)
    pdf.set_creation_date(generated_at)
    for report in reports:
        pdf.add_page()
        pdf.write_line(report.name, size=16, bold=True, height=8)
        synced = format_when(zone, report.synced_at, "%Y-%m-%d %H:%M")
        made = format_when(zone, generated_at, "%Y-%m-%d %H:%M")
        pdf.write_line(f"Progress report · Canvas id {report.student_id} · data from the sync "
                       f"of {synced} ({zone.name}) · made {made}", size=8.5, quiet=True)
        if report.courses.is_empty():
            pdf.write_line("No current enrollments.")
        for course in report.courses.iter_rows(named=True):
            _course(pdf, report, course, zone, min_group_size)
        if report.notes.height:
            pdf.ln(2)
            pdf.write_line("Notes", size=12, bold=True, height=6)
            for note in report.notes.iter_rows(named=True):
                pdf.write_line(format_when(zone, note["created_at"]), size=8, quiet=True,
                               height=4)
                pdf.write_line(note["body"])
                pdf.ln(1)
    if not reports:
        pdf.add_page()
        pdf.write_line("Nobody to report on.")
    return bytes(pdf.output())
