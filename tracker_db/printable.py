"""Printable progress reports: one HTML document, a page per student, for the browser's
print dialog (and so a PDF through "Save as PDF").

Canvas text and teachers' notes are untrusted: every value goes through ``html.escape``, the
charts are SVG drawn here from numbers only, and the document carries a Content Security
Policy that forbids scripts, so even a mistake here could not run one. Class medians of
groups under the minimum group size are left out by the read model (a median of three
scores says too much about the other two); the report says so where one is.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime

import polars as pl

from tracker_db.read_models.preferences import TimeZoneChoice
from tracker_db.read_models.progress_report import StudentReport

_STUDENT_COLOUR, _MEDIAN_COLOUR = "#1f5fa8", "#888888"
#: What an empty cell shows (the pages' dash).
EMPTY = "\u2013"

_STYLE = """
body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 10.5pt; color: #111;
       margin: 2em auto; max-width: 52em; }
h1 { font-size: 16pt; margin: 0 0 .2em; } h2 { font-size: 12.5pt; margin: 1.2em 0 .3em; }
.meta, .note-when, .hidden { color: #555; font-size: 9pt; }
table { border-collapse: collapse; width: 100%; margin: .3em 0; }
th, td { border-bottom: 1px solid #ccc; padding: 2px 6px; text-align: left;
         vertical-align: top; }
td.num, th.num { text-align: right; }
.report { break-after: page; page-break-after: always; }
.report:last-child { break-after: auto; page-break-after: auto; }
.chart { margin: .3em 0; } .legend span { margin-right: 1.5em; }
.note { white-space: pre-wrap; border-left: 3px solid #ccc; padding-left: .6em;
        margin: .4em 0; }
@media print { body { margin: 0; max-width: none; } @page { size: A4; margin: 14mm; } }
"""


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def format_number(value: float | None, decimals: int = 1, suffix: str = "") -> str:
    """``value`` to ``decimals`` places with ``suffix``, or the empty cell's dash."""
    return EMPTY if value is None else f"{value:.{decimals}f}{suffix}"


def format_when(zone: TimeZoneChoice, moment: datetime | None, pattern: str = "%Y-%m-%d") -> str:
    """``moment`` in ``zone`` as ``pattern``, or the empty cell's dash."""
    local = zone.local(moment)
    return EMPTY if local is None else local.strftime(pattern)


def _chart(rows: pl.DataFrame, show_median: bool, zone: TimeZoneChoice) -> str:
    """An SVG line chart of one course: the student's score and, if shown, the median."""
    width, height, left, bottom, top = 640, 170, 40, 22, 8
    times = [t.timestamp() for t in rows["recorded_at"].to_list()]
    series = [rows["student_score"].to_list()]
    if show_median:
        series.append(rows["class_median"].to_list())
    values = [v for s in series for v in s if v is not None]
    high = max(100.0, *values) if values else 100.0
    start, end = min(times), max(times)
    span = (end - start) or 1.0

    def x(t: float) -> float:
        return left + (t - start) / span * (width - left - 10) if end > start else left + 10

    def y(v: float) -> float:
        return top + (1 - v / high) * (height - top - bottom)

    parts = [f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
             'aria-label="Course score over time">']
    for tick in (0, 25, 50, 75, 100):
        parts.append(f'<line x1="{left}" x2="{width - 10}" y1="{y(tick):.1f}" '
                     f'y2="{y(tick):.1f}" stroke="#e4e4e4"/>'
                     f'<text x="{left - 4}" y="{y(tick) + 3:.1f}" font-size="9" '
                     f'text-anchor="end">{tick}%</text>')
    for label_at in sorted({times[0], times[-1]}):
        moment = rows["recorded_at"][times.index(label_at)]
        parts.append(f'<text x="{x(label_at):.1f}" y="{height - 6}" font-size="9" '
                     f'text-anchor="middle">{_e(format_when(zone, moment))}</text>')
    for values_, colour, dash in zip(series, (_STUDENT_COLOUR, _MEDIAN_COLOUR),
                                     ("", ' stroke-dasharray="5,3"'), strict=False):
        points = " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in zip(times, values_, strict=True)
                          if v is not None)
        if points:
            parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" '
                         f'stroke-width="2"{dash}/>')
    parts.append("</svg>")
    return "".join(parts)


def _course_section(report: StudentReport, course: dict, zone: TimeZoneChoice,
                    min_group_size: int) -> str:
    course_id = course["course_id"]
    rows = report.history.filter(pl.col("course_id") == course_id).sort("sync_id")
    out = [f"<h2>{_e(course['course_name'])}</h2>",
           '<p>Current score <strong>' + _e(format_number(course["current_score"], suffix="%"))
           + "</strong>"
           + (f" ({_e(course['current_grade'])})" if course.get("current_grade") else "")
           + f" · missing {_e(course['missing'])} · late {_e(course['late'])}</p>"]
    if rows.height:
        latest = rows.row(-1, named=True)
        show_median = rows["class_median"].null_count() < rows.height
        if latest["class_median"] is not None:
            median = format_number(latest["class_median"], suffix="%")
            out.append(f"<p>Class median now {_e(median)}"
                       f" ({_e(latest['class_size'])} students).</p>")
        if rows["class_median"].null_count():
            out.append(f'<p class="hidden">The class median is left out where the class had '
                       f"fewer than {_e(min_group_size)} students with a score.</p>")
        out.append(_chart(rows, show_median, zone))
        legend = f'<span style="color:{_STUDENT_COLOUR}">━ {_e(report.name)}</span>'
        if show_median:
            legend += f'<span style="color:{_MEDIAN_COLOUR}">╍ class median</span>'
        out.append(f'<div class="legend meta">{legend}</div>')
    work = report.assignments.filter(pl.col("course_id") == course_id)
    if work.height:
        out.append("<table><thead><tr><th>Assignment</th><th>Due</th>"
                   '<th class="num">Score</th><th class="num">Out of</th><th>Status</th>'
                   "</tr></thead><tbody>")
        for a in work.iter_rows(named=True):
            score = EMPTY if a["score"] is None else f"{a['score']:g}"
            out_of = EMPTY if a["points_possible"] is None else f"{a['points_possible']:g}"
            out.append(f"<tr><td>{_e(a['assignment_name'])}</td>"
                       f"<td>{_e(format_when(zone, a['due_at']))}</td>"
                       f'<td class="num">{_e(score)}</td><td class="num">{_e(out_of)}</td>'
                       f"<td>{_e(a['status'])}</td></tr>")
        out.append("</tbody></table>")
    return "\n".join(out)


def render_reports(
    reports: Sequence[StudentReport],
    *,
    title: str,
    zone: TimeZoneChoice,
    generated_at: datetime,
    min_group_size: int,
) -> str:
    """Return the reports as one printable HTML document, a page per student.

    Args:
        reports: ``get_student_report`` or ``get_course_report`` results.
        title: The document's title (escaped).
        zone: The zone dates are shown in.
        generated_at: When the report is made (printed on each page).
        min_group_size: The minimum the reports were read with (``get_student_report``
            leaves out smaller classes' medians), named where one is left out.
    """
    pages = []
    for report in reports:
        synced = format_when(zone, report.synced_at, "%Y-%m-%d %H:%M")
        body = [f'<section class="report"><h1>{_e(report.name)}</h1>',
                f'<p class="meta">Progress report · Canvas id {_e(report.student_id)} · data '
                f"from the sync of {_e(synced)} ({_e(zone.name)}) · made "
                f"{_e(format_when(zone, generated_at, '%Y-%m-%d %H:%M'))}</p>"]
        if report.courses.is_empty():
            body.append("<p>No current enrollments.</p>")
        for course in report.courses.iter_rows(named=True):
            body.append(_course_section(report, course, zone, min_group_size))
        if report.notes.height:
            body.append("<h2>Notes</h2>")
            for note in report.notes.iter_rows(named=True):
                body.append(f'<div class="note"><div class="note-when">'
                            f"{_e(format_when(zone, note['created_at']))}</div>"
                            f"{_e(note['body'])}</div>")
        body.append("</section>")
        pages.append("\n".join(body))
    if not pages:
        pages.append('<section class="report"><p>Nobody to report on.</p></section>')
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
            "style-src 'unsafe-inline'; img-src data:\">"
            f"<title>{_e(title)}</title><style>{_STYLE}</style></head><body>\n"
            + "\n".join(pages) + "\n</body></html>\n")
