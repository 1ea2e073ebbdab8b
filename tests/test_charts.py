"""The dashboard's figures: pure functions from frames to Plotly figures, checked on their data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import plotly.graph_objects as go
import polars as pl
import pytest

from tracker_db import charts

T0 = datetime(2026, 11, 5, 6, 0, tzinfo=UTC)
HOSTILE = "<script>alert(1)</script>"


def _at(week: int) -> datetime:
    return T0 + timedelta(days=7 * week)


def _every_trace_has_hover(fig: go.Figure) -> None:
    assert fig.data, "expected traces"
    for trace in fig.data:
        assert trace.hovertemplate, f"trace {trace.name!r} has no hover template"


def test_safe_text_escapes_markup_and_shortens():
    assert charts.safe_text(HOSTILE) == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert charts.safe_text("a & b") == "a &amp; b"
    assert charts.safe_text(None) == ""
    long = charts.safe_text("x" * 100, 10)
    assert long == "x" * 9 + "…"
    assert charts.safe_text("two\n  lines") == "two lines"


def test_student_score_chart_draws_the_student_and_the_class_median_per_course():
    history = pl.DataFrame({
        "sync_id": [1, 2, 3, 1, 2],
        "recorded_at": [_at(0), _at(1), _at(2), _at(0), _at(1)],
        "course_id": [101, 101, 101, 104, 104],
        "course_label": ["BIO 101", "BIO 101", "BIO 101", HOSTILE, HOSTILE],
        "student_score": [70.0, 72.5, 68.0, 90.0, None],
        "class_median": [75.0, 74.0, 73.0, 80.0, 81.0],
        "class_size": [30, 30, 31, 20, 20],
    })
    fig = charts.student_score_chart(history, "<b>bold</b> Baker")
    assert len(fig.data) == 4
    student, median, student2, median2 = fig.data
    assert student.name == "BIO 101"
    assert median.name == "BIO 101 class median"
    assert list(student.y) == [70.0, 72.5, 68.0]
    assert list(median.y) == [75.0, 74.0, 73.0]
    # Plotly draws a time's digits and ignores its offset: times arrive as wall-clock UTC.
    assert list(student.x) == [_at(i).replace(tzinfo=None) for i in range(3)]
    assert fig.layout.xaxis.title.text == "Sync date (UTC)"
    assert median.line.dash == "dash" and student.line.color == median.line.color
    # Canvas text is escaped everywhere Plotly would read it as markup.
    assert student2.name == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert "<script>" not in median2.name
    assert student2.customdata[0][0] == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert list(student2.y) == [90.0, None]
    assert "&lt;b&gt;bold&lt;/b&gt; Baker" in fig.layout.title.text
    _every_trace_has_hover(fig)


def test_score_trend_chart_has_band_mean_and_median():
    trend = pl.DataFrame({
        "sync_id": [1, 2],
        "recorded_at": [_at(0), _at(1)],
        "students": [30, 31],
        "mean_score": [74.0, 75.5],
        "median_score": [73.0, 76.0],
        "q1_score": [65.0, 66.0],
        "q3_score": [82.0, 84.0],
    })
    fig = charts.score_trend_chart(trend, HOSTILE)
    assert [t.name for t in fig.data] == [
        "25th percentile", "middle half of students", "mean", "median"
    ]
    assert list(fig.data[2].y) == [74.0, 75.5]
    assert list(fig.data[3].y) == [73.0, 76.0]
    assert fig.data[1].fill == "tonexty"
    assert list(fig.data[2].customdata) == [30, 31]
    assert "<script>" not in fig.layout.title.text
    _every_trace_has_hover(fig)


def test_submission_trend_chart_is_in_percent_with_counts_on_hover():
    trend = pl.DataFrame({
        "sync_id": [1, 2],
        "recorded_at": [_at(0), _at(1)],
        "due_pairs": [100, 200],
        "submitted_pairs": [90, 150],
        "submitted_share": [0.9, 0.75],
    })
    fig = charts.submission_trend_chart(trend)
    assert len(fig.data) == 1
    assert list(fig.data[0].y) == pytest.approx([90.0, 75.0])
    assert [list(c) for c in fig.data[0].customdata] == [[90, 100], [150, 200]]
    assert tuple(fig.layout.yaxis.range) == (0, 105)
    _every_trace_has_hover(fig)


def test_assignment_distribution_chart_keeps_same_named_assignments_apart():
    scores = pl.DataFrame({
        "assignment_id": [1, 1, 2, 3],
        "assignment_name": ["Quiz", "Quiz", "Quiz", "Lab 1: <b>Microscopy</b>"],
        "position": [1, 1, 2, 3],
        "due_at": [_at(0), _at(0), _at(1), _at(2)],
        "points_possible": [10.0, 10.0, 20.0, 5.0],
        "student_id": [1, 2, 1, 2],
        "student_name": ["Ann", HOSTILE, "Ann", HOSTILE],
        "score": [8.0, 6.0, 10.0, 5.0],
        "score_percent": [80.0, 60.0, 50.0, 100.0],
        "status": ["on time", "late", "on time", "on time"],
    })
    fig = charts.assignment_distribution_chart(scores, "BIO 101")
    # Long names are cut under the axis; the hover names the assignment in full.
    assert [t.name for t in fig.data] == [
        "1. Quiz", "2. Quiz", "3. Lab 1: &lt;b&gt;Microscopy&lt;…"
    ]
    assert fig.data[2].customdata[0][4] == "Lab 1: &lt;b&gt;Microscopy&lt;/b&gt;"
    assert fig.layout.xaxis.automargin is True and fig.layout.xaxis.tickangle == 0
    assert list(fig.data[0].y) == [80.0, 60.0]
    assert fig.data[0].boxpoints == "all"
    assert fig.data[0].customdata[1][0] == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert fig.data[0].customdata[1][3] == "late"
    _every_trace_has_hover(fig)


def test_course_distribution_chart_one_box_per_course():
    scores = pl.DataFrame({
        "course_id": [101, 101, 102],
        "course_label": ["BIO 101", "BIO 101", HOSTILE],
        "student_id": [1, 2, 3],
        "student_name": ["Ann", "Bo", "Cy"],
        "current_score": [70.0, 80.0, 90.0],
    })
    fig = charts.course_distribution_chart(scores, "Year 9")
    assert [t.name for t in fig.data] == ["BIO 101", "&lt;script&gt;alert(1)&lt;/script&gt;"]
    assert list(fig.data[0].y) == [70.0, 80.0]
    assert list(fig.data[1].customdata) == ["Cy"]
    _every_trace_has_hover(fig)


@pytest.mark.parametrize(
    ("function", "columns"),
    [
        (charts.student_score_chart, ["sync_id", "recorded_at", "course_id", "course_label",
                                      "student_score", "class_median", "class_size"]),
        (charts.score_trend_chart, ["sync_id", "recorded_at", "students", "mean_score",
                                    "median_score", "q1_score", "q3_score"]),
        (charts.submission_trend_chart, ["sync_id", "recorded_at", "due_pairs",
                                         "submitted_pairs", "submitted_share"]),
        (charts.assignment_distribution_chart, ["assignment_id", "assignment_name",
                                                "student_name", "score_percent"]),
        (charts.course_distribution_chart, ["course_id", "course_label", "current_score"]),
    ],
)
def test_empty_frames_give_an_empty_figure_with_a_message(function, columns):
    fig = function(pl.DataFrame({c: [] for c in columns}))
    assert len(fig.data) == 0
    assert fig.layout.annotations and fig.layout.annotations[0].text


def test_time_axes_show_the_teachers_zone_and_name_it():
    trend = pl.DataFrame({
        "sync_id": [1], "recorded_at": [datetime(2026, 9, 1, 23, 30, tzinfo=UTC)],
        "due_pairs": [10], "submitted_pairs": [5], "submitted_share": [0.5],
    })
    fig = charts.submission_trend_chart(trend, time_zone="Asia/Tokyo")
    assert list(fig.data[0].x) == [datetime(2026, 9, 2, 8, 30)]  # the next morning there
    assert fig.layout.xaxis.title.text == "Sync date (Asia/Tokyo)"


def test_many_assignment_labels_are_slanted_to_stay_readable():
    names = [f"Week {n} reading response" for n in range(1, 11)]
    scores = pl.DataFrame({
        "assignment_id": list(range(10)), "assignment_name": names,
        "position": list(range(10)), "due_at": [_at(0)] * 10, "points_possible": [10.0] * 10,
        "student_id": [1] * 10, "student_name": ["Ann"] * 10, "score": [5.0] * 10,
        "score_percent": [50.0] * 10, "status": ["graded"] * 10,
    })
    fig = charts.assignment_distribution_chart(scores)
    assert fig.layout.xaxis.tickangle == -35
    assert all(len(t.name) <= len("10. ") + charts.AXIS_LABEL_LENGTH for t in fig.data)
