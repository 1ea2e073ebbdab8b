"""Message students: addresses from login ids, mail links with BCC, and the lists' panel."""

from __future__ import annotations

from urllib.parse import unquote

import polars as pl
import pytest

from tracker_db.errors import DataValidationError
from tracker_db.read_models.recipients import (
    MAILTO_MAX_LENGTH,
    email_address,
    get_recipients,
    mailto_links,
)


def _bcc(link: str) -> list[str]:
    assert link.startswith("mailto:?bcc=")
    return [unquote(a) for a in link.removeprefix("mailto:?bcc=").split(",")]


@pytest.mark.parametrize("login_id", ["s5004@school.test", "ann.o'neil+maths@mail.school.org"])
def test_a_login_id_that_is_an_address_is_one(login_id):
    assert email_address(f"  {login_id} ") == login_id


@pytest.mark.parametrize("login_id", [
    None, "", "student5004", "SIS-5004", "a@b", "two@@school.test", "a b@school.test",
    "a@school.test,b@evil.test", "a@school.test?cc=boss@evil.test", "a@school.test&body=x",
    'a"@school.test', "a@school.test\nBcc: b@evil.test", "<a@school.test>",
    "javascript:alert(1)@x.test",
])
def test_anything_else_is_not_taken_for_an_address(login_id):
    assert email_address(login_id) is None


def test_a_mail_link_puts_every_address_in_bcc_and_encodes_them():
    link, = mailto_links(["a@school.test", "b+x@school.test", "not an address"])
    assert link == "mailto:?bcc=a@school.test,b%2Bx@school.test"
    assert _bcc(link) == ["a@school.test", "b+x@school.test"]


def test_a_long_list_is_split_into_links_a_mail_program_takes_whole():
    addresses = [f"student{n:04d}@a-long-school-name.example.org" for n in range(150)]
    links = mailto_links(addresses)
    assert len(links) > 1
    assert all(len(link) <= MAILTO_MAX_LENGTH for link in links)
    assert [a for link in links for a in _bcc(link)] == addresses  # each once, in order
    assert mailto_links([]) == []


def test_recipients_of_the_demo_have_names_and_addresses(demo_copy):
    with demo_copy.session() as cur:
        students = cur.execute(
            "SELECT student_id, name, login_id FROM summary.students ORDER BY sort_key LIMIT 6"
        ).pl()
    ids = students["student_id"].to_list()
    recipients = get_recipients([*ids, ids[0]])  # a repeat is taken once
    assert recipients.rows["student_id"].to_list() == ids
    assert recipients.rows["student_name"].to_list() == students["name"].to_list()
    assert recipients.addresses == [a for a in students["login_id"].to_list()
                                    if email_address(a)]
    assert recipients.addresses and recipients.without_address == []
    assert [a for link in recipients.mailto_links for a in _bcc(link)] == recipients.addresses


def test_a_student_without_an_address_is_named(demo_copy):
    with demo_copy.session() as cur:
        student_id = cur.execute("SELECT min(student_id) FROM summary.students").fetchone()[0]
        cur.execute("UPDATE summary.students SET login_id = 'jdoe' WHERE student_id = ?",
                    [student_id])
        name = cur.execute("SELECT name FROM summary.students WHERE student_id = ?",
                           [student_id]).fetchone()[0]
    recipients = get_recipients([student_id])
    assert recipients.addresses == [] and recipients.mailto_links == []
    assert recipients.without_address == [name]
    assert recipients.rows.filter(pl.col("email").is_null()).height == 1


def test_a_bad_id_is_refused_naming_it(demo_copy):
    with pytest.raises(DataValidationError, match="student id"):
        get_recipients([5004, "five"])
