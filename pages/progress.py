"""Progress: how a course or a curriculum moves over time, and how scores spread."""

from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st

from pages import common
from tracker_db import charts, printable, printable_pdf, privacy
from tracker_db.read_models import progress_report, roster, trends

st.title("Progress")
state = common.start(shows_past=True)
if not common.require_data(state, "progress"):
    st.stop()

options = common.cached(roster.get_filter_options)
if not options.courses:
    st.info("The last sync found no courses.")
    st.stop()

controls = st.columns([2, 4, 2])
view = controls[0].radio("View", ["Course", "Curriculum"], horizontal=True, key="p_view")
include_inactive = controls[2].toggle(
    "Include inactive students", key="p_inactive",
    help="Also count students Canvas no longer has as active, and archived ones.",
)

course_ids: tuple[int, ...] = ()
curriculum_id: str | None = None
if view == "Curriculum":
    if not options.curricula:
        st.info("No curricula yet: group courses into a curriculum on the Metadata page.")
        st.page_link(common.METADATA_PAGE, label="Go to the Metadata page",
                     icon=":material/edit_note:")
        st.stop()
    curriculum_id = controls[1].selectbox(
        "Curriculum", [c for c, _ in options.curricula], format_func=options.curriculum_name,
        key="p_curriculum",
    )
    scope_name = options.curriculum_name(curriculum_id)
    member_ids = common.cached(trends.get_curriculum_courses, curriculum_id)
    if not member_ids:
        st.info("This curriculum has no courses yet: add some on the Metadata page.")
        st.stop()
else:
    course_id = controls[1].selectbox(
        "Course", [c for c, _ in options.courses], format_func=options.course_label,
        key="p_course",
    )
    course_ids = (course_id,)
    member_ids = [course_id]
    scope_name = options.course_label(course_id)

zone = common.time_zone().name
smallest = common.min_group_size()
trend = common.cached(trends.get_score_trend, course_ids, curriculum_id,
                      include_inactive=include_inactive, min_group_size=smallest)
if curriculum_id is None:
    scores = common.cached(trends.get_assignment_distribution, course_id,
                           include_inactive=include_inactive, min_group_size=smallest)
    if trend.is_empty() and scores.is_empty():
        # One message instead of three empty charts.
        st.info(common.md(
            f"No scores yet in {scope_name}: Canvas has no current score or graded work for "
            "its students" + ("." if include_inactive else " (active students only).")
            + " The charts show once a sync finds some."), icon=":material/info:")
        st.stop()
st.plotly_chart(charts.score_trend_chart(trend, scope_name, time_zone=zone), key="score_trend")
st.caption("Mean and median current score at every sync; the band holds the middle half of "
           "the students.")
if privacy.any_small(trend, "students", smallest):
    st.caption(privacy.small_group_note(smallest, "the mean, median and band are"))

if curriculum_id is not None:
    spread = common.cached(trends.get_course_distribution, (), curriculum_id,
                           include_inactive=include_inactive, min_group_size=smallest)
    st.plotly_chart(charts.course_distribution_chart(common.shown(spread), scope_name),
                    key="course_spread")
    course_id = st.selectbox(
        "Course for the assignment scores", member_ids, format_func=options.course_label,
        key="p_assignment_course",
    )

    scores = common.cached(trends.get_assignment_distribution, course_id,
                           include_inactive=include_inactive, min_group_size=smallest)
st.plotly_chart(
    charts.assignment_distribution_chart(common.shown(scores), options.course_label(course_id)),
    key="assignment_spread",
)
st.caption("Each point is one student's graded score on an assignment, as a percent of its "
           "points; excused work is left out. " + privacy.small_group_note(
               smallest, "the scores of an assignment (or of a course) are"))
st.page_link(common.ASSIGNMENT_PAGE, label="Who has handed in each assignment",
             icon=":material/assignment_turned_in:", query_params={"course_id": str(course_id)})

submitted = common.cached(trends.get_submission_trend, course_ids, curriculum_id,
                          include_inactive=include_inactive)
st.plotly_chart(charts.submission_trend_chart(submitted, scope_name, time_zone=zone),
                key="submitted_trend")
st.caption("Of the work due by each sync (not excused), the share that had been submitted.")

st.subheader("Course report")
report_course = course_id  # the course whose assignment scores are shown above
st.caption(common.md(
    f"A printable report for every student of {options.course_label(report_course)}, one "
    "page each: their score over time against the class median, and their assignments. "
    "A PDF, or a page to print from your browser."))
if st.button("Make the course report", icon=":material/print:", key="course_report_prepare"):
    st.session_state["_course_report"] = report_course
if st.session_state.get("_course_report") == report_course:
    reports = [common.shown_report(r) for r in common.cached(
        progress_report.get_course_report, report_course, min_group_size=smallest)]
    students = f"{len(reports):,} student{'' if len(reports) == 1 else 's'}"
    report_title = f"Progress reports: {options.course_label(report_course)}"
    zone = common.time_zone()
    html_column, pdf_column = st.columns(2)
    html_column.download_button(
        f"Download the report of {students} (HTML, to print)", icon=":material/download:",
        key="course_report_html",
        data=printable.render_reports(
            reports, title=report_title, zone=zone, generated_at=datetime.now(UTC),
            min_group_size=smallest),
        file_name=f"progress-reports-course-{report_course}.html", mime="text/html",
        on_click="ignore")
    pdf_column.download_button(  # the PDF is made when asked for, not on every run
        f"Download the report of {students} (PDF)", icon=":material/picture_as_pdf:",
        key="course_report_pdf",
        data=lambda: printable_pdf.render_reports_pdf(
            reports, title=report_title, zone=zone, generated_at=datetime.now(UTC),
            min_group_size=smallest),
        file_name=f"progress-reports-course-{report_course}.pdf", mime="application/pdf",
        on_click="ignore")
