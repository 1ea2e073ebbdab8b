"""Plotly figures for the dashboard: pure functions from polars frames to figures.

Each function takes the frame a ``read_models`` function returns and builds a
``plotly.graph_objects.Figure`` with a hover template on every trace. Plotly renders trace
names, axis categories and hover labels as a small subset of HTML, so every text that comes
from Canvas (course, assignment and student names) goes through ``safe_text`` first: a name
like ``<script>alert(1)</script>`` then shows as those characters, never as markup.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import plotly.graph_objects as go
import polars as pl

#: Colours for courses and series, in order (Plotly's default "D3" palette, colour-blind
#: friendlier than the bright default).
PALETTE: tuple[str, ...] = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
)
NAME_LENGTH = 40
#: Longest category label under a box (the hover shows the whole name).
AXIS_LABEL_LENGTH = 22


def safe_text(value: object, max_length: int | None = NAME_LENGTH) -> str:
    """Return ``value`` as text Plotly shows literally (HTML-escaped, optionally shortened).

    Args:
        value: Any value; None becomes an empty string.
        max_length: Longest text before escaping (an ellipsis marks the cut); None keeps all.
    """
    text = "" if value is None else " ".join(str(value).split())
    if max_length is not None and len(text) > max_length:
        text = text[: max_length - 1] + "…"
    return html.escape(text, quote=False)


def _empty(title: str, message: str) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(
        title=title,
        annotations=[{"text": message, "showarrow": False, "xref": "paper", "yref": "paper",
                      "x": 0.5, "y": 0.5}],
        xaxis={"visible": False}, yaxis={"visible": False},
    )
    return fig


def _local_times(frame: pl.DataFrame, time_zone: str) -> list[object]:
    """The ``recorded_at`` column as wall-clock times in ``time_zone`` (Plotly draws a time's
    digits and ignores its offset, so the conversion happens here)."""
    column = frame["recorded_at"]
    if isinstance(column.dtype, pl.Datetime):
        if column.dtype.time_zone is None:
            column = column.dt.replace_time_zone("UTC")
        column = column.dt.convert_time_zone(time_zone).dt.replace_time_zone(None)
    return column.to_list()


def _time_axis(time_zone: str) -> str:
    return f"Sync date ({time_zone})"


def _layout(fig: go.Figure, title: str, y_title: str, *, y_range: Sequence[float] | None = None,
            x_title: str | None = None) -> go.Figure:
    fig.update_layout(
        title=title,
        hovermode="closest",
        legend={"orientation": "h", "yanchor": "top", "y": -0.15},
        margin={"l": 50, "r": 20, "t": 50, "b": 40},
    )
    fig.update_yaxes(title=y_title, range=list(y_range) if y_range else None)
    if x_title:
        fig.update_xaxes(title=x_title)
    return fig


def student_score_chart(history: pl.DataFrame, student_name: str | None = None, *,
                        time_zone: str = "UTC") -> go.Figure:
    """One student's course scores over time, each against the class median.

    Args:
        history: ``get_student_score_history`` rows: sync_id, recorded_at, course_id,
            course_label, student_score, class_median, class_size.
        student_name: Shown in the title (escaped).
        time_zone: The zone the time axis shows (named in its title).

    Returns:
        Two traces per course, in the frame's course order: the student's score (solid) and
        the class median (dashed, same colour).
    """
    title = "Course score over time"
    if student_name:
        title += f": {safe_text(student_name)}"
    if history.is_empty():
        return _empty(title, "No score history yet")
    fig = go.Figure()
    courses = history.select("course_id", "course_label").unique(maintain_order=True)
    for index, (course_id, label) in enumerate(courses.iter_rows()):
        rows = history.filter(pl.col("course_id") == course_id).sort("sync_id")
        colour = PALETTE[index % len(PALETTE)]
        name = safe_text(label)
        custom = [[name, size] for size in rows["class_size"].to_list()]
        x = _local_times(rows, time_zone)
        fig.add_trace(go.Scatter(
            x=x, y=rows["student_score"].to_list(),
            mode="lines+markers", name=name, legendgroup=str(course_id),
            line={"color": colour, "width": 2}, customdata=custom,
            hovertemplate="<b>%{customdata[0]}</b><br>%{x|%Y-%m-%d}<br>"
                          "Score: %{y:.1f}%<extra>student</extra>",
        ))
        fig.add_trace(go.Scatter(
            x=x, y=rows["class_median"].to_list(),
            mode="lines", name=f"{name} class median", legendgroup=str(course_id),
            line={"color": colour, "width": 1, "dash": "dash"}, customdata=custom,
            hovertemplate="<b>%{customdata[0]}</b><br>%{x|%Y-%m-%d}<br>"
                          "Class median: %{y:.1f}% of %{customdata[1]} students"
                          "<extra>class</extra>",
        ))
    return _layout(fig, title, "Current score (%)", x_title=_time_axis(time_zone))


def score_trend_chart(trend: pl.DataFrame, scope_name: str | None = None, *,
                      time_zone: str = "UTC") -> go.Figure:
    """Mean and median course score over time, with the middle half of students shaded.

    Args:
        trend: ``get_score_trend`` rows: sync_id, recorded_at, students, mean_score,
            median_score, q1_score, q3_score.
        scope_name: Course or curriculum name for the title (escaped).
        time_zone: The zone the time axis shows (named in its title).

    Returns:
        Four traces: 25th and 75th percentile (the band), mean, median.
    """
    title = "Scores over time" + (f": {safe_text(scope_name)}" if scope_name else "")
    if trend.is_empty():
        return _empty(title, "No score history yet")
    x = _local_times(trend, time_zone)
    students = trend["students"].to_list()
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=x, y=trend["q1_score"].to_list(), mode="lines", name="25th percentile",
        line={"width": 0, "color": PALETTE[0]}, customdata=students, showlegend=False,
        hovertemplate="%{x|%Y-%m-%d}<br>25th percentile: %{y:.1f}%<extra></extra>",
    ))
    fig.add_trace(go.Scatter(
        x=x, y=trend["q3_score"].to_list(), mode="lines", name="middle half of students",
        line={"width": 0, "color": PALETTE[0]}, fill="tonexty",
        fillcolor="rgba(31,119,180,0.15)", customdata=students,
        hovertemplate="%{x|%Y-%m-%d}<br>75th percentile: %{y:.1f}%<extra></extra>",
    ))
    fig.add_trace(go.Scatter(
        x=x, y=trend["mean_score"].to_list(), mode="lines+markers", name="mean",
        line={"color": PALETTE[1]}, customdata=students,
        hovertemplate="%{x|%Y-%m-%d}<br>Mean: %{y:.1f}% over %{customdata} students"
                      "<extra></extra>",
    ))
    fig.add_trace(go.Scatter(
        x=x, y=trend["median_score"].to_list(), mode="lines+markers", name="median",
        line={"color": PALETTE[0]}, customdata=students,
        hovertemplate="%{x|%Y-%m-%d}<br>Median: %{y:.1f}% over %{customdata} students"
                      "<extra></extra>",
    ))
    return _layout(fig, title, "Current score (%)", x_title=_time_axis(time_zone))


def submission_trend_chart(trend: pl.DataFrame, scope_name: str | None = None, *,
                           time_zone: str = "UTC") -> go.Figure:
    """Share of due, non-excused work submitted, at every sync.

    Args:
        trend: ``get_submission_trend`` rows: sync_id, recorded_at, due_pairs,
            submitted_pairs, submitted_share (0-1).
        scope_name: Course or curriculum name for the title (escaped).
        time_zone: The zone the time axis shows (named in its title).

    Returns:
        One trace, in percent.
    """
    title = "Submitted work over time" + (f": {safe_text(scope_name)}" if scope_name else "")
    if trend.is_empty():
        return _empty(title, "No work was due yet")
    fig = go.Figure(go.Scatter(
        x=_local_times(trend, time_zone),
        y=[None if v is None else 100 * v for v in trend["submitted_share"].to_list()],
        mode="lines+markers", name="submitted", line={"color": PALETTE[2]},
        customdata=list(zip(trend["submitted_pairs"].to_list(), trend["due_pairs"].to_list(),
                            strict=True)),
        hovertemplate="%{x|%Y-%m-%d}<br>Submitted: %{y:.1f}%"
                      "<br>%{customdata[0]} of %{customdata[1]} due<extra></extra>",
    ))
    return _layout(fig, title, "Submitted (% of work due)", y_range=(0, 105),
                   x_title=_time_axis(time_zone))


def assignment_distribution_chart(
    scores: pl.DataFrame, course_name: str | None = None
) -> go.Figure:
    """Score distribution per assignment: a box with every student's score as a point.

    Args:
        scores: ``get_assignment_distribution`` rows: assignment_id, assignment_name,
            position, due_at, points_possible, student_id, student_name, score,
            score_percent, status; in display order.
        course_name: For the title (escaped).

    Returns:
        One box trace per assignment, in the frame's order, named ``"N. name"`` (N counts
        from 1, so two assignments with the same name stay apart; long names are cut and
        the hover names the assignment in full).
    """
    title = "Scores per assignment" + (f": {safe_text(course_name)}" if course_name else "")
    if scores.is_empty():
        return _empty(title, "No graded work yet")
    fig = go.Figure()
    assignments = scores.select("assignment_id", "assignment_name").unique(maintain_order=True)
    for index, (assignment_id, name) in enumerate(assignments.iter_rows(), start=1):
        rows = scores.filter(pl.col("assignment_id") == assignment_id)
        label = f"{index}. {safe_text(name, AXIS_LABEL_LENGTH)}"
        full_name = safe_text(name, 80)
        custom = [
            [safe_text(student), score, points, status, full_name]
            for student, score, points, status in rows.select(
                "student_name", "score", "points_possible", "status"
            ).iter_rows()
        ]
        fig.add_trace(go.Box(
            y=rows["score_percent"].to_list(), name=label, boxpoints="all", jitter=0.4,
            pointpos=0, marker={"size": 4, "color": PALETTE[0]}, line={"color": PALETTE[0]},
            customdata=custom, showlegend=False,
            hovertemplate="<b>%{customdata[0]}</b><br>%{customdata[4]}<br>%{y:.1f}% "
                          "(%{customdata[1]} of %{customdata[2]} points, %{customdata[3]})"
                          "<extra></extra>",
        ))
    return _category_axis(_layout(fig, title, "Score (% of points)",
                                  x_title="Assignment, in due order"), assignments.height)


def _category_axis(fig: go.Figure, categories: int) -> go.Figure:
    # Many labels side by side overlap: slant them and let the margin grow to fit.
    fig.update_xaxes(automargin=True, tickangle=-35 if categories > 6 else 0)
    return fig


def course_distribution_chart(scores: pl.DataFrame, scope_name: str | None = None) -> go.Figure:
    """Current course score distribution, one box per course.

    Args:
        scores: ``get_course_distribution`` rows: course_id, course_label, student_id,
            student_name, current_score.
        scope_name: Curriculum name for the title (escaped).

    Returns:
        One box trace per course, in the frame's order.
    """
    title = "Current scores per course" + (f": {safe_text(scope_name)}" if scope_name else "")
    if scores.is_empty():
        return _empty(title, "No scores yet")
    fig = go.Figure()
    courses = scores.select("course_id", "course_label").unique(maintain_order=True)
    many = courses.height > 12
    for index, (course_id, label) in enumerate(courses.iter_rows()):
        rows = scores.filter(pl.col("course_id") == course_id)
        colour = PALETTE[index % len(PALETTE)]
        fig.add_trace(go.Box(
            y=rows["current_score"].to_list(), name=safe_text(label, 30),
            boxpoints="outliers" if many else "all", jitter=0.4, pointpos=0,
            marker={"size": 4, "color": colour}, line={"color": colour}, showlegend=False,
            customdata=[safe_text(s) for s in rows["student_name"].to_list()],
            hovertemplate="<b>%{customdata}</b><br>%{y:.1f}%<extra></extra>",
        ))
    return _category_axis(_layout(fig, title, "Current score (%)"), courses.height)
