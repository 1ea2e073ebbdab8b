"""An incremental sync's plan and merge: which submissions to ask Canvas for, and how the
answer and the previous layer 1 make the same submissions a full sync would have fetched.

Canvas filters bulk submissions by ``graded_since`` and ``submitted_since`` (strict ``>``), and
those catch a grade, a regrade, an excuse (excusing grades the submission) and a new attempt.
They miss what changes a submission without touching either time, so those are fetched whole:

* a course the previous sync did not fetch (new, or switched back on): every submission;
* a student whose enrollments in a course are new, gone or in another state (a new student's
  placeholders, a drop, a return): that student's submissions (``student_ids[]``);
* an assignment that is new or changed in any stored field (published, due date, points ...),
  or whose due date passed since the watermark (Canvas marks work missing when it does):
  that assignment's submissions (``assignment_ids[]``).

Everything else (courses, sections, enrollments with grades, assignment groups, assignments)
has no such filter and is fetched whole every time, so those layer-1 tables are exact. The
merge keeps each previous submission whose course, student and assignment are still listed
and outside the refetched scopes, and lets every fetched row win over a kept one. Deleted
submissions go with their assignment or their student's listing, as in a full sync.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import polars as pl

from tracker_db.canvas.shaping import (
    TABLE_COLUMNS,
    TRACKED_ENROLLMENT_TYPE,
    ShapedSync,
    parse_resource,
)

#: Subtracted from the previous sync's start: a grade saved while that sync was fetching,
#: or a Canvas clock a little behind ours, is still asked for. Rows fetched twice are the
#: same rows, so the overlap costs only a few rows.
WATERMARK_OVERLAP = timedelta(minutes=10)

#: Ids per ``student_ids[]`` / ``assignment_ids[]`` request (Canvas refuses more than 100
#: students in one).
IDS_PER_REQUEST = 100

#: Past this many students or assignments to refetch, a course is fetched whole: one chain of
#: pages instead of many small requests.
WHOLE_COURSE_AFTER = 2 * IDS_PER_REQUEST

_ENROLLMENT_SIGNATURE = ["enrollment_id", "course_id", "student_id", "enrollment_state"]


@dataclass(frozen=True)
class KnownState:
    """What layer 1 held after the latest successful sync: the base of an incremental.

    Read in one snapshot before the fetch, so the watermark and the rows agree.

    Attributes:
        sync_id: The latest successful sync.
        since: Its start less ``WATERMARK_OVERLAP``: Canvas is asked for what changed after.
        enrollments: Layer-1 enrollments (``_ENROLLMENT_SIGNATURE`` columns at least).
        assignments: Layer-1 assignments (``TABLE_COLUMNS["assignments"]``).
        submissions: Layer-1 submissions (``TABLE_COLUMNS["submissions"]``).
    """

    sync_id: int
    since: datetime
    enrollments: pl.DataFrame
    assignments: pl.DataFrame
    submissions: pl.DataFrame

    @property
    def fetched_course_ids(self) -> frozenset[int]:
        """Courses whose collections the previous sync fetched (an untracked course has
        none in layer 1)."""
        ids = pl.concat([
            self.enrollments.select("course_id"), self.assignments.select("course_id"),
        ])["course_id"].unique()
        return frozenset(int(i) for i in ids)


@dataclass(frozen=True)
class Refetch:
    """The submissions of one course fetched whole in an incremental sync.

    Attributes:
        whole_course: Every submission of the course (the student and assignment lists are
            then empty).
        student_ids: Students whose every submission is fetched.
        assignment_ids: Assignments whose every submission is fetched.
    """

    whole_course: bool = False
    student_ids: tuple[int, ...] = ()
    assignment_ids: tuple[int, ...] = ()

    def requests(self) -> list[list[tuple[str, str]]]:
        """The query parameters of each bulk-submissions request this refetch takes."""
        if self.whole_course:
            return [[("student_ids[]", "all")]]
        return [
            [("student_ids[]", str(i)) for i in chunk] for chunk in _chunks(self.student_ids)
        ] + [
            [("student_ids[]", "all"), *(("assignment_ids[]", str(i)) for i in chunk)]
            for chunk in _chunks(self.assignment_ids)
        ]


def _chunks(ids: tuple[int, ...]) -> Iterable[tuple[int, ...]]:
    for start in range(0, len(ids), IDS_PER_REQUEST):
        yield ids[start : start + IDS_PER_REQUEST]


@dataclass
class IncrementalPlan:
    """Plans an incremental fetch course by course, and remembers what it refetched.

    The client calls ``refetch_for`` as each course's enrollments and assignments arrive;
    ``merge`` then builds the full set of submissions from the fetch and ``known``.

    Attributes:
        known: The previous layer 1 and the watermark.
        now: The fetch's start: due dates up to it count as passed.
        refetched: ``{course_id: Refetch}`` of every course planned so far.
    """

    known: KnownState
    now: datetime
    refetched: dict[int, Refetch] = field(default_factory=dict)

    @property
    def since(self) -> datetime:
        """Canvas is asked for submissions graded or submitted after this."""
        return self.known.since

    def refetch_for(
        self, course_id: int, raw_enrollments: object, raw_assignments: object
    ) -> Refetch:
        """Decide which of a course's submissions to fetch whole, from its fresh enrollments
        and assignments (raw frames, as the client fetched them).

        Raises:
            DataValidationError: The enrollments or assignments do not parse.
        """
        refetch = plan_refetch(
            self.known, course_id, raw_enrollments, raw_assignments,
            since=self.since, now=self.now,
        )
        self.refetched[course_id] = refetch
        return refetch

    def merge(self, shaped: ShapedSync) -> ShapedSync:
        """Return ``shaped`` with the submissions a full sync would have fetched."""
        return merge_submissions(self.known, shaped, self.refetched)


def plan_refetch(
    known: KnownState,
    course_id: int,
    raw_enrollments: object,
    raw_assignments: object,
    *,
    since: datetime,
    now: datetime,
) -> Refetch:
    """Decide which of one course's submissions an incremental sync fetches whole.

    Args:
        known: The previous layer 1.
        course_id: The course.
        raw_enrollments: The course's enrollments as fetched now (raw rows or frame).
        raw_assignments: The course's assignments as fetched now.
        since: The watermark; a due date after it and up to ``now`` counts as passed.
        now: When this fetch started.

    Raises:
        DataValidationError: The enrollments or assignments do not parse.
    """
    if course_id not in known.fetched_course_ids:
        return Refetch(whole_course=True)
    enrollments = parse_resource("enrollments", raw_enrollments)
    enrollments = enrollments.filter(
        pl.col("type").is_null() | (pl.col("type") == TRACKED_ENROLLMENT_TYPE)
    ).select(_ENROLLMENT_SIGNATURE)
    # Layer 1 comes back from the database with its own types (INTEGER, say): compare in the
    # fresh rows' types.
    before = known.enrollments.filter(pl.col("course_id") == course_id).select(
        _ENROLLMENT_SIGNATURE
    ).cast(enrollments.schema)
    changed_students = pl.concat([
        enrollments.join(before, on=_ENROLLMENT_SIGNATURE, how="anti", nulls_equal=True),
        before.join(enrollments, on=_ENROLLMENT_SIGNATURE, how="anti", nulls_equal=True),
    ])["student_id"].unique().sort()

    columns = TABLE_COLUMNS["assignments"]
    assignments = parse_resource("assignments", raw_assignments).select(columns)
    previous = known.assignments.filter(pl.col("course_id") == course_id).select(
        columns
    ).cast(assignments.schema)
    changed = assignments.join(previous, on=columns, how="anti", nulls_equal=True)
    due_passed = assignments.filter(
        (pl.col("due_at") > since) & (pl.col("due_at") <= now)
    )
    changed_assignments = pl.concat([changed, due_passed])["assignment_id"].unique().sort()

    if (changed_students.len() > WHOLE_COURSE_AFTER
            or changed_assignments.len() > WHOLE_COURSE_AFTER):
        return Refetch(whole_course=True)
    return Refetch(
        student_ids=tuple(int(i) for i in changed_students),
        assignment_ids=tuple(int(i) for i in changed_assignments),
    )


def merge_submissions(
    known: KnownState, shaped: ShapedSync, refetched: Mapping[int, Refetch]
) -> ShapedSync:
    """Complete an incremental fetch's submissions with the previous layer 1.

    A previous submission is kept when its course was planned (``refetched``) and not
    fetched whole, its student and assignment are outside that course's refetch, its student
    is still enrolled and its assignment still listed, and Canvas sent no newer copy.

    Args:
        known: The previous layer 1.
        shaped: The incremental fetch, shaped (every table but submissions is complete).
        refetched: What each fetched course's plan fetched whole.

    Returns:
        ``shaped`` with the merged submissions.
    """
    def pairs(column: str, rows: Iterable[tuple[int, int]]) -> pl.DataFrame:
        return pl.DataFrame(list(rows), schema={"course_id": pl.Int64, column: pl.Int64},
                            orient="row")

    partly = [c for c, r in refetched.items() if not r.whole_course]
    students = pairs("student_id", ((c, s) for c, r in refetched.items() for s in r.student_ids))
    assignments = pairs(
        "assignment_id", ((c, a) for c, r in refetched.items() for a in r.assignment_ids)
    )
    fresh = shaped.submissions
    kept = (
        known.submissions.select(TABLE_COLUMNS["submissions"])
        .filter(pl.col("course_id").is_in(partly))
        .join(students, on=["course_id", "student_id"], how="anti")
        .join(assignments, on=["course_id", "assignment_id"], how="anti")
        .join(shaped.enrollments.select("course_id", "student_id").unique(),
              on=["course_id", "student_id"], how="semi")
        .join(shaped.assignments.select("course_id", "assignment_id"),
              on=["course_id", "assignment_id"], how="semi")
        .join(fresh.select("assignment_id", "student_id"),
              on=["assignment_id", "student_id"], how="anti")
        .join(fresh.select("submission_id"), on="submission_id", how="anti")
    )
    columns = TABLE_COLUMNS["submissions"]
    merged = pl.concat(
        [kept.cast(fresh.select(columns).schema), fresh.select(columns)], how="vertical"
    )
    return ShapedSync(**{**shaped.tables(), "submissions": merged},
                      conflicts=shaped.conflicts)
