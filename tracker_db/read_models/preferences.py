"""How pages show things: the time zone every time is shown in, the smallest group shown,
and the key of the pseudonyms.

Canvas keeps every time in UTC; a teacher reads them in their own zone. The zone is the one
chosen on the Sync page, else the zone most tracked courses keep (Canvas's ``time_zone``),
else the browser's, else UTC; pages name it next to every time they show.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from tracker_db.db import Cursor, sql_file, using
from tracker_db.errors import DataValidationError
from tracker_db.privacy import DEFAULT_MIN_GROUP_SIZE, validate_min_group_size

_SQL = sql_file("read_models/preferences")

#: The setting (in ``ops.settings``) that holds a chosen zone.
TIME_ZONE_SETTING = "display.time_zone"

#: Where a zone came from, in words for the page.
SOURCES = {
    "setting": "chosen on the Sync page",
    "courses": "the time zone of your Canvas courses",
    "browser": "your browser's time zone",
    "default": "no other zone known",
}


@dataclass(frozen=True)
class TimeZoneChoice:
    """The zone times are shown in, and why that one.

    Attributes:
        name: An IANA name (``Europe/Amsterdam``) or ``UTC``.
        source: A key of ``SOURCES``.
        suggested: The zone shown when nothing is chosen (courses, browser or UTC).
    """

    name: str
    source: str
    suggested: str

    @property
    def zone(self) -> tzinfo:
        """The zone, for converting times."""
        return zone_info(self.name)

    def local(self, moment: datetime | None) -> datetime | None:
        """``moment`` (UTC when naive) as a time in this zone."""
        if moment is None:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(self.zone)

    def format(self, moment: datetime | None, pattern: str = "%Y-%m-%d %H:%M") -> str:
        """``moment`` in this zone as text, the zone named (``2026-09-01 08:30 Europe/Paris``)."""
        local = self.local(moment)
        return "unknown" if local is None else f"{local.strftime(pattern)} {self.name}"


@lru_cache(maxsize=1)
def known_time_zones() -> tuple[str, ...]:
    """Every zone name this machine knows (IANA), sorted, ``UTC`` first."""
    return ("UTC", *sorted(z for z in available_timezones() if z != "UTC"))


@lru_cache(maxsize=64)
def zone_info(name: str) -> tzinfo:
    """The zone called ``name``; UTC for a name this machine does not know."""
    if name == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def is_known_time_zone(name: object) -> bool:
    """Whether ``name`` is a zone this machine knows."""
    return isinstance(name, str) and name in set(known_time_zones())


def get_time_zone(browser_zone: str | None = None, *,
                  cur: Cursor | None = None) -> TimeZoneChoice:
    """Return the zone to show times in.

    Args:
        browser_zone: The zone the teacher's browser reports, if any.
        cur: Read on this cursor (default: the app's database).
    """
    with using(cur) as c:
        stored = c.execute(_SQL["stored_time_zone"]).fetchone()
        course_zones = [z for z, _ in c.execute(_SQL["course_time_zones"]).fetchall()]
    suggested, source = "UTC", "default"
    known_course_zones = [z for z in course_zones if is_known_time_zone(z)]
    if known_course_zones:
        suggested, source = known_course_zones[0], "courses"
    elif is_known_time_zone(browser_zone):
        suggested, source = str(browser_zone), "browser"
    if stored and is_known_time_zone(stored[0]):
        return TimeZoneChoice(str(stored[0]), "setting", suggested)
    return TimeZoneChoice(suggested, source, suggested)


def get_min_group_size(*, cur: Cursor | None = None) -> int:
    """Return the smallest group whose medians and spreads pages show (the Sync page's
    setting, else ``privacy.DEFAULT_MIN_GROUP_SIZE``)."""
    with using(cur) as c:
        stored = c.execute(_SQL["stored_min_group_size"]).fetchone()
    if stored is None or stored[0] is None:
        return DEFAULT_MIN_GROUP_SIZE
    try:
        return validate_min_group_size(int(stored[0]))
    except (ValueError, DataValidationError):
        # A value no version of the app writes: keep the safe default rather than fail.
        return DEFAULT_MIN_GROUP_SIZE


def get_pseudonym_key(*, cur: Cursor | None = None) -> str | None:
    """Return the secret pseudonyms are keyed with, or None before the first use
    (``edits.ensure_pseudonym_key`` makes it)."""
    with using(cur) as c:
        stored = c.execute(_SQL["stored_pseudonym_key"]).fetchone()
    return str(stored[0]) if stored and stored[0] else None
