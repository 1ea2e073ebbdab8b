"""Benchmark the dashboard pages: every query each page makes, and each whole page run.

Usage: python bench/bench_pages.py [--program bench/out/program.duckdb] [--skip-demo]
       [--skip-program] [--repeat 5]

Two databases: the demo (built here from the fake Canvas, into a temporary file) and a
program-scale one (2,000 courses, 100,000 students, about 12.7 million history rows; built by
``bench/build_program_db.py`` when the file is missing). Targets: every query under 100 ms
(the "What changed" page's, ``changes``, under 150 ms), every page run under 1.5 s. The
"What changed" page has its queries timed, not yet a page run.

Query figures are the tracker_db functions a page calls, with the page's own arguments:
``first`` is the first call after the database was opened (DuckDB still loading the columns
it needs), ``median`` the median of ``--repeat`` further calls (what a page pays when its
cache is empty after a sync or an edit, with DuckDB warm). Page figures run each page through
Streamlit's AppTest: ``no cache`` with Streamlit's caches cleared first (as after a sync),
``cached`` a rerun that hits them (a teacher clicking around).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from tracker_db.db import set_default_database
from tracker_db.edits import create_curriculum
from tracker_db.migrate import open_database
from tracker_db.read_models import (
    assignment_work,
    changes,
    courses,
    flags,
    removals,
    roster,
    student_record,
    sync_status,
    teacher_data,
    trends,
)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

QUERY_TARGET_MS = 100.0
#: Pages whose queries have a target of their own (ms).
PAGE_QUERY_TARGET_MS = {"changes": 150.0}
PAGE_TARGET_S = 1.5


@dataclass
class Scope:
    """The ids a page run uses on one database."""

    course_id: int
    curriculum_id: str
    student_id: int
    search: str
    first_sync_id: int


def _ms(function: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    t = time.perf_counter()
    result = function()
    first = (time.perf_counter() - t) * 1000
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        function()
        times.append((time.perf_counter() - t) * 1000)
    return first, statistics.median(times), result


def page_queries(scope: Scope) -> dict[str, list[tuple[str, Callable[[], Any]]]]:
    """The query functions each page calls, with its arguments (see pages/*.py)."""

    course = (scope.course_id,)
    spans: dict[int | None, changes.SyncRange | None] = {}

    def resolve(since: int | None = None) -> changes.SyncRange | None:
        spans[since] = changes.resolve_range(since)
        return spans[since]

    def span(since: int | None = None) -> changes.SyncRange | None:
        """The range the page compares, resolved once (its resolve_range row times that)."""
        return spans[since] if since in spans else resolve(since)

    widest = scope.first_sync_id
    return {
        "every page": [
            ("get_sync_state", sync_status.get_sync_state),
        ],
        "Overview": [
            ("get_course_overview", courses.get_course_overview),
            ("get_flag_board()", flags.get_flag_board),
        ],
        "Students": [
            ("get_filter_options", roster.get_filter_options),
            ("get_departures(since 30 days)", lambda: roster.get_departures(
                date.today() - timedelta(days=30))),
            ("get_students_table() no filter", lambda: roster.get_students_table()),
            ("get_students_table(course)",
             lambda: roster.get_students_table(roster.StudentFilters(course_ids=course))),
            ("get_students_table(curriculum)",
             lambda: roster.get_students_table(
                 roster.StudentFilters(curricula=(scope.curriculum_id,)))),
            ("get_students_table(name search)",
             lambda: roster.get_students_table(roster.StudentFilters(search=scope.search))),
            ("get_students_table(inactive too)",
             lambda: roster.get_students_table(roster.StudentFilters(include_inactive=True))),
            ("get_students_table(flagged only)",
             lambda: roster.get_students_table(roster.StudentFilters(flagged=True))),
        ],
        "Student": [
            ("search_students('')", lambda: roster.search_students("", 50)),
            ("get_student_profile", lambda: student_record.get_student_profile(scope.student_id)),
            ("get_student_courses", lambda: student_record.get_student_courses(scope.student_id)),
            ("get_student_score_history",
             lambda: student_record.get_student_score_history(scope.student_id)),
            ("get_student_assignments",
             lambda: student_record.get_student_assignments(scope.student_id)),
            ("get_student_notes", lambda: student_record.get_student_notes(scope.student_id)),
        ],
        "Assignment": [
            ("get_course_assignments(course)",
             lambda: assignment_work.get_course_assignments(scope.course_id)),
            ("get_assignment_work(first)", lambda: assignment_work.get_assignment_work(
                int(assignment_work.get_course_assignments(scope.course_id)["assignment_id"][0]))),
        ],
        "Progress": [
            ("get_score_trend(course)", lambda: trends.get_score_trend(course)),
            ("get_assignment_distribution(course)",
             lambda: trends.get_assignment_distribution(scope.course_id)),
            ("get_submission_trend(course)", lambda: trends.get_submission_trend(course)),
            ("get_curriculum_courses", lambda: trends.get_curriculum_courses(scope.curriculum_id)),
            ("get_score_trend(curriculum)",
             lambda: trends.get_score_trend((), scope.curriculum_id)),
            ("get_course_distribution(curriculum)",
             lambda: trends.get_course_distribution((), scope.curriculum_id)),
            ("get_submission_trend(curriculum)",
             lambda: trends.get_submission_trend((), scope.curriculum_id)),
        ],
        "Metadata": [
            ("get_curricula_table", teacher_data.get_curricula_table),
            ("get_course_metadata_table", teacher_data.get_course_metadata_table),
            ("get_assignment_metadata_table(course)",
             lambda: teacher_data.get_assignment_metadata_table(scope.course_id)),
            ("get_student_metadata_table(all, 500)",
             lambda: teacher_data.get_student_metadata_table(None, "", limit=500)),
        ],
        "Review": [
            ("list_removals(pending)", lambda: removals.list_removals(pending_only=True)),
            ("list_removals(all)", lambda: removals.list_removals(pending_only=False)),
        ],
        "Sync": [
            ("get_recent_runs(50)", lambda: sync_status.get_recent_runs(50)),
        ],
        "changes": [
            ("list_comparable_syncs", changes.list_comparable_syncs),
            ("resolve_range() previous vs latest", resolve),
            ("get_change_counts(latest)", lambda: changes.get_change_counts(span())),
            ("get_change_details(latest)", lambda: changes.get_change_details(span())),
            ("resolve_range(since=first)", lambda: resolve(widest)),
            ("get_change_counts(widest)", lambda: changes.get_change_counts(span(widest))),
            ("get_change_details(widest)", lambda: changes.get_change_details(span(widest))),
            ("get_change_details(latest, course)",
             lambda: changes.get_change_details(span(), course)),
        ],
    }


def bench_queries(path: Path, scope: Scope, repeat: int) -> list[tuple[str, str, float, float]]:
    """Time every page query on a freshly opened database; returns (page, query, first, median)."""
    manager = open_database(path)
    previous = set_default_database(manager)
    rows = []
    try:
        for page, queries in page_queries(scope).items():
            for name, function in queries:
                first, median, _ = _ms(function, repeat)
                rows.append((page, name, first, median))
    finally:
        set_default_database(previous)
        manager.close()
    return rows


def bench_pages(path: Path, scope: Scope) -> list[tuple[str, float, float]]:
    """Run every page through AppTest; returns (page, no-cache seconds, cached seconds)."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    os.environ["TRACKER_DB_PATH"] = str(path)
    app = str(ROOT / "app.py")
    runs: list[tuple[str, str | None, dict[str, str], Callable[[AppTest], None] | None]] = [
        ("Overview", None, {}, None),
        ("Students", "pages/students.py", {}, None),
        ("Students, one course", "pages/students.py", {},
         lambda at: at.multiselect(key="f_courses").set_value([scope.course_id])),
        ("Student", "pages/student.py", {"student_id": str(scope.student_id)}, None),
        ("Progress, course", "pages/progress.py", {}, None),
        ("Progress, curriculum", "pages/progress.py", {},
         lambda at: at.radio(key="p_view").set_value("Curriculum")),
        ("Assignment", "pages/assignment.py", {"course_id": str(scope.course_id)}, None),
        ("What changed", "pages/what_changed.py", {}, None),
        ("Overview, a past sync", None, {},
         lambda at: at.toggle(key="past_on_widget").set_value(True)),
        ("Metadata", "pages/metadata.py", {}, None),
        ("Review removals", "pages/review_removals.py", {}, None),
        ("Sync", "pages/sync.py", {}, None),
    ]
    results = []
    st.cache_resource.clear()
    set_default_database(None)
    for label, page, query, interact in runs:
        at = AppTest.from_file(app, default_timeout=120)
        at.run()  # the app shell and the default page (opens the database once)
        if page:
            at.switch_page(page)
            at.query_params.update(query)
            at.run()
        if interact:
            interact(at)
            at.run()
        if at.exception:
            raise RuntimeError(f"{label}: {[e.value for e in at.exception]}")
        st.cache_data.clear()  # as after a sync: every read misses the cache
        t = time.perf_counter()
        at.run()
        no_cache = time.perf_counter() - t
        t = time.perf_counter()
        at.run()
        cached = time.perf_counter() - t
        if at.exception:
            raise RuntimeError(f"{label}: {[e.value for e in at.exception]}")
        results.append((label, no_cache, cached))
    st.cache_resource.clear()
    set_default_database(None)
    return results


def print_queries(title: str, rows: list[tuple[str, str, float, float]]) -> None:
    others = "".join(f", {page} {ms:.0f} ms" for page, ms in PAGE_QUERY_TARGET_MS.items())
    print(f"\n{title}: queries (ms; target {QUERY_TARGET_MS:.0f} ms{others})")
    print(f"  {'page':<11} {'query':<40} {'first':>8} {'median':>8}")
    for page, name, first, median in rows:
        target = PAGE_QUERY_TARGET_MS.get(page, QUERY_TARGET_MS)
        flag = "" if median < target else "  OVER"
        print(f"  {page:<11} {name:<40} {first:8.1f} {median:8.1f}{flag}")


def print_pages(title: str, rows: list[tuple[str, float, float]]) -> None:
    print(f"\n{title}: page runs (s; target {PAGE_TARGET_S} s)")
    print(f"  {'page':<24} {'no cache':>9} {'cached':>8}")
    for label, no_cache, cached in rows:
        flag = "" if no_cache < PAGE_TARGET_S else "  OVER"
        print(f"  {label:<24} {no_cache:9.2f} {cached:8.2f}{flag}")


def demo_database(folder: Path) -> tuple[Path, Scope]:
    """Build the demo database (and one curriculum) into ``folder``."""

    from tracker_db.sync.demo import load_demo_data

    path = folder / "demo.duckdb"
    manager = open_database(path)
    with manager.session() as cur:
        load_demo_data(cur=cur)
        create_curriculum("Year 9 Science", course_ids=[101, 103], cur=cur)
        (first_sync_id,) = cur.execute(
            "SELECT min(sync_id) FROM history.sync_times").fetchone()
    manager.close()
    return path, Scope(course_id=101, curriculum_id="year-9-science", student_id=5006,
                       search="baker", first_sync_id=int(first_sync_id))


def program_database(path: Path) -> tuple[Path, Scope]:
    """Return the program-scale database, building it first if it is missing."""
    if not path.exists():
        from build_program_db import build

        print(f"building {path} (takes about a minute)...")
        path.parent.mkdir(parents=True, exist_ok=True)
        build(path, courses=2000, students=100_000, per_student=5, assignments=15, syncs=10)

    manager = open_database(path)
    with manager.session() as cur:
        student_id, course_id = cur.execute(
            "SELECT student_id, min(course_id) FROM canvas.enrollments "
            "WHERE enrollment_state = 'active' GROUP BY 1 ORDER BY 1 LIMIT 1 OFFSET 500"
        ).fetchone()
        curriculum_id = cur.execute(
            "SELECT min(curriculum_id) FROM meta.curricula").fetchone()[0]
        (first_sync_id,) = cur.execute(
            "SELECT min(sync_id) FROM history.sync_times").fetchone()
        history = cur.execute(
            "SELECT (SELECT count(*) FROM history.grade_history) "
            "+ (SELECT count(*) FROM history.assignment_scores)").fetchone()[0]
    manager.close()
    print(f"program database {path}: {history:,} history rows")
    return path, Scope(course_id=int(course_id), curriculum_id=curriculum_id,
                       student_id=int(student_id), search="baker",
                       first_sync_id=int(first_sync_id))


def bench_past_state(path: Path) -> tuple[int, float, int]:
    """Rebuild the state of the sync before the latest; returns (sync, seconds, rows)."""
    from tracker_db.past_state import open_past_state

    manager = open_database(path)
    try:
        with manager.session() as cur:
            previous = changes.list_comparable_syncs(cur=cur)["sync_id"][1]
            t = time.perf_counter()
            past = open_past_state(int(previous), cur=cur)
            seconds = time.perf_counter() - t
            rows = sum(past.rows.values())
            past.close()
    finally:
        manager.close()
    return int(previous), seconds, rows


def print_past_state(title: str, figures: tuple[int, float, int]) -> None:
    sync_id, seconds, rows = figures
    print(f"\n{title}: rebuilding the state after sync {sync_id} (the sidebar's past sync, "
          f"an export --as-of): {seconds:.2f} s, {rows:,} rows")


def main() -> None:
    """Run the benchmarks and print their figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--program", type=Path, default=ROOT / "bench" / "out" / "program.duckdb")
    parser.add_argument("--skip-demo", action="store_true")
    parser.add_argument("--skip-program", action="store_true")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")

    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_demo:
            path, scope = demo_database(Path(tmp))
            print_queries("demo database", bench_queries(path, scope, args.repeat))
            print_pages("demo database", bench_pages(path, scope))
            print_past_state("demo database", bench_past_state(path))
        if not args.skip_program:
            source, scope = program_database(args.program)
            # Page runs write nothing, but work on a copy so the built file stays pristine.
            path = Path(tmp) / "program.duckdb"
            shutil.copy(source, path)
            print_queries("program scale", bench_queries(path, scope, args.repeat))
            print_pages("program scale", bench_pages(path, scope))
            print_past_state("program scale", bench_past_state(path))


if __name__ == "__main__":
    main()
