"""Demo data: the built-in fake Canvas, synced through the real client over loopback.

The demo runs several syncs while the fake Canvas's data moves (scores change; before the last
sync a student joins, one drops a course, work is handed in and graded), so history, charts
and "What changed" have something to show. Each sync's history rows are stamped a week apart,
ending now, so the charts spread over weeks as they would after a term of real use.

This module is the only runtime user of ``tracker_db.fake_canvas``; the runner and the CLI
import it only when the demo is asked for, so the app never loads the fake otherwise. Both
load it into an empty database only, with the one check here.
"""

from __future__ import annotations

import random
import secrets
from datetime import UTC, datetime, timedelta

from tracker_db.canvas.client import ProgressCallback
from tracker_db.db import Cursor, using
from tracker_db.errors import ConfigError
from tracker_db.fake_canvas import FakeCanvas, build_demo_dataset
from tracker_db.fake_canvas.dataset import CanvasDataset
from tracker_db.store import sync_runs
from tracker_db.sync.from_canvas import sync_from_canvas
from tracker_db.sync.write import SyncResult

DEMO_SYNCS = 4
DEMO_SPACING = timedelta(days=7)


def load_demo_data(
    *,
    syncs: int = DEMO_SYNCS,
    seed: int = 7,
    progress: ProgressCallback | None = None,
    cur: Cursor | None = None,
    trigger: str = "",
    attempt_ids: list[str] | None = None,
) -> list[SyncResult]:
    """Fill an empty database from the built-in fake Canvas through the real sync path.

    Args:
        syncs: How many syncs to run; between two, about a tenth of the scores change.
        seed: Seed of the demo data set.
        progress: Optional progress callback, called for every sync.
        cur: Cursor to use; default a session of the process-wide database.
        trigger: What started it, for the attempts' records.
        attempt_ids: If given, each sync's attempt id is appended as it starts
            (``sync_from_canvas``).

    Returns:
        One result per sync.

    Raises:
        ConfigError: ``syncs`` out of range, or the database already holds a sync.
    """
    if not 1 <= syncs <= 20:
        raise ConfigError(f"demo syncs must be 1 to 20, got {syncs}")
    with using(cur) as c:
        if sync_runs.last_successful_sync_id(c) is not None:
            # A full sync replaces layer 1 whole: demo data would overwrite a real teacher's
            # Canvas data and mix demo history into theirs (or into an earlier demo's).
            synced = ", ".join(sorted(sync_runs.sources(c))) or "somewhere"
            raise ConfigError(
                "demo data can only be loaded into an empty database; this one already "
                f"holds data synced from {synced} (point TRACKER_DB_PATH, or canvas-tracker "
                "--db, at a new file to try the demo)"
            )
    token = secrets.token_urlsafe(24)  # a throwaway token for the throwaway server
    now = datetime.now(UTC)
    results = []
    # Due dates and activity around today, so the demo looks like a term in progress.
    with FakeCanvas(build_demo_dataset(seed=seed, now=now), token=token) as fake:
        for index in range(syncs):
            if index:
                fake.dataset.change_scores(0.1, seed=seed + index)
            if index and index == syncs - 1:
                _a_week_of_school(fake.dataset, seed)
            recorded_at = now - DEMO_SPACING * (syncs - 1 - index)
            results.append(
                sync_from_canvas(
                    fake.base_url, token, progress=progress, recorded_at=recorded_at, cur=cur,
                    kind="demo", trigger=trigger, attempt_ids=attempt_ids,
                )
            )
    return results


def _a_week_of_school(dataset: CanvasDataset, seed: int) -> None:
    """What a week brings besides regrades: a new student, one who drops a course (and stays
    in another), work handed in, work graded."""
    rng = random.Random(seed)
    course_id, other_id = (c["id"] for c in dataset.courses_for_teacher()[:2])
    dataset.enroll_new_student(course_id, "Noor Haddad")
    in_both = sorted(
        {e["user_id"] for e in dataset.student_enrollments(course_id, ("active",))}
        & {e["user_id"] for e in dataset.student_enrollments(other_id, ("active",))})
    if in_both:
        dataset.drop_student(other_id, in_both[0], "inactive")
    course = dataset.course_data(course_id)
    students = dataset.visible_submission_users(course)
    ungraded = [(a, u) for a in dataset.published_assignment_ids(course) for u in students
                if course.submissions.scoring(u, a) == (None, False)]
    for assignment_id, user_id in rng.sample(ungraded, min(6, len(ungraded))):
        dataset.submit(course_id, assignment_id, user_id)
        if rng.random() < 0.5:
            points = course.assignment(assignment_id).get("points_possible") or 10
            dataset.set_score(course_id, assignment_id, user_id, round(points * 0.8, 1))
