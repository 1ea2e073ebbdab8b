"""Canvas-shaped data for the fake Canvas server: the data model, its mutations and accessors.

A ``CanvasDataset`` holds plain dicts and lists shaped like Canvas JSON, so the server only
filters, paginates and serialises. Submissions are the one bulky resource: each course keeps
them in a ``SubmissionTable``, a grid of (user, assignment) cells that either holds explicit
row dicts (the demo set, mutated cells) or builds rows on demand from compact arrays (the
synthetic set, a million cells in a few megabytes).

Every mutation helper takes the dataset lock, so a running server never sees a half-made change,
and recomputes the affected enrollment grades so they stay coherent with the submissions.
"""

from __future__ import annotations

import base64
import bisect
import json
import random
import threading
import time
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

Json = dict[str, Any]

DEFAULT_TERM: Json = {"id": 1, "name": "Default Term", "start_at": None, "end_at": None}
# Placeholder host for html_url fields; the server swaps in its own base URL.
HTML_BASE = "https://canvas.fake.invalid"
# States the tracker asks for; without state[] Canvas gives teachers active+invited+inactive.
SYNC_ENROLLMENT_STATES = ("active", "invited", "inactive", "completed")
DEFAULT_ENROLLMENT_STATES = ("active", "invited", "inactive")
STUDENT_TYPES = ("StudentEnrollment", "StudentViewEnrollment")
# Canvas's default grading scheme (lower bounds, percent).
DEFAULT_SCHEME: tuple[tuple[str, float], ...] = (
    ("A", 94.0),
    ("A-", 90.0),
    ("B+", 87.0),
    ("B", 84.0),
    ("B-", 80.0),
    ("C+", 77.0),
    ("C", 74.0),
    ("C-", 70.0),
    ("D+", 67.0),
    ("D", 64.0),
    ("D-", 61.0),
    ("F", 0.0),
)
_ENROLLMENT_KIND = {
    "TeacherEnrollment": "teacher",
    "TaEnrollment": "ta",
    "StudentEnrollment": "student",
    "StudentViewEnrollment": "student",
    "DesignerEnrollment": "designer",
    "ObserverEnrollment": "observer",
}


# --------------------------------------------------------------------------------------------
# small helpers


def iso_z(moment: datetime) -> str:
    """Format a datetime as Canvas's usual UTC form, e.g. ``2026-01-30T14:13:31Z``.

    Args:
        moment: An aware datetime.

    Returns:
        The ISO-8601 text with a ``Z`` suffix, second precision.
    """
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_offset(moment: datetime, hours: int) -> str:
    """Format a datetime with a numeric UTC offset, e.g. ``2026-01-30T15:13:31+01:00``.

    Args:
        moment: An aware datetime.
        hours: The offset to render, in whole hours.

    Returns:
        The ISO-8601 text with an explicit offset.
    """
    return moment.astimezone(_fixed_zone(hours)).isoformat(timespec="seconds")


def _fixed_zone(hours: int) -> timezone:
    return timezone(timedelta(hours=hours))


_DAY_PREFIX: dict[int, str] = {}
_TIME_OF_DAY: list[str] = []


def epoch_z(epoch: float) -> str:
    """Format POSIX seconds as ``YYYY-MM-DDTHH:MM:SSZ`` (fast path for generated rows)."""
    if not _TIME_OF_DAY:
        # 86,400 short strings (a few MB) turn formatting into two lookups; generated pages
        # format two timestamps per row.
        _TIME_OF_DAY.extend(
            f"{h:02d}:{m:02d}:{s:02d}Z" for h in range(24) for m in range(60) for s in range(60)
        )
    day, second = divmod(int(epoch), 86_400)
    prefix = _DAY_PREFIX.get(day)
    if prefix is None:
        prefix = _DAY_PREFIX[day] = time.strftime("%Y-%m-%dT", time.gmtime(day * 86_400))
    return prefix + _TIME_OF_DAY[second]


def parse_ts(text: str) -> datetime:
    """Parse a Canvas timestamp (``Z`` or numeric offset) into an aware UTC datetime.

    Args:
        text: ISO-8601 text.

    Returns:
        The moment in UTC; naive input is taken as UTC.

    Raises:
        ValueError: The text is not ISO-8601.
    """
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def ts_after(value: str | None, since_z: str, since: datetime) -> bool:
    """Whether a row timestamp is strictly later than ``since``.

    Args:
        value: The row's timestamp text or None.
        since_z: ``since`` rendered by :func:`iso_z` (lets plain ``Z`` rows compare as text).
        since: The bound as an aware datetime.

    Returns:
        True when ``value`` is set and later than the bound.
    """
    if value is None:
        return False
    # Same-format UTC strings order like the instants they name; only offsets need parsing.
    if len(value) == 20 and value.endswith("Z"):
        return value > since_z
    return parse_ts(value) > since


def fmt_number(value: float) -> str:
    """Render a score as Canvas does in ``grade`` text: ``10``, ``8.5``, ``7.25``."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def letter_for(percent: float | None, scheme: Sequence[tuple[str, float]]) -> str | None:
    """Map a percentage to a letter under a grading scheme (highest matching lower bound)."""
    if percent is None:
        return None
    for letter, lower in scheme:
        if percent >= lower:
            return letter
    return scheme[-1][0]


def grade_text(
    grading_type: str,
    points_possible: float | None,
    score: float | None,
    scheme: Sequence[tuple[str, float]] | None = None,
) -> str | None:
    """Build the ``grade`` string Canvas shows for a score under an assignment's grading type.

    Args:
        grading_type: points, percent, letter_grade, gpa_scale, pass_fail or not_graded.
        points_possible: The assignment's points (may be 0 or None).
        score: The raw score, or None when ungraded.
        scheme: Grading scheme for letter types (Canvas's default when None).

    Returns:
        ``"28"``, ``"85%"``, ``"B+"``, ``"complete"``, or None.
    """
    if score is None or grading_type == "not_graded":
        return None
    if grading_type == "points":
        return fmt_number(score)
    # A zero-point assignment has no percentage; any points on it count as full marks.
    percent = 100.0 * score / points_possible if points_possible else 100.0 * (score > 0)
    if grading_type == "percent":
        return fmt_number(round(percent, 2)) + "%"
    if grading_type == "pass_fail":
        return "complete" if score > 0 or not points_possible else "incomplete"
    return letter_for(percent, scheme or DEFAULT_SCHEME)


def encode_bookmark(key: Sequence[Any]) -> str:
    """Make an opaque Canvas-style bookmark (``bookmark:`` + base64 JSON) from a sort key."""
    raw = json.dumps(list(key), separators=(",", ":")).encode()
    return "bookmark:" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_bookmark(text: str) -> list[Any] | None:
    """Decode a bookmark made by :func:`encode_bookmark`; None when it is not one."""
    if not text.startswith("bookmark:"):
        return None
    body = text[len("bookmark:") :]
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        key = json.loads(raw)
    except (ValueError, TypeError):
        return None
    if not isinstance(key, list) or not all(isinstance(k, int) for k in key):
        return None
    return key


def split_name(name: str) -> tuple[str, str]:
    """Guess (short_name, sortable_name) from a display name as Canvas does ("Last, First")."""
    parts = name.split()
    if len(parts) < 2:
        return name, name
    return parts[0], f"{parts[-1]}, {' '.join(parts[:-1])}"


# --------------------------------------------------------------------------------------------
# submissions


# Cell states of the compact grid used by the synthetic dataset.
(
    CELL_UNSUBMITTED,
    CELL_MISSING,
    CELL_SUBMITTED,
    CELL_GRADED,
    CELL_GRADED_LATE,
    CELL_EXCUSED,
) = range(6)


@dataclass(slots=True)
class AssignmentFacts:
    """What the compact grid needs to know about one assignment to build its rows."""

    points_possible: float | None
    grading_type: str
    due_epoch: float


class CompactGrid:
    """Submissions of one course as arrays of state codes and scores, rows built on demand.

    Cell ``k = user_index * n_assignments + assignment_index``; submission id is
    ``first_id + k``. Timestamps are derived from the assignment due date and ``k`` so
    nothing but two small arrays is stored.
    """

    __slots__ = (
        "assignment_index",
        "facts",
        "first_id",
        "n_assignments",
        "now_epoch",
        "scheme",
        "scores",
        "states",
        "user_index",
    )

    def __init__(
        self,
        user_ids: Sequence[int],
        assignment_ids: Sequence[int],
        facts: dict[int, AssignmentFacts],
        first_id: int,
        now_epoch: float,
        scheme: Sequence[tuple[str, float]] | None,
    ) -> None:
        self.user_index = {uid: i for i, uid in enumerate(user_ids)}
        self.assignment_index = {aid: j for j, aid in enumerate(assignment_ids)}
        self.n_assignments = len(assignment_ids)
        self.facts = facts
        self.first_id = first_id
        self.now_epoch = now_epoch
        self.scheme = scheme
        size = len(user_ids) * len(assignment_ids)
        self.states = bytearray(size)
        self.scores = array("d", bytes(8 * size))

    def scoring(self, user_id: int, assignment_id: int) -> tuple[float | None, bool]:
        """Return (score or None, excused) of a cell without building its row."""
        k = self.user_index[user_id] * self.n_assignments + self.assignment_index[assignment_id]
        state = self.states[k]
        if state in (CELL_GRADED, CELL_GRADED_LATE):
            return self.scores[k], False
        return None, state == CELL_EXCUSED

    def row(self, user_id: int, assignment_id: int) -> Json:
        """Build the Canvas JSON row of one cell (parsed from :meth:`row_json`, the one
        source of truth for generated rows)."""
        row: Json = json.loads(self.row_json(user_id, assignment_id))
        return row

    def row_json(self, user_id: int, assignment_id: int) -> str:
        """The cell's row as compact JSON text (see :meth:`rows_json`)."""
        return self.rows_json(user_id, [assignment_id])[0]

    def rows_json(
        self,
        user_id: int,
        assignment_ids: Sequence[int],
        overrides: dict[tuple[int, int], Json] | None = None,
    ) -> list[str]:
        """One student's rows for some assignments as compact JSON text, from templates.

        Skipping dict building and encoding is most of the cost of serving a page of a
        million-row dataset, so this loop keeps everything in locals.

        Args:
            user_id: The student.
            assignment_ids: Assignments, in the order wanted.
            overrides: Explicit rows that replace grid cells (serialised with ``json``).

        Returns:
            One JSON object text per assignment.
        """
        base = self.user_index[user_id] * self.n_assignments
        column = self.assignment_index
        states = self.states
        scores = self.scores
        facts_of = self.facts
        first_id = self.first_id
        now = self.now_epoch
        ez = epoch_z
        points_text = _POINTS_TEXT
        out: list[str] = []
        append = out.append
        for assignment_id in assignment_ids:
            if overrides:
                row = overrides.get((user_id, assignment_id))
                if row is not None:
                    append(json.dumps(row, ensure_ascii=False, separators=(",", ":")))
                    continue
            k = base + column[assignment_id]
            state = states[k]
            if state <= CELL_MISSING:
                missing = "true" if state == CELL_MISSING else "false"
                append(_JSON_PLACEHOLDER % (first_id + k, assignment_id, user_id, missing))
                continue
            facts = facts_of[assignment_id]
            # A cheap per-cell hash spreads the timestamps without storing them.
            jitter = (k * 2654435761) % 259_200
            due = facts.due_epoch
            if state == CELL_EXCUSED:
                graded_at = ez(min(due + 86_400 + jitter, now))
                append(_JSON_EXCUSED % (first_id + k, assignment_id, user_id, graded_at))
                continue
            if state == CELL_GRADED_LATE:
                submitted = min(due + 60 + jitter % 172_800, now - 60)
                seconds_late = int(max(submitted - due, 1))
                late = "true"
            else:
                submitted = min(due - 60 - jitter, now - 3_600 - jitter % 3_600)
                seconds_late = 0
                late = "false"
            if state == CELL_SUBMITTED:
                append(
                    _JSON_SUBMITTED
                    % (first_id + k, assignment_id, user_id, ez(submitted), late, seconds_late)
                )
                continue
            score = scores[k]
            if facts.grading_type == "points":
                texts = points_text.get(score)
                if texts is None:
                    texts = points_text[score] = (repr(score), f'"{fmt_number(score)}"')
                score_text, grade = texts
            else:
                score_text = repr(score)
                text = grade_text(facts.grading_type, facts.points_possible, score, self.scheme)
                # Grade texts are digits, "%", letters or words: nothing JSON must escape.
                grade = "null" if text is None else f'"{text}"'
            append(
                _JSON_GRADED
                % (
                    first_id + k,
                    assignment_id,
                    user_id,
                    score_text,
                    grade,
                    ez(submitted),
                    ez(min(submitted + 3_600 + jitter % 86_400, now)),
                    late,
                    seconds_late,
                    score_text,
                    grade,
                )
            )
        return out


# score -> (JSON number, JSON "points" grade string); scores repeat a lot (halves of points).
_POINTS_TEXT: dict[float, tuple[str, str]] = {}
_JSON_HEAD = '{"id":%d,"assignment_id":%d,"user_id":%d,'
_JSON_TAIL = (
    '"late_policy_status":null,"entered_score":%s,"entered_grade":%s,"points_deducted":null}'
)
_JSON_PLACEHOLDER = (
    _JSON_HEAD
    + '"workflow_state":"unsubmitted","score":null,"grade":null,"submitted_at":null,'
    + '"graded_at":null,"attempt":null,"late":false,"missing":%s,"excused":null,'
    + '"seconds_late":0,'
    + _JSON_TAIL % ("null", "null")
)
_JSON_EXCUSED = (
    _JSON_HEAD
    + '"workflow_state":"graded","score":null,"grade":null,"submitted_at":null,'
    + '"graded_at":"%s","attempt":null,"late":false,"missing":false,"excused":true,'
    + '"seconds_late":0,'
    + _JSON_TAIL % ("null", "null")
)
_JSON_SUBMITTED = (
    _JSON_HEAD
    + '"workflow_state":"submitted","score":null,"grade":null,"submitted_at":"%s",'
    + '"graded_at":null,"attempt":1,"late":%s,"missing":false,"excused":false,'
    + '"seconds_late":%d,'
    + _JSON_TAIL % ("null", "null")
)
_JSON_GRADED = (
    _JSON_HEAD
    + '"workflow_state":"graded","score":%s,"grade":%s,"submitted_at":"%s",'
    + '"graded_at":"%s","attempt":1,"late":%s,"missing":false,"excused":false,'
    + '"seconds_late":%d,'
    + _JSON_TAIL % ("%s", "%s")
)


class SubmissionTable:
    """All submissions of one course: a grid over (user_id, assignment_id), both kept sorted.

    Rows come from ``rows`` (explicit dicts: the demo data and every mutated cell) and otherwise
    from ``grid`` (compact synthetic storage). Every (user, assignment) pair in the two id lists
    has a row, as Canvas has a submission (possibly an ``unsubmitted`` placeholder) for every
    student and assignment.
    """

    def __init__(self) -> None:
        self.user_ids: list[int] = []
        self.assignment_ids: list[int] = []
        self.rows: dict[tuple[int, int], Json] = {}
        self.grid: CompactGrid | None = None

    def __len__(self) -> int:
        return len(self.user_ids) * len(self.assignment_ids)

    def add_user(self, user_id: int) -> None:
        """Add a row of cells for a user (no-op when present)."""
        i = bisect.bisect_left(self.user_ids, user_id)
        if i == len(self.user_ids) or self.user_ids[i] != user_id:
            self.user_ids.insert(i, user_id)

    def add_assignment(self, assignment_id: int) -> None:
        """Add a column of cells for an assignment (no-op when present)."""
        j = bisect.bisect_left(self.assignment_ids, assignment_id)
        if j == len(self.assignment_ids) or self.assignment_ids[j] != assignment_id:
            self.assignment_ids.insert(j, assignment_id)

    def remove_assignment(self, assignment_id: int) -> None:
        """Forget an assignment's column and its explicit rows."""
        if assignment_id in self.assignment_ids:
            self.assignment_ids.remove(assignment_id)
        for user_id in self.user_ids:
            self.rows.pop((user_id, assignment_id), None)

    def get(self, user_id: int, assignment_id: int) -> Json:
        """Return the row of a cell (a live dict for explicit rows, a fresh one otherwise)."""
        row = self.rows.get((user_id, assignment_id))
        if row is None:
            if self.grid is None:
                raise KeyError((user_id, assignment_id))
            row = self.grid.row(user_id, assignment_id)
        return row

    def put(self, row: Json) -> None:
        """Store an explicit row (replaces whatever the cell had)."""
        self.rows[(row["user_id"], row["assignment_id"])] = row

    def materialise(self, user_id: int, assignment_id: int) -> Json:
        """Return an explicit, mutable row for a cell, copying it out of the grid if needed."""
        key = (user_id, assignment_id)
        row = self.rows.get(key)
        if row is None:
            row = self.get(user_id, assignment_id)
            self.rows[key] = row
        return row

    def scoring(self, user_id: int, assignment_id: int) -> tuple[float | None, bool]:
        """Return (score or None, excused) of a cell, cheaply for grid cells."""
        row = self.rows.get((user_id, assignment_id))
        if row is None and self.grid is not None:
            return self.grid.scoring(user_id, assignment_id)
        if row is None:
            raise KeyError((user_id, assignment_id))
        excused = bool(row.get("excused"))
        if excused or row.get("workflow_state") != "graded":
            return None, excused
        return row.get("score"), False

    def iter_rows(
        self,
        users: Sequence[int],
        assignments: Sequence[int],
        after: tuple[int, int] | None = None,
    ) -> Iterator[Json]:
        """Yield rows ordered by (user_id, assignment_id), strictly after a key.

        Args:
            users: Sorted user ids to include (a subset of ``user_ids``).
            assignments: Sorted assignment ids to include.
            after: Resume after this (user_id, assignment_id); None starts at the beginning.
        """
        get = self.get
        for user_id, assignment_id in self._keys(users, assignments, after):
            yield get(user_id, assignment_id)

    def page_json(
        self,
        users: Sequence[int],
        assignments: Sequence[int],
        after: tuple[int, int] | None,
        limit: int,
    ) -> tuple[list[str], tuple[int, int] | None, bool]:
        """Serialise up to ``limit`` rows after a key, in (user_id, assignment_id) order.

        Args:
            users: Sorted user ids to include.
            assignments: Sorted assignment ids to include.
            after: Resume after this key; None starts at the beginning.
            limit: Page size.

        Returns:
            (JSON text of each row, key of the last row or None, whether more rows follow).
        """
        parts: list[str] = []
        rows = self.rows
        grid = self.grid
        start_user, start_assignment = self._start(users, assignments, after)
        for i in range(start_user, len(users)):
            user_id = users[i]
            first = start_assignment if i == start_user else 0
            room = limit - len(parts)
            chunk = assignments[first : first + room]
            if grid is not None:
                parts.extend(grid.rows_json(user_id, chunk, rows))
            else:
                parts.extend(
                    json.dumps(rows[(user_id, a)], ensure_ascii=False, separators=(",", ":"))
                    for a in chunk
                )
            if len(parts) == limit:
                last = (user_id, chunk[-1])
                more = first + room < len(assignments) or i + 1 < len(users)
                return parts, last, more
        last_key = (users[-1], assignments[-1]) if parts else None
        return parts, last_key, False

    @staticmethod
    def _start(
        users: Sequence[int], assignments: Sequence[int], after: tuple[int, int] | None
    ) -> tuple[int, int]:
        """Index of the first (user, assignment) strictly after a key."""
        if after is None:
            return 0, 0
        start_user = bisect.bisect_left(users, after[0])
        if start_user < len(users) and users[start_user] == after[0]:
            start_assignment = bisect.bisect_right(assignments, after[1])
            if start_assignment >= len(assignments):
                return start_user + 1, 0
            return start_user, start_assignment
        return start_user, 0

    @staticmethod
    def _keys(
        users: Sequence[int], assignments: Sequence[int], after: tuple[int, int] | None
    ) -> Iterator[tuple[int, int]]:
        start_user, start_assignment = SubmissionTable._start(users, assignments, after)
        for i in range(start_user, len(users)):
            user_id = users[i]
            for j in range(start_assignment if i == start_user else 0, len(assignments)):
                yield user_id, assignments[j]


# --------------------------------------------------------------------------------------------
# courses and the dataset


@dataclass
class CourseData:
    """Everything the fake serves for one course.

    Attributes:
        course: The course JSON without per-request parts (term, total_students, enrollments).
        term: The term JSON (``DEFAULT_TERM`` for a course without a term).
        sections: Section JSON, ordered by id.
        enrollments: Enrollment JSON of every type and state, ordered by id.
        assignment_groups: Assignment group JSON, ordered by position.
        assignments: Assignment JSON (published or not; deleted ones are removed).
        submissions: The submission grid.
        scheme: The course grading scheme; None when the course has none (grades stay null).
    """

    course: Json
    term: Json
    sections: list[Json] = field(default_factory=list)
    enrollments: list[Json] = field(default_factory=list)
    assignment_groups: list[Json] = field(default_factory=list)
    assignments: list[Json] = field(default_factory=list)
    submissions: SubmissionTable = field(default_factory=SubmissionTable)
    scheme: Sequence[tuple[str, float]] | None = None

    @property
    def id(self) -> int:
        """The course id."""
        return int(self.course["id"])

    def assignment(self, assignment_id: int) -> Json:
        """Return one assignment's JSON.

        Raises:
            KeyError: No such assignment in this course.
        """
        for assignment in self.assignments:
            if assignment["id"] == assignment_id:
                return assignment
        raise KeyError(f"assignment {assignment_id} not in course {self.id}")


class CanvasDataset:
    """The fake's world: users, courses and their resources, as Canvas JSON.

    Attributes:
        self_user: The token user's ``/users/self`` JSON.
        users: Every user's JSON by id (enrollments embed these very dicts).
        courses: Course data by course id.
        now: The dataset's reference "now" (due dates and timestamps are relative to it).
        lock: Re-entrant lock; the server holds it while it reads, mutations hold it too.
    """

    def __init__(self, self_user: Json, now: datetime) -> None:
        self.self_user = self_user
        self.users: dict[int, Json] = {}
        self.courses: dict[int, CourseData] = {}
        self.now = now
        self.lock = threading.RLock()
        self._clock = now
        self._next_ids: dict[str, int] = {}

    # ---------------------------------------------------------------- id allocation, clock

    def next_id(self, kind: str, start: int, count: int = 1) -> int:
        """Reserve ``count`` consecutive ids for a resource kind and return the first one."""
        first = self._next_ids.get(kind, start)
        self._next_ids[kind] = first + count
        return first

    def _tick(self) -> str:
        """A fresh timestamp for a mutation: after every earlier one, never before real time."""
        wall = datetime.now(UTC).replace(microsecond=0)
        self._clock = max(wall, self._clock + timedelta(seconds=1))
        return iso_z(self._clock)

    # ---------------------------------------------------------------- read accessors

    @property
    def token_user_id(self) -> int:
        """The id of the user the token belongs to."""
        return int(self.self_user["id"])

    def course_data(self, course_id: int) -> CourseData:
        """Return a course's data.

        Raises:
            KeyError: Unknown course.
        """
        try:
            return self.courses[course_id]
        except KeyError:
            raise KeyError(f"no course {course_id}") from None

    def self_enrollments(self, course: CourseData) -> list[Json]:
        """The token user's enrollments in a course as Canvas embeds them in ``/courses``."""
        out: list[Json] = []
        seen: set[str] = set()
        for enrollment in course.enrollments:
            if enrollment["user_id"] != self.token_user_id:
                continue
            if enrollment["enrollment_state"] in ("deleted", "rejected"):
                continue
            kind = _ENROLLMENT_KIND.get(enrollment["type"], "student")
            if kind in seen:
                continue
            seen.add(kind)
            out.append(
                {
                    "type": kind,
                    "role": enrollment["role"],
                    "role_id": enrollment["role_id"],
                    "user_id": enrollment["user_id"],
                    "enrollment_state": enrollment["enrollment_state"],
                    "limit_privileges_to_course_section": False,
                }
            )
        return out

    def is_teacher(self, course: CourseData) -> bool:
        """Whether the token user teaches a course (may read its rosters and grades)."""
        me = self.token_user_id
        return any(
            e["user_id"] == me
            and e["type"] == "TeacherEnrollment"
            and e["enrollment_state"] not in ("deleted", "rejected")
            for e in course.enrollments
        )

    def total_students(self, course: CourseData) -> int:
        """Distinct real students in a course, as ``include[]=total_students`` reports."""
        states = {"active", "invited"}
        if course.course["workflow_state"] == "completed":
            states.add("completed")
        return len(
            {
                e["user_id"]
                for e in course.enrollments
                if e["type"] == "StudentEnrollment" and e["enrollment_state"] in states
            }
        )

    def render_course(
        self, course: CourseData, include_term: bool = True, include_total_students: bool = True
    ) -> Json:
        """Course JSON as ``GET /courses`` returns it, with the optional includes."""
        out = dict(course.course)
        if include_term:
            out["term"] = dict(course.term)
        if include_total_students:
            out["total_students"] = self.total_students(course)
        out["enrollments"] = self.self_enrollments(course)
        return out

    def list_courses(
        self,
        enrollment_type: str | None = None,
        states: Iterable[str] | None = None,
        include_term: bool = False,
        include_total_students: bool = False,
    ) -> list[Json]:
        """The token user's courses, filtered as ``GET /courses`` filters them.

        Args:
            enrollment_type: Only courses where the user has this kind of enrollment
                (``teacher``, ``student``, ``ta``, ...).
            states: Course workflow states to keep. None: ``available`` for students, anything
                but ``deleted`` for teachers (Canvas's default).
            include_term: Add ``term``.
            include_total_students: Add ``total_students``.

        Returns:
            Course JSON ordered by id.
        """
        wanted = set(states) if states else None
        out: list[Json] = []
        for course_id in sorted(self.courses):
            course = self.courses[course_id]
            mine = self.self_enrollments(course)
            if not mine:
                continue
            kinds = {e["type"] for e in mine}
            if enrollment_type and enrollment_type not in kinds:
                continue
            state = course.course["workflow_state"]
            if wanted is not None:
                if state not in wanted:
                    continue
            elif state == "deleted" or (kinds <= {"student", "observer"} and state != "available"):
                continue
            out.append(self.render_course(course, include_term, include_total_students))
        return out

    def courses_for_teacher(self) -> list[Json]:
        """The courses a teacher's full sync tracks (the tracker's ``/courses`` request)."""
        return self.list_courses(
            enrollment_type="teacher",
            states=("available", "completed", "unpublished"),
            include_term=True,
            include_total_students=True,
        )

    def sections(self, course_id: int) -> list[Json]:
        """Sections of a course, ordered by id."""
        return list(self.course_data(course_id).sections)

    def enrollments(
        self,
        course_id: int,
        types: Iterable[str] | None = None,
        states: Iterable[str] | None = None,
    ) -> list[Json]:
        """Enrollments of a course as ``GET /courses/:id/enrollments`` filters them.

        Args:
            course_id: The course.
            types: Enrollment types (``StudentEnrollment`` ...); None for all.
            states: Enrollment states; None for Canvas's default (active, invited, inactive).

        Returns:
            Enrollment JSON ordered by id.
        """
        wanted_types = set(types) if types else None
        wanted_states = set(states) if states else set(DEFAULT_ENROLLMENT_STATES)
        return [
            e
            for e in self.course_data(course_id).enrollments
            if (wanted_types is None or e["type"] in wanted_types)
            and e["enrollment_state"] in wanted_states
        ]

    def student_enrollments(
        self, course_id: int, states: Iterable[str] = SYNC_ENROLLMENT_STATES
    ) -> list[Json]:
        """Student enrollments the tracker syncs (``type[]=StudentEnrollment`` + its states)."""
        return self.enrollments(course_id, ("StudentEnrollment",), states)

    def assignment_groups(self, course_id: int) -> list[Json]:
        """Assignment groups of a course, ordered by position."""
        return list(self.course_data(course_id).assignment_groups)

    def assignments(self, course_id: int) -> list[Json]:
        """Assignments of a course (published or not), ordered by group then position."""
        return list(self.course_data(course_id).assignments)

    def visible_submission_users(self, course: CourseData) -> list[int]:
        """Sorted user ids whose rows bulk submissions returns.

        A user is visible while any of their student or test-student enrollments in the course
        is not deleted.
        """
        ids = {
            e["user_id"]
            for e in course.enrollments
            if e["type"] in STUDENT_TYPES and e["enrollment_state"] != "deleted"
        }
        return [uid for uid in course.submissions.user_ids if uid in ids]

    def published_assignment_ids(self, course: CourseData) -> list[int]:
        """Sorted ids of published assignments (the only ones bulk submissions returns)."""
        published = {a["id"] for a in course.assignments if a["published"]}
        return [aid for aid in course.submissions.assignment_ids if aid in published]

    def submissions(self, course_id: int) -> list[Json]:
        """Everything ``students/submissions?student_ids[]=all`` returns for a course."""
        course = self.course_data(course_id)
        users = self.visible_submission_users(course)
        assignments = self.published_assignment_ids(course)
        return list(course.submissions.iter_rows(users, assignments))

    def test_student_ids(self, course_id: int) -> list[int]:
        """User ids of a course's test students (``StudentViewEnrollment``)."""
        return sorted(
            {
                e["user_id"]
                for e in self.course_data(course_id).enrollments
                if e["type"] == "StudentViewEnrollment"
            }
        )

    def expected_counts(self) -> dict[str, int]:
        """What a full teacher sync should fetch, counted from the fake's own data.

        Returns:
            Counts keyed ``courses``, ``sections``, ``student_enrollments`` (rows),
            ``students`` (distinct user ids over all courses), ``assignment_groups``,
            ``assignments``, ``submissions`` (bulk rows, test students included).
        """
        with self.lock:
            counts = dict.fromkeys(
                (
                    "courses",
                    "sections",
                    "student_enrollments",
                    "students",
                    "assignment_groups",
                    "assignments",
                    "submissions",
                ),
                0,
            )
            students: set[int] = set()
            for course_json in self.courses_for_teacher():
                course = self.courses[course_json["id"]]
                counts["courses"] += 1
                counts["sections"] += len(course.sections)
                rows = self.student_enrollments(course.id)
                counts["student_enrollments"] += len(rows)
                students.update(e["user_id"] for e in rows)
                counts["assignment_groups"] += len(course.assignment_groups)
                counts["assignments"] += len(course.assignments)
                counts["submissions"] += len(self.visible_submission_users(course)) * len(
                    self.published_assignment_ids(course)
                )
            counts["students"] = len(students)
            return counts

    # ---------------------------------------------------------------- grades

    def _grading_items(self, course: CourseData) -> list[tuple[int, int, float]]:
        """(assignment_id, group_id, points_possible) of assignments that count toward grades."""
        return [
            (a["id"], a["assignment_group_id"], float(a["points_possible"]))
            for a in course.assignments
            if a["published"]
            and not a["omit_from_final_grade"]
            and a["points_possible"] is not None
            and a["grading_type"] != "not_graded"
        ]

    def compute_scores(
        self, course: CourseData, user_id: int, items: list[tuple[int, int, float]] | None = None
    ) -> tuple[float | None, float | None]:
        """Compute (current_score, final_score) of a student the way Canvas does.

        Unweighted: 100 x sum(score) / sum(points) over graded, non-excused submissions of
        counted assignments (``final`` counts ungraded ones as zero). Weighted groups apply
        ``group_weight`` per group, rescaled over the groups that have points.

        Args:
            course: The course.
            user_id: The student.
            items: Pre-computed :meth:`_grading_items` (a speed-up for bulk recomputes).

        Returns:
            Both scores rounded to 2 decimals, None where nothing counts.
        """
        if items is None:
            items = self._grading_items(course)
        sums: dict[int, list[float]] = {}
        scoring = course.submissions.scoring
        for assignment_id, group_id, points in items:
            score, excused = scoring(user_id, assignment_id)
            if excused:
                continue
            acc = sums.get(group_id)
            if acc is None:
                acc = sums[group_id] = [0.0, 0.0, 0.0, 0.0]
            acc[2] += score or 0.0
            acc[3] += points
            if score is not None:
                acc[0] += score
                acc[1] += points
        if course.course.get("apply_assignment_group_weights"):
            weights = {g["id"]: float(g["group_weight"] or 0) for g in course.assignment_groups}
            return (
                _weighted(sums, weights, 0, 1),
                _weighted(sums, weights, 2, 3),
            )
        cur_s = sum(a[0] for a in sums.values())
        cur_p = sum(a[1] for a in sums.values())
        fin_s = sum(a[2] for a in sums.values())
        fin_p = sum(a[3] for a in sums.values())
        return (
            round(100.0 * cur_s / cur_p, 2) if cur_p else None,
            round(100.0 * fin_s / fin_p, 2) if fin_p else None,
        )

    def refresh_grades(self, course_id: int, user_ids: Iterable[int] | None = None) -> None:
        """Recompute the ``grades`` of student enrollments from the submissions.

        Args:
            course_id: The course.
            user_ids: Only these students; None for everyone in the course.
        """
        with self.lock:
            course = self.course_data(course_id)
            only = set(user_ids) if user_ids is not None else None
            items = self._grading_items(course)
            cache: dict[int, tuple[float | None, float | None]] = {}
            for enrollment in course.enrollments:
                if enrollment["type"] not in STUDENT_TYPES:
                    continue
                uid = enrollment["user_id"]
                if only is not None and uid not in only:
                    continue
                if uid not in course.submissions.user_ids:
                    continue
                if uid not in cache:
                    cache[uid] = self.compute_scores(course, uid, items)
                current, final = cache[uid]
                enrollment["grades"] = self._grades_json(course, uid, current, final)

    def _grades_json(
        self, course: CourseData, user_id: int, current: float | None, final: float | None
    ) -> Json:
        scheme = course.scheme
        current_grade = letter_for(current, scheme) if scheme else None
        final_grade = letter_for(final, scheme) if scheme else None
        return {
            "html_url": f"{HTML_BASE}/courses/{course.id}/grades/{user_id}",
            "current_score": current,
            "final_score": final,
            "current_grade": current_grade,
            "final_grade": final_grade,
            "unposted_current_score": current,
            "unposted_final_score": final,
            "unposted_current_grade": current_grade,
            "unposted_final_grade": final_grade,
        }

    # ---------------------------------------------------------------- mutations

    def _graded_cells(self, course: CourseData) -> tuple[list[int], list[int]]:
        users = self.visible_submission_users(course)
        graded_ids = {aid for aid, _, _ in self._grading_items(course)}
        assignments = [a for a in self.published_assignment_ids(course) if a in graded_ids]
        return users, assignments

    def change_scores(self, fraction: float, seed: int = 0) -> int:
        """Regrade a random share of graded submissions in the teacher's courses.

        Changes the score, grade, entered_* and graded_at of each picked submission, then
        recomputes the grades of the affected students.

        Args:
            fraction: Share (0..1) of the teacher's gradable cells to try to change; only cells
                that already have a score are changed.
            seed: Seed for the choice and the new scores.

        Returns:
            How many submissions changed.
        """
        rng = random.Random(seed)
        with self.lock:
            plan: list[tuple[CourseData, list[int], list[int]]] = []
            total = 0
            for course_json in self.courses_for_teacher():
                course = self.courses[course_json["id"]]
                users, assignments = self._graded_cells(course)
                if users and assignments:
                    plan.append((course, users, assignments))
                    total += len(users) * len(assignments)
            if total == 0 or fraction <= 0:
                return 0
            wanted = max(1, round(fraction * total))
            picks = rng.sample(range(total), min(total, wanted * 3))
            changed = 0
            touched: dict[int, set[int]] = {}
            stamp = self._tick()
            for pick in picks:
                if changed >= wanted:
                    break
                for course, users, assignments in plan:  # noqa: B007 (used after break)
                    size = len(users) * len(assignments)
                    if pick < size:
                        break
                    pick -= size
                user_id = users[pick // len(assignments)]
                assignment_id = assignments[pick % len(assignments)]
                score, excused = course.submissions.scoring(user_id, assignment_id)
                if score is None or excused:
                    continue
                assignment = course.assignment(assignment_id)
                new_score = _new_score(rng, assignment, score)
                self._write_score(course, assignment, user_id, new_score, stamp)
                touched.setdefault(course.id, set()).add(user_id)
                changed += 1
            for course_id, user_ids in touched.items():
                self.refresh_grades(course_id, user_ids)
            return changed

    def _write_score(
        self,
        course: CourseData,
        assignment: Json,
        user_id: int,
        score: float | None,
        stamp: str,
    ) -> Json:
        row = course.submissions.materialise(user_id, assignment["id"])
        grade = grade_text(
            assignment["grading_type"], assignment["points_possible"], score, course.scheme
        )
        row.update(
            score=score,
            grade=grade,
            entered_score=score,
            entered_grade=grade,
            workflow_state="graded" if score is not None else "unsubmitted",
            graded_at=stamp if score is not None else None,
            excused=False if score is not None else row.get("excused"),
            missing=False if score is not None else row.get("missing"),
        )
        if score is not None and row.get("attempt") is None:
            row["attempt"] = 1
        return row

    def set_score(
        self, course_id: int, assignment_id: int, user_id: int, score: float | None
    ) -> Json:
        """Grade (or ungrade, with None) one submission and refresh that student's grades.

        Returns:
            The updated submission row.

        Raises:
            KeyError: Unknown course, assignment or student.
        """
        with self.lock:
            course = self.course_data(course_id)
            assignment = course.assignment(assignment_id)
            if user_id not in course.submissions.user_ids:
                raise KeyError(f"user {user_id} has no submissions in course {course_id}")
            row = self._write_score(course, assignment, user_id, score, self._tick())
            self.refresh_grades(course_id, [user_id])
            return row

    def _student_enrollments_of(self, course: CourseData, user_id: int) -> list[Json]:
        found = [
            e
            for e in course.enrollments
            if e["user_id"] == user_id and e["type"] == "StudentEnrollment"
        ]
        if not found:
            raise KeyError(f"user {user_id} is not a student of course {course.id}")
        return found

    def drop_student(self, course_id: int, user_id: int, state: str = "deleted") -> int:
        """Move all of a student's enrollments in a course to ``deleted``/``inactive``/
        ``completed``. Deleted ones vanish from the synced enrollment states and their
        submissions from bulk submissions.

        Returns:
            How many enrollments changed (two for a student in two sections).

        Raises:
            KeyError: Unknown course or not a student there.
            ValueError: Unsupported state.
        """
        if state not in ("deleted", "inactive", "completed", "rejected"):
            raise ValueError(f"cannot drop a student to state {state!r}")
        with self.lock:
            found = self._student_enrollments_of(self.course_data(course_id), user_id)
            stamp = self._tick()
            for enrollment in found:
                enrollment["enrollment_state"] = state
                enrollment["updated_at"] = stamp
            return len(found)

    def reenroll_student(self, course_id: int, user_id: int) -> int:
        """Make all of a student's enrollments in a course ``active`` again.

        Returns:
            How many enrollments changed.
        """
        with self.lock:
            found = self._student_enrollments_of(self.course_data(course_id), user_id)
            stamp = self._tick()
            for enrollment in found:
                enrollment["enrollment_state"] = "active"
                enrollment["updated_at"] = stamp
            return len(found)

    def rename_student(self, user_id: int, new_name: str) -> Json:
        """Change a user's display name (and the derived short/sortable names) everywhere.

        Returns:
            The user JSON (shared by every enrollment of that user).
        """
        with self.lock:
            user = self.users[user_id]
            short, sortable = split_name(new_name)
            user.update(name=new_name, short_name=short, sortable_name=sortable)
            return user

    def add_assignment(
        self,
        course_id: int,
        name: str,
        points_possible: float | None = 10,
        *,
        published: bool = True,
        grading_type: str = "points",
        due_at: str | None = None,
        assignment_group_id: int | None = None,
    ) -> int:
        """Create an assignment with ``unsubmitted`` placeholders for every student.

        Returns:
            The new assignment id.
        """
        with self.lock:
            course = self.course_data(course_id)
            if not course.assignment_groups:
                group_id = self.next_id("assignment_group", 801)
                course.assignment_groups.append(group_json(group_id, "Assignments", 1, 0.0))
            group = assignment_group_id or course.assignment_groups[0]["id"]
            assignment_id = self.next_id("assignment", 90001)
            position = 1 + sum(1 for a in course.assignments if a["assignment_group_id"] == group)
            if due_at is None:
                due_at = iso_z(self._clock + timedelta(days=7))
            stamp = self._tick()
            assignment = assignment_json(
                assignment_id,
                course_id,
                name,
                group,
                position,
                points_possible,
                grading_type,
                due_at,
                published,
                ["online_upload"],
                stamp,
            )
            course.assignments.append(assignment)
            course.submissions.add_assignment(assignment_id)
            first = self.next_id("submission", 7_000_001, len(course.submissions.user_ids))
            for offset, user_id in enumerate(course.submissions.user_ids):
                course.submissions.put(placeholder_row(first + offset, assignment_id, user_id))
            self.refresh_grades(course_id)
            return assignment_id

    def enroll_new_student(self, course_id: int, name: str) -> int:
        """Enroll a new user as an active student in a course's first section, with an
        ``unsubmitted`` placeholder for every assignment (as Canvas creates them).

        Returns:
            The new user id.
        """
        with self.lock:
            course = self.course_data(course_id)
            user_id = self.next_id("user", 5001)
            while user_id in self.users:
                user_id = self.next_id("user", 5001)
            user = user_json(user_id, name, f"SIS-{user_id}", f"student{user_id}")
            self.users[user_id] = user
            section_id = course.sections[0]["id"] if course.sections else None
            enrollment_id = self.next_id("enrollment", 600_001)
            ids = {e["id"] for e in course.enrollments}
            while enrollment_id in ids:
                enrollment_id = self.next_id("enrollment", 600_001)
            enrollment = enrollment_json(
                enrollment_id, course_id, section_id or 0, user, "StudentEnrollment",
                "active", None, 0,
            )
            enrollment["created_at"] = enrollment["updated_at"] = self._tick()
            course.enrollments.append(enrollment)
            course.enrollments.sort(key=lambda e: e["id"])
            course.submissions.add_user(user_id)
            first = self.next_id("submission", 7_000_001, len(course.submissions.assignment_ids))
            for offset, assignment_id in enumerate(course.submissions.assignment_ids):
                course.submissions.put(placeholder_row(first + offset, assignment_id, user_id))
            self.refresh_grades(course_id, [user_id])
            return user_id

    def submit(self, course_id: int, assignment_id: int, user_id: int) -> Json:
        """A student hands in work: a new attempt with ``submitted_at`` now (late when past
        the due date); a graded submission keeps its grade until the teacher regrades.

        Returns:
            The updated submission row.
        """
        with self.lock:
            course = self.course_data(course_id)
            assignment = course.assignment(assignment_id)
            row = course.submissions.materialise(user_id, assignment_id)
            stamp = self._tick()
            due = assignment.get("due_at")
            seconds_late = (
                int((parse_ts(stamp) - parse_ts(str(due))).total_seconds()) if due else 0
            )
            late = seconds_late > 0
            row.update(
                submitted_at=stamp,
                attempt=(row.get("attempt") or 0) + 1,
                late=late,
                missing=False,
                seconds_late=seconds_late if late else 0,
                late_policy_status="late" if late else None,
            )
            if row.get("workflow_state") != "graded":
                row["workflow_state"] = "submitted"
            return row

    def excuse(self, course_id: int, assignment_id: int, user_id: int) -> Json:
        """The teacher excuses a submission: Canvas grades it as excused (``graded_at``
        now, no score), and it no longer counts as missing.

        Returns:
            The updated submission row.
        """
        with self.lock:
            course = self.course_data(course_id)
            course.assignment(assignment_id)
            row = course.submissions.materialise(user_id, assignment_id)
            row.update(
                excused=True, score=None, grade=None, entered_score=None, entered_grade=None,
                workflow_state="graded", graded_at=self._tick(), missing=False,
                late_policy_status=None,
            )
            self.refresh_grades(course_id, [user_id])
            return row

    def set_due_at(self, course_id: int, assignment_id: int, due_at: str | None) -> None:
        """Move an assignment's due date (its ``updated_at`` changes; work that is not
        handed in is missing exactly when the new date has passed)."""
        with self.lock:
            course = self.course_data(course_id)
            assignment = course.assignment(assignment_id)
            assignment["due_at"] = due_at
            assignment["updated_at"] = self._tick()
            self._mark_missing(course, assignment, datetime.now(UTC), both_ways=True)

    def pass_due_dates(self, since: datetime, now: datetime | None = None) -> int:
        """What Canvas does as time passes: work not handed in by a due date that passed
        after ``since`` (and by ``now``) becomes missing. Neither ``graded_at`` nor
        ``submitted_at`` changes, so a ``graded_since`` query does not see it.

        Returns:
            How many submissions became missing.
        """
        moment = now or datetime.now(UTC)
        with self.lock:
            return sum(
                self._mark_missing(course, assignment, moment)
                for course in self.courses.values()
                for assignment in course.assignments
                if assignment["published"] and assignment.get("due_at")
                and since < parse_ts(assignment["due_at"]) <= moment
            )

    def _mark_missing(
        self, course: CourseData, assignment: Json, now: datetime, *, both_ways: bool = False
    ) -> int:
        due = assignment.get("due_at")
        past_due = due is not None and parse_ts(str(due)) < now
        changed = 0
        for user_id in course.submissions.user_ids:
            row = course.submissions.get(user_id, assignment["id"])
            handed_in = row.get("submitted_at") or row.get("excused")
            if handed_in or row.get("workflow_state") == "graded":
                continue
            if bool(row.get("missing")) == past_due or (not past_due and not both_ways):
                continue
            row = course.submissions.materialise(user_id, assignment["id"])
            row["missing"] = past_due
            row["late_policy_status"] = "missing" if past_due else None
            changed += 1
        return changed

    def delete_assignment(self, course_id: int, assignment_id: int) -> None:
        """Delete an assignment: it and its submissions are absent from then on.

        Raises:
            KeyError: Unknown course or assignment.
        """
        with self.lock:
            course = self.course_data(course_id)
            course.assignments.remove(course.assignment(assignment_id))
            course.submissions.remove_assignment(assignment_id)
            self.refresh_grades(course_id)

    def delete_course(self, course_id: int) -> None:
        """Soft-delete a course: it leaves ``/courses`` and its URLs answer 404."""
        with self.lock:
            self.course_data(course_id).course["workflow_state"] = "deleted"


def _weighted(
    sums: dict[int, list[float]], weights: dict[int, float], s: int, p: int
) -> float | None:
    total = 0.0
    weight_sum = 0.0
    for group_id, acc in sums.items():
        if acc[p] <= 0:
            continue
        weight = weights.get(group_id, 0.0)
        total += weight * acc[s] / acc[p]
        weight_sum += weight
    if weight_sum <= 0:
        return None
    return round(100.0 * total / weight_sum, 2)


def _new_score(rng: random.Random, assignment: Json, old: float) -> float:
    points = assignment["points_possible"] or 0.0
    if assignment["grading_type"] == "pass_fail":
        return 0.0 if old > 0 else float(points)
    if points <= 0:
        return old + 1.0
    new = round(rng.uniform(0.3, 1.0) * points * 2) / 2
    return new if new != old else (old - 0.5 if old >= 0.5 else old + 0.5)


def placeholder_row(submission_id: int, assignment_id: int, user_id: int) -> Json:
    """An ``unsubmitted`` placeholder submission as Canvas returns it."""
    return {
        "id": submission_id,
        "assignment_id": assignment_id,
        "user_id": user_id,
        "workflow_state": "unsubmitted",
        "score": None,
        "grade": None,
        "submitted_at": None,
        "graded_at": None,
        "attempt": None,
        "late": False,
        "missing": False,
        "excused": None,
        "seconds_late": 0,
        "late_policy_status": None,
        "entered_score": None,
        "entered_grade": None,
        "points_deducted": None,
    }


def group_json(group_id: int, name: str, position: int, weight: float) -> Json:
    """Assignment group JSON (``rules`` empty: no drop rules, so grades stay checkable)."""
    return {
        "id": group_id,
        "name": name,
        "position": position,
        "group_weight": weight,
        "sis_source_id": None,
        "integration_data": {},
        "rules": {},
    }


def assignment_json(
    assignment_id: int,
    course_id: int,
    name: str,
    group_id: int,
    position: int,
    points_possible: float | None,
    grading_type: str,
    due_at: str | None,
    published: bool,
    submission_types: list[str],
    created_at: str,
    *,
    omit_from_final_grade: bool = False,
    description: str | None = None,
) -> Json:
    """Assignment JSON as ``GET /courses/:id/assignments`` returns it."""
    return {
        "id": assignment_id,
        "course_id": course_id,
        "name": name,
        "description": description
        if description is not None
        else f"<p>Instructions for {name.replace('<', '&lt;')}.</p>",
        "assignment_group_id": group_id,
        "position": position,
        "points_possible": points_possible,
        "grading_type": grading_type,
        "due_at": due_at,
        "lock_at": None,
        "unlock_at": None,
        "published": published,
        "workflow_state": "published" if published else "unpublished",
        "omit_from_final_grade": omit_from_final_grade,
        "submission_types": submission_types,
        "created_at": created_at,
        "updated_at": created_at,
        "html_url": f"{HTML_BASE}/courses/{course_id}/assignments/{assignment_id}",
        "has_submitted_submissions": False,
        "muted": False,
        "anonymous_grading": False,
    }


def user_json(user_id: int, name: str, sis_user_id: str | None, login_id: str) -> Json:
    """The nested ``user`` object of an enrollment (names derived as Canvas does)."""
    short, sortable = split_name(name)
    return {
        "id": user_id,
        "name": name,
        "sortable_name": sortable,
        "short_name": short,
        "sis_user_id": sis_user_id,
        "integration_id": None,
        "login_id": login_id,
        "created_at": "2024-08-15T16:00:00Z",
    }


def section_json(
    section_id: int,
    course_id: int,
    name: str,
    sis_section_id: str | None,
    nonxlist_course_id: int | None = None,
) -> Json:
    """Section JSON; ``nonxlist_course_id`` marks a cross-listed section."""
    return {
        "id": section_id,
        "course_id": course_id,
        "name": name,
        "sis_section_id": sis_section_id,
        "integration_id": None,
        "sis_import_id": None,
        "nonxlist_course_id": nonxlist_course_id,
        "start_at": None,
        "end_at": None,
        "restrict_enrollments_to_section_dates": None,
        "created_at": "2024-08-01T12:00:00Z",
    }


def enrollment_json(
    enrollment_id: int,
    course_id: int,
    section_id: int,
    user: Json,
    kind: str,
    state: str,
    last_activity_at: str | None,
    total_activity_time: int,
) -> Json:
    """Enrollment JSON without ``grades`` (students get them from ``refresh_grades``)."""
    role_ids = {
        "StudentEnrollment": 3,
        "TeacherEnrollment": 4,
        "TaEnrollment": 5,
        "DesignerEnrollment": 6,
        "ObserverEnrollment": 7,
        "StudentViewEnrollment": 3,
    }
    return {
        "id": enrollment_id,
        "course_id": course_id,
        "course_section_id": section_id,
        "user_id": user["id"],
        "type": kind,
        "role": kind,
        "role_id": role_ids.get(kind, 3),
        "enrollment_state": state,
        "limit_privileges_to_course_section": False,
        "created_at": "2024-08-20T15:00:00Z",
        "updated_at": "2024-08-20T15:00:00Z",
        "start_at": None,
        "end_at": None,
        "last_activity_at": last_activity_at,
        "total_activity_time": total_activity_time,
        "html_url": f"{HTML_BASE}/courses/{course_id}/users/{user['id']}",
        "user": user,
    }


def course_json(
    course_id: int,
    name: str,
    course_code: str,
    state: str,
    term: Json,
    time_zone: str,
    weighted: bool,
    scheme: bool,
    start_at: str | None,
    end_at: str | None,
) -> Json:
    """Course JSON without the per-request parts (term, total_students, enrollments)."""
    return {
        "id": course_id,
        "name": name,
        "course_code": course_code,
        "workflow_state": state,
        "account_id": 1,
        "root_account_id": 1,
        "enrollment_term_id": term["id"],
        "uuid": f"fake{course_id:012d}",
        "start_at": start_at,
        "end_at": end_at,
        "created_at": "2024-07-01T12:00:00Z",
        "time_zone": time_zone,
        "default_view": "modules",
        "is_public": False,
        "license": "private",
        "grading_standard_id": 1 if scheme else None,
        "apply_assignment_group_weights": weighted,
        "hide_final_grades": False,
        "restrict_enrollments_to_course_dates": False,
        "sis_course_id": None,
        "calendar": {"ics": f"{HTML_BASE}/feeds/calendars/course_{course_id}.ics"},
    }
