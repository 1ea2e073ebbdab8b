"""Student: one student's scores over time against the class, their work, notes, tags and
group. The student comes from the URL (``?student_id=5001``, or while pseudonyms are on
``?pseudonym=`` and their pseudonym number), so a link opens them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import streamlit as st

from pages import common, flagging
from tracker_db import charts, edits, printable, printable_pdf, privacy
from tracker_db.errors import TrackerError
from tracker_db.exports import Column
from tracker_db.read_models import flags, progress_report, roster, student_record

state = common.start(shows_past=True)
if not state.has_data:
    st.title("Student")
    common.require_data(state, "student")
    st.stop()


def _picker() -> None:
    """Search for a student and open them (sets the URL, so the page can be bookmarked)."""
    text = st.text_input("Find a student", placeholder="Part of a name, login or SIS id",
                         key="student_search")
    found = common.cached(roster.search_students, text, 50)
    if found.is_empty():
        st.info("No student matches." if text else "No students yet.")
        return
    # The choices are the real ids; the labels what this run may show (pseudonyms).
    labels = [f"{name} ({number})" for number, name in common.shown(found).select(
        "student_id", "name").iter_rows()]
    names = dict(zip(found["student_id"].to_list(), labels, strict=True))
    chosen = st.selectbox("Student", list(names), format_func=names.__getitem__,
                          key="student_pick")
    if st.button("Open", key="student_open", type="primary"):
        st.query_params.from_dict(common.student_link(chosen))
        st.rerun()


_FORMATS = {"current_score": "%.1f%%", "change_since_last_sync": "%+.1f",
            "score_percent": "%.0f%%", "missing": None, "late": None, "score": None,
            "points_possible": None}


def _column(name: str, column: Column) -> Any:
    if name in ("due_at", "submitted_at"):
        return common.time_column(column.label, width=column.width, help=column.help)
    if name in _FORMATS:
        return st.column_config.NumberColumn(column.label, format=_FORMATS[name],
                                             width=column.width, help=column.help)
    return st.column_config.TextColumn(column.label, width=column.width, help=column.help)


student_id = common.linked_student()
profile = common.cached(student_record.get_student_profile, student_id) if student_id else None
if profile is None:
    st.title("Student")
    if student_id is not None:
        st.warning(f"The tracker has no student with id {student_id}.")
    else:
        st.caption("Pick a student here, or select one on the Students page.")
    _picker()
    st.stop()

masks = common.pseudonyms()
name = common.person(student_id, profile["name"])
st.title(common.md(name))
if masks is not None:
    details = [f"Pseudonym number {masks.number(student_id)}"]
else:
    details = [f"Canvas id {student_id}"]
    if profile["login_id"]:
        details.append(f"login {profile['login_id']}")
    if profile["sis_user_id"]:
        details.append(f"SIS id {profile['sis_user_id']}")
st.caption(common.md(" · ".join(details)))
if not profile["active"] or profile["archived"]:
    reason = profile["removal_reason"] or "no longer active in Canvas"
    st.warning(common.md(
        f"Inactive: {reason}{' (archived)' if profile['archived'] else ''}. Their data is "
        "kept; default views leave them out."
    ))
common.show_flash()

courses = common.cached(student_record.get_student_courses, student_id)
st.subheader("Courses now")
if courses.is_empty():
    st.text("No current enrollments.")
else:
    common.table(
        courses,
        column_order=list(student_record.COURSE_COLUMNS),
        column_config={n: _column(n, c) for n, c in student_record.COURSE_COLUMNS.items()},
    )
    common.downloads(courses, student_record.COURSE_COLUMNS, f"student-{student_id}-courses",
                     key="student_courses")

st.subheader("Flags")
board = common.cached(flags.get_flag_board, student_ids=(student_id,))
flagging.show_flags(board, key="student_flags", past=common.showing_past(),
                    shows_student=False)
decisions = common.cached(flags.get_flag_decisions, student_id)
if decisions.height:
    with st.expander(f"Flag history ({decisions.height})"):
        st.caption("Every dismissal and every flag raised again by hand, newest first.")
        common.table(decisions, column_order=list(flags.DECISION_COLUMNS), column_config={
            n: (common.time_column(c.label, width=c.width) if n == "decided_at"
                else st.column_config.TextColumn(c.label, width=c.width))
            for n, c in flags.DECISION_COLUMNS.items()})

smallest = common.min_group_size()
history = common.cached(student_record.get_student_score_history, student_id,
                        min_group_size=smallest)
st.plotly_chart(charts.student_score_chart(history, name, time_zone=common.time_zone().name),
                key="student_chart")
if privacy.any_small(history, "class_size", smallest):
    st.caption(privacy.small_group_note(smallest, "class medians are"))

st.subheader("Assignments")
assignments = common.cached(student_record.get_student_assignments, student_id)
if assignments.is_empty():
    st.text("No assignments.")
else:
    st.caption("Select an assignment to see the whole class's work on it.")
    picked = common.table(
        assignments,
        key=common.selection_key("student_assignments"),
        on_select="rerun",
        selection_mode="single-row",
        column_order=list(student_record.ASSIGNMENT_COLUMNS),
        column_config={n: _column(n, c)
                       for n, c in student_record.ASSIGNMENT_COLUMNS.items()},
    )
    common.downloads(assignments, student_record.ASSIGNMENT_COLUMNS,
                     f"student-{student_id}-assignments", key="student_assignments")
    if picked.selection.rows:
        common.open_assignment(assignments["assignment_id"][picked.selection.rows[0]],
                               "student_assignments")

left, right = st.columns(2)
with left:
    st.subheader("Notes")
    notes = common.cached(student_record.get_student_notes, student_id)
    if masks is not None:
        st.info("Notes are hidden while pseudonyms are on: your own words may name the "
                "student.", icon=":material/visibility_off:")
        notes = notes.clear()
    with st.form("add_note", clear_on_submit=True):
        body = st.text_area("New note", max_chars=edits.MAX_NOTE_LENGTH)
        added = st.form_submit_button("Add note", icon=":material/note_add:") and (
            common.guarded(lambda: edits.add_student_note(student_id, body))
        )
    if added:
        common.bump_data_version()
        common.flash("Note added.")
        st.rerun()
    if notes.is_empty() and masks is None:
        st.text("No notes yet.")
    # Deleting takes two clicks: Delete asks, "Yes, delete" deletes (notes cannot come back).
    confirming = st.session_state.get("_confirm_note")
    for note in notes.iter_rows(named=True):
        note_id = note["note_id"]
        with st.container(border=True):
            st.caption(common.show_time(note["created_at"]))
            st.text(note["body"])
            if confirming != note_id:
                if st.button("Delete", key=f"delete_note_{note_id}", type="tertiary",
                             icon=":material/delete:"):
                    st.session_state["_confirm_note"] = note_id
                    st.rerun()
                continue
            st.warning("Delete this note for good? It cannot be brought back.",
                       icon=":material/delete_forever:")
            yes, no = st.columns(2)
            if yes.button("Yes, delete", key=f"confirm_delete_{note_id}", type="primary"):
                st.session_state.pop("_confirm_note", None)
                try:
                    edits.delete_student_note(note_id)
                except TrackerError as e:
                    common.show_error(e)
                else:
                    common.bump_data_version()
                    common.flash("Note deleted.")
                    st.rerun()
            if no.button("Keep it", key=f"cancel_delete_{note_id}"):
                st.session_state.pop("_confirm_note", None)
                st.rerun()

with right:
    st.subheader("Tags and group")
    options = common.cached(roster.get_filter_options)
    current_tags = list(profile["tags"] or [])
    with st.form("tags_group"):
        tags = st.multiselect(
            "Tags", sorted(set(options.tags) | set(current_tags), key=str.lower),
            default=current_tags, accept_new_options=True,
            help="Type a new tag and press Enter to add it.",
        )
        group = st.text_input("Group", value=profile["custom_group"] or "")
        if st.form_submit_button("Save tags and group", icon=":material/save:"):
            saved = common.guarded(lambda: edits.save_student_metadata(
                [{"student_id": student_id, "name": name, "tags": tags, "custom_group": group}]
            ))
            if saved is not None:
                common.bump_data_version()
                common.flash("Tags and group saved.")
                st.rerun()

st.subheader("Progress report")
st.caption("A PDF to keep or send home, or a page to print from your browser: course scores "
           "over time against the class median, every assignment with its status, and the notes "
           f"you choose. Class medians of fewer than {smallest} students are left out.")
note_labels = {n["note_id"]: f"{common.show_time(n['created_at'])}: {n['body'][:60]}"
               for n in notes.iter_rows(named=True)}
chosen_notes = st.multiselect(
    "Notes to include", list(note_labels), format_func=note_labels.__getitem__,
    key="report_notes", placeholder="No notes" if note_labels else "No notes yet")
report = common.cached(progress_report.get_student_report, student_id,
                       note_ids=tuple(chosen_notes), min_group_size=smallest)
if report is not None:
    report = common.shown_report(report)
    report_title, zone = f"Progress report: {report.name}", common.time_zone()
    html_column, pdf_column = st.columns(2)
    html_column.download_button(
        "Download the report (HTML, to print)", icon=":material/print:", key="report_html",
        data=printable.render_reports(
            [report], title=report_title, zone=zone,
            generated_at=datetime.now(UTC), min_group_size=smallest),
        file_name=f"progress-report-{report.student_id}.html", mime="text/html",
        on_click="ignore")
    pdf_column.download_button(  # the PDF is made when asked for, not on every run
        "Download the report (PDF)", icon=":material/picture_as_pdf:", key="report_pdf",
        data=lambda: printable_pdf.render_reports_pdf(
            [report], title=report_title, zone=zone, generated_at=datetime.now(UTC),
            min_group_size=smallest),
        file_name=f"progress-report-{report.student_id}.pdf", mime="application/pdf",
        on_click="ignore")
