"""Students who need a teacher's attention, each with the reason in words."""

from __future__ import annotations

import polars as pl

from tracker_db.db import Cursor, sql_file, using
from tracker_db.read_models.display import shorten_columns

_SQL = sql_file("read_models/attention")

#: Headings of the "needs attention" lists, in display order.
NEEDS_ATTENTION_KINDS: dict[str, str] = {
    "low_score": "Lowest current scores",
    "missing_work": "Most missing work",
    "score_drop": "Biggest drops since the previous sync",
}
#: What each list means, in words.
NEEDS_ATTENTION_HELP: dict[str, str] = {
    "low_score": "Active enrollments with the lowest current course score, next to the "
                 "course median.",
    "missing_work": "Students with the most submissions Canvas marks missing (excused work "
                    "not counted), across their courses.",
    "score_drop": "Course scores that fell the most between the previous successful sync and "
                  "the latest one.",
}


def get_needs_attention(limit: int = 10, *, cur: Cursor | None = None) -> dict[str, pl.DataFrame]:
    """Return the students who need attention, each with the reason in words.

    Three lists of at most ``limit`` rows (see ``NEEDS_ATTENTION_KINDS``): the lowest current
    scores in active enrollments, the most missing work, and the biggest drops of a course
    score since the previous successful sync.

    Returns:
        One frame per kind, in ``NEEDS_ATTENTION_KINDS`` order (empty when nothing
        qualifies). Columns: student_id, student_name, course_id, course_name (None for
        missing work, which spans courses), value (score, count, or change in points),
        explanation.
    """
    limit = max(1, min(int(limit), 100))
    with using(cur) as c:
        frame = c.execute(_SQL["needs_attention"], {"limit": limit}).pl()
    frame = shorten_columns(frame.drop("kind_order"),
                            ("student_name", "course_name", "explanation"))
    return {
        kind: frame.filter(pl.col("kind") == kind).drop("kind")
        for kind in NEEDS_ATTENTION_KINDS
    }
