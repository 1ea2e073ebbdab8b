"""The "Message these students" panel that lists share (a helper, not a page): who a
message would reach, a CSV of them, and mail links for the teacher's own mail program."""

from __future__ import annotations

from collections.abc import Iterable

import streamlit as st

from pages import common
from tracker_db.read_models.recipients import RECIPIENT_COLUMNS, get_recipients


def message_students(student_ids: Iterable[int], *, key: str, what: str) -> None:
    """An expander with the students of a list as a ready list for the teacher's own mail.

    Args:
        student_ids: The students of the list (repeats are taken once).
        key: Names the list in the widget keys (``message_<key>_...``; one per list on a
            page).
        what: The list in words, after "Message" ("the 12 students listed").
    """
    ids = tuple(sorted(set(student_ids)))
    key = f"message_{key}"
    with st.expander(f"Message {what}", icon=":material/mail:"):
        if common.pseudonyms() is not None:
            st.info("Switch pseudonyms off to write to students: a message needs their names "
                    "and addresses.", icon=":material/visibility_off:")
            return
        if not ids:
            st.text("Nobody is in this list.")
            return
        recipients = common.cached(get_recipients, ids)
        rows, addresses = recipients.rows, recipients.addresses
        st.caption(
            f"{rows.height:,} student{'' if rows.height == 1 else 's'}, {len(addresses):,} "
            "with an email address (a Canvas login id that is one). The tracker sends "
            "nothing: the links open your own mail program with the addresses as BCC, so "
            "students do not see each other's.")
        missing = recipients.without_address
        if missing:
            shown = ", ".join(missing[:20]) + (f" and {len(missing) - 20:,} more"
                                               if len(missing) > 20 else "")
            st.caption(common.md(f"No email address for {shown}."))
        links = recipients.mailto_links
        if links:
            row = st.container(horizontal=True)
            for n, link in enumerate(links, start=1):
                label = ("Write to them" if len(links) == 1
                         else f"Write to part {n} of {len(links)}")
                row.link_button(label, link, icon=":material/forward_to_inbox:",
                                key=f"{key}_mailto_{n}")
            if len(links) > 1:
                st.caption("Mail programs cut long links, so the list is split into parts.")
            st.caption("Or copy the addresses into your mail's BCC:")
            st.code(", ".join(addresses), language=None, wrap_lines=True)
        common.table(rows, column_order=list(RECIPIENT_COLUMNS),
                     column_config=common.column_config(rows, RECIPIENT_COLUMNS))
        common.downloads(rows, RECIPIENT_COLUMNS, f"{key}-recipients", key=f"{key}_recipients")
