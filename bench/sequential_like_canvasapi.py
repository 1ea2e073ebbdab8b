"""Fetch what a full sync fetches the way an afternoon's canvasapi script does: one request at
a time, Canvas's default page size, one Python object per JSON object.

Usage: python bench/sequential_like_canvasapi.py BASE_URL TOKEN

This is the yardstick of issue 14 ("over 25x faster than the sequential canvasapi script").
With the ``canvasapi`` package installed it runs the real thing::

    canvas = Canvas(base_url, token)
    canvas.get_current_user()
    for course in canvas.get_courses(enrollment_type="teacher"):
        course.get_sections(); course.get_enrollments(type=["StudentEnrollment"])
        course.get_assignment_groups(); course.get_assignments()
        course.get_multiple_submissions(student_ids="all")

Without it (the project does not depend on canvasapi), the same requests are made the way
canvasapi makes them: ``requests`` sequentially, no ``per_page`` (Canvas then sends 10 per
page), each next page from the ``Link`` header, and each object made into an attribute
object whose ISO dates are parsed (canvasapi's ``CanvasObject.set_attributes``). Prints one
JSON line: seconds, requests, objects, and which of the two ran.
"""

from __future__ import annotations

import json
import re
import sys
import time
from datetime import datetime
from typing import Any

import requests

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


class CanvasObjectLike:
    """One JSON object as canvasapi holds it: attributes, dates parsed to ``*_date``."""

    def __init__(self, attributes: dict[str, Any]) -> None:
        for name, value in attributes.items():
            setattr(self, name, value)
            if isinstance(value, str) and _DATE.match(value):
                setattr(self, f"{name}_date", datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ"))


class Sequential:
    """canvasapi's Requester and PaginatedList, reduced to what a full fetch uses."""

    def __init__(self, base_url: str, token: str) -> None:
        self.api = base_url.rstrip("/") + "/api/v1/"
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"
        self.requests = 0

    def get(self, url: str, params: list[tuple[str, str]] | None = None) -> requests.Response:
        self.requests += 1
        response = self.session.get(url, params=params, timeout=60)
        response.raise_for_status()
        return response

    def paginated(self, path: str, params: list[tuple[str, str]] | None = None) -> list[Any]:
        url: str | None = self.api + path
        items: list[Any] = []
        while url:
            response = self.get(url, params)
            params = None
            items.extend(CanvasObjectLike(row) for row in response.json())
            url = response.links.get("next", {}).get("url")
        return items


def run_like_canvasapi(base_url: str, token: str) -> tuple[int, int]:
    """The emulation: returns (requests, objects)."""
    canvas = Sequential(base_url, token)
    CanvasObjectLike(canvas.get(canvas.api + "users/self").json())
    objects = 0
    courses = canvas.paginated("courses", [("enrollment_type", "teacher")])
    for course in courses:
        for path, params in (
            ("sections", None),
            ("enrollments", [("type[]", "StudentEnrollment")]),
            ("assignment_groups", None),
            ("assignments", None),
            ("students/submissions", [("student_ids[]", "all")]),
        ):
            objects += len(canvas.paginated(f"courses/{course.id}/{path}", params))
    return canvas.requests, objects + len(courses)


def run_canvasapi(base_url: str, token: str) -> tuple[int, int]:
    """The real canvasapi (requests are not counted by it: -1)."""
    from canvasapi import Canvas  # type: ignore[import-not-found]

    canvas = Canvas(base_url, token)
    canvas.get_current_user()
    objects = 0
    courses = list(canvas.get_courses(enrollment_type="teacher"))
    for course in courses:
        objects += len(list(course.get_sections()))
        objects += len(list(course.get_enrollments(type=["StudentEnrollment"])))
        objects += len(list(course.get_assignment_groups()))
        objects += len(list(course.get_assignments()))
        objects += len(list(course.get_multiple_submissions(student_ids="all")))
    return -1, objects + len(courses)


def main() -> None:
    """Fetch once and print the figures as one JSON line."""
    base_url, token = sys.argv[1], sys.argv[2]
    started = time.perf_counter()
    try:
        import canvasapi  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        kind = "canvasapi-like (canvasapi is not installed)"
        made, objects = run_like_canvasapi(base_url, token)
    else:
        kind = "canvasapi"
        made, objects = run_canvasapi(base_url, token)
    seconds = time.perf_counter() - started
    print(json.dumps({"kind": kind, "seconds": seconds, "requests": made, "objects": objects}))


if __name__ == "__main__":
    main()
