"""Build a program-scale tracker database directly with DuckDB SQL (no Canvas, no sync).

Usage: python bench/build_program_db.py [--out bench/out/program.duckdb] [--courses 2000
       --students 100000 --per-student 5 --assignments 15 --syncs 10]

Defaults: 2,000 courses, 100,000 students in 5 courses each (500,000 enrollments), 15
assignments per course (7.5 million submissions in layer 1), and 10 syncs of history: every
key on the first sync, then about 30 % of course grades and 5 % of assignment scores changing
per sync, which gives about 1.85 million ``grade_history`` and 10.9 million
``assignment_scores`` rows. Values come from hashes of the keys and the sync number, so the
database is the same on every build, and layer 1 holds exactly the values of the latest
history row of each key, as a real sync would leave it, except for about 1 % of the
(course, student) pairs, which left their course at the last sync (history only). Lifecycle
rows mark about 2 % of the students inactive and a few archived; 40 curricula of 50
scattered courses each, tags and groups for 20,000 students, and notes for 5,000 fill layer
3. One failed run follows the last successful one. The change logs hold what the syncs
after the first would have appended: a 'gone' row at the last sync for each dropped pair that
was active (``lifecycle.enrollment_changes``; no 'added' rows, every pair is there from sync
1), and ``summary.work_changes`` (about 3.3 million rows), derived with the rest of the
summary schema last, as a sync would leave it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tracker_db.maintenance import rebuild_summaries
from tracker_db.migrate import open_database

COURSE_BASE = 10_000
STUDENT_BASE = 1_000_000
ASSIGNMENT_BASE = 200_000
SECTION_BASE = 50_000
GROUP_BASE = 80_000
CURRICULA = 40

FIRST = ["Ada", "Ben", "Chloé", "Dmitri", "Elena", "Farah", "Gus", "Hana", "Ivo", "Jun",
         "Kofi", "Lena", "Mateo", "Nia", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tao"]
LAST = ["Andersen", "Baker", "Castillo", "Dubois", "Eriksen", "Fischer", "García", "Haddad",
        "Ivanova", "Jensen", "Kim", "Lindqvist", "Moreau", "Nakamura", "O'Brien", "Patel",
        "Rossi", "Schmidt", "Tanaka", "Yilmaz"]
SUBJECTS = ["BIO", "CHEM", "ENG", "HIST", "MATH", "PHYS", "SPAN", "ART", "CS", "ECON"]
TAGS = ["ell", "iep", "athlete", "honors", "watch", "transfer", "504", "gifted", "mentor", "new"]
GROUPS = ["Group A", "Group B", "Group C", "Group D", "Tutoring", "Advisory 1", "Advisory 2"]


def _sql_list(values: list[str]) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def build(path: Path, *, courses: int, students: int, per_student: int, assignments: int,
          syncs: int) -> dict[str, int]:
    """Create the database at ``path`` (replacing it) and return row counts per table."""
    if path.exists():
        path.unlink()
    wal = path.with_name(path.name + ".wal")
    if wal.exists():
        wal.unlink()
    manager = open_database(path)  # migrated, empty
    spacing = max(1, courses // per_student)  # a student's courses are this far apart
    with manager.session() as c:
        c.execute("SET enable_progress_bar = false")
        c.execute(f"""
            CREATE TEMP MACRO pick(list_, h) AS list_[(h % len(list_))::INTEGER + 1];
            CREATE TEMP MACRO sync_time(s) AS
                TIMESTAMPTZ '2026-11-26 06:00:00+00' - INTERVAL 7 DAY * ({syncs} - s);
            -- Assignment-score values of a key as of the sync that last changed it.
            CREATE TEMP MACRO a_roll(a, s, k) AS hash(a, s, k) % 100;
            CREATE TEMP MACRO g_score(c, s, k) AS round(45 + (hash(c, s, k + 7) % 550) / 10, 1);
        """)

        c.execute(f"""
            INSERT INTO canvas.courses
            SELECT {COURSE_BASE} + i AS course_id,
                   CASE WHEN i = 7 THEN 'HIST 120: World History <script>alert(1)</script>'
                        ELSE pick({_sql_list(SUBJECTS)}, hash(i)) || ' ' || (100 + i % 400)
                             || '-' || (i // 400 + 1) || ': Course ' || i END AS name,
                   pick({_sql_list(SUBJECTS)}, hash(i)) || ' ' || (100 + i % 400)
                       || '-' || (i // 400 + 1) AS course_code,
                   'available', 1, 7, 'Fall 2026',
                   TIMESTAMPTZ '2026-08-20 08:00:00+00', NULL, 'UTC', NULL, false
            FROM range({courses}) t(i)
        """)
        c.execute(f"""
            INSERT INTO canvas.sections
            SELECT {SECTION_BASE} + i * 2 + k, {COURSE_BASE} + i, 'Section 0' || (k + 1),
                   NULL, NULL
            FROM range({courses}) t(i), range(2) u(k)
        """)
        c.execute(f"""
            INSERT INTO canvas.students
            SELECT {STUDENT_BASE} + i AS student_id,
                   CASE WHEN i = 3 THEN '<b>bold</b> Baker'
                        ELSE pick({_sql_list(FIRST)}, hash(i, 1)) || ' '
                             || pick({_sql_list(LAST)}, hash(i, 2)) END AS name,
                   CASE WHEN i = 3 THEN 'Baker, <b>bold</b>'
                        ELSE pick({_sql_list(LAST)}, hash(i, 2)) || ', '
                             || pick({_sql_list(FIRST)}, hash(i, 1)) END AS sortable_name,
                   NULL, 's' || ({STUDENT_BASE} + i), 'SIS' || i
            FROM range({students}) t(i)
        """)
        # Each student takes per_student courses spaced evenly from a hashed start; rows are
        # ordered by course, as a sync (which fetches course by course) writes them.
        c.execute(f"""
            INSERT INTO canvas.enrollments
            WITH pairs AS (
                SELECT {COURSE_BASE} + ((hash(i, 3) % {courses}) + j * {spacing})
                           % {courses} AS course_id,
                       {STUDENT_BASE} + i AS student_id
                FROM range({students}) t(i), range({per_student}) u(j)
            )
            SELECT row_number() OVER (ORDER BY course_id, student_id) + 5000000,
                   course_id,
                   {SECTION_BASE} + (course_id - {COURSE_BASE}) * 2 + hash(student_id) % 2,
                   student_id,
                   CASE WHEN hash(course_id, student_id) % 100 < 94 THEN 'active'
                        WHEN hash(course_id, student_id) % 100 < 97 THEN 'completed'
                        WHEN hash(course_id, student_id) % 100 < 99 THEN 'inactive'
                        ELSE 'invited' END,
                   NULL, NULL, NULL, NULL, TIMESTAMPTZ '2026-11-20 12:00:00+00', 3600
            FROM pairs ORDER BY course_id, student_id
        """)
        c.execute(f"""
            INSERT INTO canvas.assignment_groups
            SELECT {GROUP_BASE} + i * 3 + k, {COURSE_BASE} + i,
                   ['Homework', 'Labs', 'Exams'][k + 1], k + 1, NULL
            FROM range({courses}) t(i), range(3) u(k)
        """)
        c.execute(f"""
            INSERT INTO canvas.assignments
            SELECT {ASSIGNMENT_BASE} + i * {assignments} + k, {COURSE_BASE} + i,
                   {GROUP_BASE} + i * 3 + k % 3,
                   ['Homework ', 'Lab ', 'Exam '][k % 3 + 1] || (k // 3 + 1),
                   [10.0, 20.0, 100.0][k % 3 + 1],
                   TIMESTAMPTZ '2026-09-01 21:59:00+00' + INTERVAL 6 DAY * k,
                   true, 'points', false, k + 1
            FROM range({courses}) t(i), range({assignments}) u(k)
        """)

        # Layer 2, one sync at a time, in sync order (each sync appends).
        c.execute("""
            CREATE TEMP TABLE score_keys AS
            SELECT e.course_id, a.assignment_id, e.student_id, a.points_possible, a.due_at
            FROM canvas.enrollments AS e JOIN canvas.assignments AS a USING (course_id)
            ORDER BY e.course_id, a.assignment_id, e.student_id
        """)
        for s in range(1, syncs + 1):
            c.execute(f"""
                INSERT INTO history.grade_history
                SELECT {s}, sync_time({s}), course_id, student_id, enrollment_state,
                       g_score(course_id, {s}, student_id),
                       round(g_score(course_id, {s}, student_id) * 0.9, 1), NULL, NULL,
                       section_id
                FROM canvas.enrollments
                WHERE {s} = 1 OR hash(course_id, student_id, {s}) % 100 < 30
                ORDER BY course_id, student_id
            """)
            c.execute(f"""
                INSERT INTO history.assignment_scores
                SELECT {s}, sync_time({s}), course_id, assignment_id, student_id,
                       CASE WHEN a_roll(assignment_id, {s}, student_id) < 4 THEN NULL
                            ELSE round(points_possible * (40 + hash(assignment_id, student_id,
                                 {s} + 50) % 61) / 100, 1) END AS score,
                       NULL AS grade,
                       CASE WHEN a_roll(assignment_id, {s}, student_id) < 4 THEN 'unsubmitted'
                            ELSE 'graded' END,
                       a_roll(assignment_id, {s}, student_id) BETWEEN 4 AND 11 AS late,
                       a_roll(assignment_id, {s}, student_id) < 4 AS missing,
                       a_roll(assignment_id, {s}, student_id) = 99 AS excused,
                       CASE WHEN a_roll(assignment_id, {s}, student_id) >= 4 THEN due_at
                            + INTERVAL 1 DAY * (a_roll(assignment_id, {s}, student_id)
                                                BETWEEN 4 AND 11)::INT
                            - INTERVAL 1 HOUR END,
                       CASE WHEN a_roll(assignment_id, {s}, student_id) >= 4
                            THEN due_at + INTERVAL 3 DAY END
                FROM score_keys
                WHERE {s} = 1 OR hash(assignment_id, student_id, {s}) % 100 < 5
            """)

        # Layer 1 holds the latest history values (the value of the last changing sync).
        last_grade = " , ".join(
            f"CASE WHEN hash(course_id, student_id, {s}) % 100 < 30 THEN {s} ELSE 1 END"
            for s in range(2, syncs + 1)
        ) or "1"
        c.execute(f"""
            CREATE TEMP TABLE grade_last AS
            SELECT course_id, student_id, greatest(1, {last_grade}) AS s
            FROM canvas.enrollments
        """)
        c.execute("""
            UPDATE canvas.enrollments AS e
            SET current_score = g_score(e.course_id, g.s, e.student_id),
                final_score = round(g_score(e.course_id, g.s, e.student_id) * 0.9, 1)
            FROM grade_last AS g
            WHERE g.course_id = e.course_id AND g.student_id = e.student_id
        """)
        last_score = " , ".join(
            f"CASE WHEN hash(assignment_id, student_id, {s}) % 100 < 5 THEN {s} ELSE 1 END"
            for s in range(2, syncs + 1)
        ) or "1"
        c.execute(f"""
            INSERT INTO canvas.submissions
            WITH keyed AS (
                SELECT *, greatest(1, {last_score}) AS s FROM score_keys
            )
            SELECT 9000000 + row_number() OVER (ORDER BY course_id, assignment_id, student_id),
                   assignment_id, course_id, student_id,
                   CASE WHEN a_roll(assignment_id, s, student_id) < 4 THEN 'unsubmitted'
                        ELSE 'graded' END,
                   CASE WHEN a_roll(assignment_id, s, student_id) < 4 THEN NULL
                        ELSE round(points_possible * (40 + hash(assignment_id, student_id,
                             s + 50) % 61) / 100, 1) END,
                   NULL,
                   CASE WHEN a_roll(assignment_id, s, student_id) >= 4 THEN due_at
                        + INTERVAL 1 DAY * (a_roll(assignment_id, s, student_id)
                                            BETWEEN 4 AND 11)::INT
                        - INTERVAL 1 HOUR END,
                   CASE WHEN a_roll(assignment_id, s, student_id) >= 4
                        THEN due_at + INTERVAL 3 DAY END,
                   a_roll(assignment_id, s, student_id) BETWEEN 4 AND 11,
                   a_roll(assignment_id, s, student_id) < 4,
                   a_roll(assignment_id, s, student_id) = 99,
                   NULL, 1, NULL
            FROM keyed ORDER BY course_id, assignment_id, student_id
        """)

        c.execute(f"""
            INSERT INTO ops.sync_runs (sync_id, started_at, finished_at, status, source,
                courses, sections, students, enrollments, assignment_groups, assignments,
                submissions, grade_history_rows, assignment_score_rows, duration_seconds)
            SELECT s, sync_time(s), sync_time(s) + INTERVAL 90 SECOND, 'succeeded',
                   'https://program.example.edu', {courses}, {courses * 2}, {students},
                   {students * per_student}, {courses * 3}, {courses * assignments},
                   {students * per_student * assignments},
                   (SELECT count(*) FROM history.grade_history h WHERE h.sync_id = s),
                   (SELECT count(*) FROM history.assignment_scores h WHERE h.sync_id = s), 90.0
            FROM range(1, {syncs} + 1) t(s)
        """)
        c.execute(f"""
            INSERT INTO ops.sync_runs (sync_id, started_at, finished_at, status, source,
                duration_seconds, error)
            VALUES ({syncs + 1}, sync_time({syncs}) + INTERVAL 1 HOUR,
                    sync_time({syncs}) + INTERVAL 1 HOUR + INTERVAL 5 SECOND, 'failed',
                    'https://program.example.edu', 5.0,
                    'Canvas failed /api/v1/courses with 503 Service Unavailable 5 times')
        """)

        # About 1 % of (course, student) pairs left their course at the last sync: Canvas no
        # longer lists them, their history stays (the Students page shows them when asked).
        c.execute("""
            CREATE TEMP TABLE dropped_pairs AS
            SELECT course_id, student_id,
                   bool_or(enrollment_state IN ('active', 'invited')) AS was_active
            FROM canvas.enrollments
            WHERE hash(course_id, student_id, 77) % 100 = 0
            GROUP BY course_id, student_id
        """)
        for table in ("canvas.enrollments", "canvas.submissions"):
            c.execute(f"DELETE FROM {table} WHERE (course_id, student_id) IN "
                      "(SELECT course_id, student_id FROM dropped_pairs)")
        c.execute(f"""
            INSERT INTO lifecycle.enrollment_status
            SELECT course_id, student_id,
                   bool_or(enrollment_state IN ('active', 'invited')), 1, {syncs},
                   CASE WHEN NOT bool_or(enrollment_state IN ('active', 'invited'))
                        THEN sync_time({syncs}) END,
                   CASE WHEN NOT bool_or(enrollment_state IN ('active', 'invited'))
                        THEN 'enrollment ' || min(enrollment_state) END
            FROM canvas.enrollments GROUP BY course_id, student_id
            UNION ALL
            SELECT course_id, student_id, false, 1, {syncs} - 1, sync_time({syncs}), 'absent'
            FROM dropped_pairs
        """)
        # The log of comings and goings, as the syncs after the first would have appended it:
        # every pair was there from sync 1 (nothing added), and the dropped pairs that were
        # active went at the last sync (one already inactive was no change).
        c.execute(f"""
            INSERT INTO lifecycle.enrollment_changes BY NAME
            SELECT {syncs} AS sync_id, course_id, student_id, 'gone' AS change,
                   'absent' AS reason
            FROM dropped_pairs
            WHERE was_active AND {syncs} > 1
            ORDER BY course_id, student_id
        """)

        # Layer 0: everything active except ~2 % of students (a few of them archived).
        c.execute(f"""
            INSERT INTO lifecycle.object_status
            SELECT 'course', course_id, true, 1, {syncs}, NULL, NULL, false, false, NULL, NULL,
                   NULL, name FROM canvas.courses
            UNION ALL
            SELECT 'assignment', assignment_id, true, 1, {syncs}, NULL, NULL, false, false,
                   NULL, NULL, course_id, name FROM canvas.assignments
            UNION ALL
            SELECT 'student', student_id, hash(student_id, 9) % 100 >= 2, 1,
                   CASE WHEN hash(student_id, 9) % 100 >= 2 THEN {syncs} ELSE {syncs} - 1 END,
                   CASE WHEN hash(student_id, 9) % 100 < 2 THEN sync_time({syncs}) END,
                   CASE WHEN hash(student_id, 9) % 100 < 2 THEN 'enrollment inactive' END,
                   hash(student_id, 9) % 100 = 0 AND hash(student_id, 10) % 2 = 0,
                   hash(student_id, 9) % 100 = 0 AND hash(student_id, 10) % 2 = 1,
                   NULL, NULL, NULL, name
            FROM canvas.students
        """)

        # Layer 3.
        c.execute(f"""
            INSERT INTO meta.curricula (curriculum_id, name, description, color, start_date)
            SELECT 'program-' || k, 'Program ' || k, 'Courses ' || k || ' mod {CURRICULA}',
                   '#' || lpad(to_hex((hash(k) % 16777216)::BIGINT), 6, '0'),
                   DATE '2026-08-20'
            FROM range({CURRICULA}) t(k)
        """)
        c.execute(f"""
            INSERT INTO meta.curriculum_courses
            SELECT 'program-' || (i % {CURRICULA}), {COURSE_BASE} + i
            FROM range({courses}) t(i)
        """)
        c.execute(f"""
            INSERT INTO meta.course_metadata (course_id, notes, tags, color, course_hours,
                                              tracking_enabled)
            SELECT {COURSE_BASE} + i, 'Room ' || i, ['core'], NULL, 60, true
            FROM range(0, {courses}, 4) t(i)
        """)
        c.execute(f"""
            INSERT INTO meta.student_metadata (student_id, tags, custom_group)
            SELECT {STUDENT_BASE} + i,
                   [pick({_sql_list(TAGS)}, hash(i, 4))],
                   CASE WHEN i % 2 = 0 THEN pick({_sql_list(GROUPS)}, hash(i, 5)) END
            FROM range(0, {students}, 5) t(i)
        """)
        c.execute(f"""
            INSERT INTO meta.student_notes (note_id, student_id, body, created_at)
            SELECT uuid(), {STUDENT_BASE} + (i * 20) % {students}, 'Check-in note ' || i,
                   TIMESTAMPTZ '2026-11-01 00:00:00+00' + INTERVAL 1 MINUTE * i
            FROM range(5000) t(i)
        """)
        # The sync writes these in its transaction; a database built in SQL derives them here.
        rebuild_summaries(cur=c)
        c.execute("CHECKPOINT")
        counts = {}
        for table in ("canvas.courses", "canvas.students", "canvas.enrollments",
                      "canvas.assignments", "canvas.submissions", "history.grade_history",
                      "history.assignment_scores", "summary.work_changes",
                      "lifecycle.object_status", "lifecycle.enrollment_changes",
                      "meta.student_metadata"):
            (n,) = c.execute(f"SELECT count(*) FROM {table}").fetchone()
            counts[table] = int(n)
    manager.close()
    return counts


def main() -> None:
    """Build the database and print its row counts."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path,
                        default=Path(__file__).resolve().parent / "out" / "program.duckdb")
    parser.add_argument("--courses", type=int, default=2000)
    parser.add_argument("--students", type=int, default=100_000)
    parser.add_argument("--per-student", type=int, default=5)
    parser.add_argument("--assignments", type=int, default=15)
    parser.add_argument("--syncs", type=int, default=10)
    args = parser.parse_args()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    counts = build(args.out, courses=args.courses, students=args.students,
                   per_student=args.per_student, assignments=args.assignments,
                   syncs=args.syncs)
    for table, n in counts.items():
        print(f"{table:<28} {n:>12,}")
    history = counts["history.grade_history"] + counts["history.assignment_scores"]
    print(f"{'history rows':<28} {history:>12,}")
    print(f"built {args.out} in {time.perf_counter() - t:.1f} s "
          f"({args.out.stat().st_size / 1e6:,.0f} MB)")


if __name__ == "__main__":
    main()
