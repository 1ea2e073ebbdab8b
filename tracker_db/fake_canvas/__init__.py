"""A faithful fake Canvas LMS for tests, the demo and benchmarks.

``FakeCanvas`` serves a ``CanvasDataset`` over HTTP on 127.0.0.1 with Canvas's auth,
pagination, throttling and error shapes (see ``/work/shared/canvas-api.md``)::

    from tracker_db.fake_canvas import FakeCanvas, build_demo_dataset

    with FakeCanvas(build_demo_dataset(seed=7), token="test-token") as fake:
        sync(base_url=fake.base_url, token=fake.token)
        fake.dataset.change_scores(0.1, seed=2)
        sync(base_url=fake.base_url, token=fake.token)

The demo dataset (``build_demo_dataset``); the token user is 5001 "Dana Whitfield":

- 101 "BIO 101: Introduction to Biology" (Fall term, America/Denver, numeric, unweighted):
  four sections (one cross-listed, ``nonxlist_course_id`` 150), 3 students in two sections and
  4 more in the cross-listed one, a TA, the hostile names, inactive/completed/invited/deleted
  enrollments, a pass_fail, a percent, a zero-point bonus, a not_graded null-points, an
  omit_from_final_grade and two unpublished assignments, late work with a 10 % deduction
  (``entered_score`` > ``score``).
- 102 ``ENG 210: O'Brien's "Modern" Poetry <b>Honors</b> ✍️``: letter grades (grading scheme),
  weighted groups 40 / 35.5 / 24.5.
- 103 (Cyrillic, Chinese, Arabic and emoji in its name): no term ("Default Term"), Europe/Berlin,
  every timestamp with a ``+01:00`` offset, whole scores as JSON integers.
- 104 ``HIST 120: World History <script>alert(1)</script>``: completed course, previous term,
  enrollments ``completed``.
- 105 "SPAN 101: Español I 🇪🇸": the token user is only a student (absent for
  ``enrollment_type=teacher``; its sub-resources answer 403).
- 106 "CS 499: Independent Study": unpublished and empty (one section, no students, no
  assignments).

Every teacher course with students has a "Test Student" (``StudentViewEnrollment``).

``build_synthetic_dataset(200, 100, 50)`` builds a plain program (1,000,000 submissions) in a
few seconds; its submissions live in compact arrays and are formatted per page.

Server notes: ``throttle`` defaults to ``"off"`` (the command line defaults to ``403``); a
request's cost defaults to its own handler time, so only concurrency (50 units up front per
request in flight) trips the bucket; ``ThrottleConfig(request_cost=..., cost_per_row=...)``
makes requests expensive. Fault kinds: ``status``, ``drop``, ``truncate`` (200 with half the
JSON and a matching Content-Length) and ``short`` (full Content-Length, half the body).
"""

from tracker_db.fake_canvas.dataset import CanvasDataset, CourseData, SubmissionTable
from tracker_db.fake_canvas.generators import (
    DEFAULT_NOW,
    HOSTILE_NAMES,
    TEACHER_ID,
    build_demo_dataset,
    build_synthetic_dataset,
)
from tracker_db.fake_canvas.server import FakeCanvas, Fault, ThrottleConfig

__all__ = [
    "DEFAULT_NOW",
    "HOSTILE_NAMES",
    "TEACHER_ID",
    "CanvasDataset",
    "CourseData",
    "FakeCanvas",
    "Fault",
    "SubmissionTable",
    "ThrottleConfig",
    "build_demo_dataset",
    "build_synthetic_dataset",
]
