"""Message students: a ready list for the teacher's own mail, from any list of students.

The app sends nothing. It gives the names, the addresses it can vouch for (a Canvas login id
that is an email address; Canvas has no other address a teacher's token may read), a CSV and
``mailto:`` links with the addresses as BCC, so students do not see each other's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import quote

import polars as pl

from tracker_db.db import Cursor, read_frame, sql_file, using
from tracker_db.exports import Column
from tracker_db.read_models.display import shorten_columns
from tracker_db.validation import validate_id

_SQL = sql_file("read_models/recipients")

#: An address that is safe to put in a mail link as it is: a plain ``local@domain.tld``.
#: Login ids are Canvas text (untrusted): anything else (spaces, commas, ``?``, ``&``, quotes,
#: a second ``@``) would split or extend the link, so it is not taken for an address.
_ADDRESS = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
#: Mail programs and browsers cut ``mailto:`` links around 2,000 characters: longer lists
#: are split into several links.
MAILTO_MAX_LENGTH = 1900

#: The list as pages show it (and so its CSV).
RECIPIENT_COLUMNS: dict[str, Column] = {
    "student_name": Column("Student", width=200),
    "email": Column("Email", width=240,
                    help="The Canvas login id, where it is an email address"),
    "student_id": Column("Canvas id", width=90),
}


@dataclass(frozen=True)
class Recipients:
    """Who a message would go to.

    Attributes:
        rows: Columns student_id, student_name, email (None where the login id is not an
            address), by sortable name.
        addresses: The distinct addresses, in the rows' order.
        mailto_links: ``mailto:`` links with the addresses as BCC, each short enough for a
            mail program (one for a short list, several for a long one).
    """

    rows: pl.DataFrame
    addresses: list[str]
    mailto_links: list[str]

    @property
    def without_address(self) -> list[str]:
        """The names of the students with no address to write to."""
        return self.rows.filter(pl.col("email").is_null())["student_name"].to_list()


def email_address(login_id: str | None) -> str | None:
    """The login id when it is a plain email address, else None."""
    value = (login_id or "").strip()
    return value if _ADDRESS.fullmatch(value) else None


def mailto_links(addresses: Iterable[str], max_length: int = MAILTO_MAX_LENGTH) -> list[str]:
    """``mailto:`` links with ``addresses`` as BCC (RFC 6068), split so none is longer than
    ``max_length`` characters. Addresses that are not plain email addresses are left out."""
    links: list[str] = []
    current: list[str] = []
    for address in addresses:
        if email_address(address) is None:
            continue
        encoded = quote(address, safe="@")
        candidate = _mailto([*current, encoded])
        if current and len(candidate) > max_length:
            links.append(_mailto(current))
            current = [encoded]
        else:
            current.append(encoded)
    if current:
        links.append(_mailto(current))
    return links


def _mailto(encoded: list[str]) -> str:
    return "mailto:?bcc=" + ",".join(encoded)


def get_recipients(student_ids: Iterable[object], *, cur: Cursor | None = None) -> Recipients:
    """Return the students of ``student_ids`` as a list to write to.

    Args:
        student_ids: Canvas ids of the students (repeats are taken once).
        cur: Cursor to use.

    Raises:
        DataValidationError: An id is not a Canvas id.
    """
    ids = sorted({validate_id(v, "student id") for v in student_ids})
    with using(cur) as c:
        frame = read_frame(c, _SQL["recipients"], {"student_ids": ids})
    rows = frame.with_columns(
        pl.col("login_id").map_elements(email_address, return_dtype=pl.String).alias("email")
    ).select("student_id", "student_name", "email")
    rows = shorten_columns(rows, ("student_name",))
    addresses = list(dict.fromkeys(a for a in rows["email"].to_list() if a is not None))
    return Recipients(rows=rows, addresses=addresses, mailto_links=mailto_links(addresses))
