"""The flags panel the Overview and the Student page share (a helper, not a page): the open
flags with their reasons, dismissing some with a note, the dismissed ones to flag again,
and the rules to change."""

from __future__ import annotations

import streamlit as st

from pages import common, messaging
from tracker_db import edits
from tracker_db.flag_rules import RULES, RuleSetting
from tracker_db.read_models.flags import DISMISSED_COLUMNS, FLAG_COLUMNS, FlagBoard


def _columns(columns: dict, shows_student: bool) -> tuple[list[str], dict]:
    order = [name for name in columns if shows_student or name != "student_name"]
    config = {name: st.column_config.TextColumn(c.label, width=c.width)
              for name, c in columns.items()}
    return order, config


def _picked(frame, rows: list[int]) -> list[dict]:
    return [frame.row(i, named=True) for i in rows if i < frame.height]


def _reset(table: str) -> None:
    # A new widget key: the rows just decided on are no longer selected.
    counter = f"_generation_{table}"
    st.session_state[counter] = st.session_state.get(counter, 0) + 1


def show_flags(board: FlagBoard, *, key: str, past: bool, shows_student: bool = True) -> None:
    """Show a board of flags with the teacher's say over them.

    Args:
        board: The flags to show (``read_models.flags.get_flag_board``).
        key: Prefix of the widget keys (one per page).
        past: The board is of a past sync: decisions are made on the present only.
        shows_student: Name the student in each row (off on one student's page).
    """
    if not board.rules_on:
        st.info("Every flag rule is switched off, so nobody is flagged. Switch rules on under "
                "**Flag rules** on the Overview.", icon=":material/flag:")
        return
    if past:
        st.caption("Flags as that sync's facts raise them; dismissing and flagging again act "
                   "on the present only.")
    flags = board.open
    if flags.is_empty():
        st.text("Nobody is flagged right now." if shows_student else "No open flags.")
    else:
        total = max(board.open_total, flags.height)
        if total > flags.height:
            st.caption(f"The first {flags.height:,} of {total:,} open flags, by student. "
                       "Select rows to dismiss them or to open a student; Students, with "
                       "Flagged only and a course, lists the rest by course.")
        else:
            st.caption(f"{total:,} open flag{'' if total == 1 else 's'}. Select rows to "
                       "dismiss them or to open a student.")
        table = f"{key}_open"
        order, config = _columns(FLAG_COLUMNS, shows_student)
        event = common.table(flags, key=common.selection_key(table), on_select="rerun",
                             selection_mode="multi-row", column_order=order,
                             column_config=config)
        common.downloads(flags, FLAG_COLUMNS, f"{key}-flags", key=f"{key}_open")
        picked = _picked(flags, event.selection.rows)
        if picked and not past:
            note = st.text_input(
                "Note for the dismissal (optional)", key=f"{key}_note",
                placeholder="e.g. talked to them on Monday; extension agreed")
            buttons = st.container(horizontal=True)
            count = len(picked)
            if buttons.button(f"Dismiss {count} flag{'' if count == 1 else 's'}",
                              key=f"{key}_dismiss", icon=":material/flag:",
                              help="Hidden until its facts change (more missing work, "
                                   "another score...); then it shows again."):
                done = common.guarded(lambda: edits.dismiss_flags(picked, note or None))
                if done is not None:
                    common.bump_data_version()
                    common.flash(f"Dismissed {done} flag{'' if done == 1 else 's'}.")
                    _reset(table)
                    st.session_state.pop(f"{key}_note", None)
                    st.rerun()
            students = {row["student_id"] for row in picked}
            if shows_student and len(students) == 1 and buttons.button(
                    "Open " + common.md(common.person(picked[0]["student_id"],
                                                      picked[0]["student_name"])),
                    key=f"{key}_open_student",
                    icon=":material/person:"):
                common.open_student(picked[0]["student_id"], table)
        if shows_student:
            chosen = {row["student_id"] for row in picked} or set(flags["student_id"])
            messaging.message_students(
                chosen, key=key,
                what=(f"the {len(chosen):,} student{'' if len(chosen) == 1 else 's'} selected"
                      if picked else "the flagged students"))
    dismissed = board.dismissed
    if dismissed.height:
        with st.expander(f"Dismissed flags ({dismissed.height:,})"):
            st.caption("Each stays dismissed while its facts stay the same. Select rows to "
                       "flag them again.")
            table = f"{key}_dismissed"
            order, config = _columns(DISMISSED_COLUMNS, shows_student)
            event = common.table(dismissed, key=common.selection_key(table),
                                 on_select="rerun", selection_mode="multi-row",
                                 column_order=order, column_config=config)
            common.downloads(dismissed, DISMISSED_COLUMNS, f"{key}-dismissed-flags",
                             key=f"{key}_dismissed")
            again = _picked(dismissed, event.selection.rows)
            if again and not past and st.button(
                    f"Flag {len(again)} again", key=f"{key}_flag_again",
                    icon=":material/undo:"):
                done = common.guarded(lambda: edits.flag_again(again))
                if done is not None:
                    common.bump_data_version()
                    common.flash(f"Flagged {done} again.")
                    _reset(table)
                    st.rerun()


def rule_settings_form(rules: list[RuleSetting]) -> None:
    """The form that sets when each rule fires (saved all at once, or none on a bad value)."""
    with st.form("flag_rules_form", border=False):
        chosen = []
        for setting in rules:
            spec = RULES[setting.rule]
            row = st.columns([2, 1, 1, 4], vertical_alignment="center")
            on = row[0].toggle(spec.label, value=setting.enabled, key=f"rule_{setting.rule}_on")
            threshold = row[1].number_input(
                f"Threshold ({spec.unit})", value=float(setting.threshold),
                step=1.0, format="%g", key=f"rule_{setting.rule}_threshold")
            days = None
            if spec.days is not None:
                days = row[2].number_input("Days", value=setting.days, step=1,
                                           key=f"rule_{setting.rule}_days")
            row[3].caption(common.md(f"Fires on {setting.describe()}."))
            chosen.append(RuleSetting(setting.rule, on, threshold, days))
        saved = st.form_submit_button("Save rules", icon=":material/save:")
        if saved and common.guarded(lambda: edits.set_flag_rules(chosen)) is not None:
            common.bump_data_version()
            common.flash("Flag rules saved.")
            st.rerun()
