"""Builders for fake Canvas data: a hand-shaped demo set and a fast program-scale synthetic set.

Both are deterministic for a given seed (and ``now``). The demo set is small and full of the
awkward cases a sync must survive; the synthetic set is large and plain, and stores its
submissions compactly (see ``CompactGrid``).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tracker_db.fake_canvas.dataset import (
    CELL_EXCUSED,
    CELL_GRADED,
    CELL_GRADED_LATE,
    CELL_MISSING,
    CELL_SUBMITTED,
    DEFAULT_SCHEME,
    DEFAULT_TERM,
    HTML_BASE,
    AssignmentFacts,
    CanvasDataset,
    CompactGrid,
    CourseData,
    Json,
    assignment_json,
    course_json,
    enrollment_json,
    epoch_z,
    grade_text,
    group_json,
    iso_offset,
    iso_z,
    placeholder_row,
    section_json,
    user_json,
)

# The dataset's "now" unless a caller passes one: fixed, so builds are reproducible.
DEFAULT_NOW = datetime(2026, 11, 20, 17, 0, 0, tzinfo=UTC)

TEACHER_ID = 5001
TA_ID = 5002
OTHER_TEACHER_ID = 5003

# Names that break naive HTML, Markdown, CSV, SQL or font handling; the demo puts them in
# course 101.
HOSTILE_NAMES: tuple[str, ...] = (
    'Bob "The Builder" O\'Brien',
    "<script>alert(1)</script>",
    "<b>bold</b> Baker",
    "Zoë 🚀 Müller",
    "王小明",
    "محمد العلي",
    "Анна Иванова",
    "Martin Luther King, Jr.",
    "José Álvarez-Núñez",
    "Nguyễn Thị Minh Khai",
    "李娜",
    "فاطمة الزهراء",
    "Дмитрий Смирнов",
    "🦄 Unicorn Lee",
    # Markdown that must stay text: a link, an image, a mail link and a bare web address.
    "[Siobhán](https://evil.example/p) ![x](https://evil.example/x.png) "
    "<mailto:s@evil.example> www.evil.example",
)
_FIRST = (
    "Ava", "Liam", "Maya", "Noah", "Chloé", "Ethan", "Priya", "Lucas", "Amara", "Diego",
    "Hana", "Omar", "Sofia", "Kenji", "Ingrid", "Mateo", "Leila", "Finn", "Aisha", "Jonas",
    "Yara", "Theo", "Nia", "Felix", "Elena", "Samir", "Greta", "Ravi", "Isla", "Tomás",
)  # fmt: skip
_LAST = (
    "Smith", "García", "Nakamura", "Okafor", "Johansson", "Patel", "Kowalski", "Nguyen",
    "Rossi", "Schmidt", "Haddad", "Fernández", "Kim", "Dubois", "Andersen", "Mbeki",
    "O'Connor", "Costa", "Yilmaz", "Novak", "Singh", "Reyes", "Ivanova", "Lindqvist",
)  # fmt: skip


def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except ZoneInfoNotFoundError:  # a system without tz data: fall back to UTC due times
        return None


def _local_due(
    now: datetime, days: float, zone_name: str, hour: int = 23, minute: int = 59
) -> datetime:
    """A due date ``days`` from now at a local wall-clock time (23:59 by default)."""
    zone = _zone(zone_name)
    day = (now + timedelta(days=days)).astimezone(zone or UTC)
    return day.replace(hour=hour, minute=minute, second=0, microsecond=0).astimezone(UTC)


def _term_name(start: datetime) -> str:
    season = "Spring" if start.month <= 5 else "Summer" if start.month <= 7 else "Fall"
    return f"{season} {start.year}"


def _term(term_id: int, start: datetime, end: datetime) -> Json:
    return {
        "id": term_id,
        "name": _term_name(start),
        "start_at": iso_z(start),
        "end_at": iso_z(end),
    }


# --------------------------------------------------------------------------------------------
# demo dataset


@dataclass
class _A:
    """An assignment in a demo course spec."""

    name: str
    group: int
    points: float | None
    days: float | None  # due relative to now; None = no due date
    grading_type: str = "points"
    published: bool = True
    types: tuple[str, ...] = ("online_upload",)
    omit: bool = False


@dataclass
class _C:
    """A demo course spec."""

    course_id: int
    name: str
    code: str
    state: str
    term: str  # "current", "previous" or "none"
    zone: str
    groups: list[tuple[str, float]]
    assignments: list[_A]
    sections: list[tuple[str, str | None, int | None]]
    n_students: int
    weighted: bool = False
    scheme: bool = False
    token_role: str = "teacher"
    offset_hours: int | None = None  # render this course's timestamps with a +HH:00 offset
    late_deduction: float = 0.0  # share of points_possible taken off late work
    hostile: bool = False
    extra: dict[str, object] = field(default_factory=dict)


def _demo_specs() -> list[_C]:
    hw, lab, exam = 0, 1, 2
    bio = _C(
        101,
        "BIO 101: Introduction to Biology",
        "BIO 101",
        "available",
        "current",
        "America/Denver",
        [("Homework", 30.0), ("Labs", 30.0), ("Exams", 40.0)],
        [
            _A("Homework 1: Cells", hw, 10, -80),
            _A("Homework 2: DNA & RNA", hw, 10, -66),
            _A('Lab 1: <b>Microscopy</b> & "Staining"', lab, 20, -60),
            _A("Homework 3: Mitosis", hw, 10.0, -52),
            _A("Lab Safety Agreement", lab, 1, -85, "pass_fail", types=("online_text_entry",)),
            _A("Reading Check: Chapter 4", hw, 100, -45, "percent", types=("online_quiz",)),
            _A("Quiz 1", exam, 25, -40, types=("online_quiz",)),
            _A("Lab 2: 光合作用 🌱 Photosynthesis", lab, 20, -30),
            _A("Midterm Exam", exam, 100, -25, types=("on_paper",)),
            _A("Bonus: Science Fair", hw, 0, -20, types=("on_paper",)),
            _A("Attendance", hw, None, None, "not_graded", types=("none",)),
            _A("Practice Quiz (not counted)", exam, 10, -15, types=("online_quiz",), omit=True),
            _A("Homework 4: Genetics", hw, 10, -5),
            _A("Lab 3: Enzymes", lab, 20, 3),
            _A("Homework 5: Evolution (draft)", hw, 10, 10, published=False),
            _A("Final Exam", exam, 150, 25, published=False, types=("on_paper",)),
        ],
        [
            ("BIO 101 - Section 01", "BIO101-01", None),
            ("BIO 101 - Section 02", "BIO101-02", None),
            ("BIO 101 - Lab A", "BIO101-LA", None),
            ("BIO 101H - Honors (cross-listed)", "BIO101H-01", 150),
        ],
        40,
        late_deduction=0.1,
        hostile=True,
    )
    essays, quizzes, part = 0, 1, 2
    eng = _C(
        102,
        "ENG 210: O'Brien's \"Modern\" Poetry <b>Honors</b> ✍️",
        "ENG 210",
        "available",
        "current",
        "America/New_York",
        [("Essays", 40.0), ("Quizzes", 35.5), ("Participation", 24.5)],
        [
            _A("Essay 1: «Ode to Autumn»", essays, 100, -70, "letter_grade"),
            _A("Quiz 1", quizzes, 10, -75, types=("online_quiz",)),
            _A("Participation: September", part, 10, -55, "gpa_scale", types=("none",)),
            _A("Quiz 2", quizzes, 10, -60, types=("online_quiz",)),
            _A("Quiz 3", quizzes, 10, -45, types=("online_quiz",)),
            _A("Essay 2: O'Brien's \"Dublin\"", essays, 100, -40, "letter_grade"),
            _A("Quiz 4", quizzes, 10, -30, types=("online_quiz",)),
            _A("Participation: October", part, 10, -25, "gpa_scale", types=("none",)),
            _A("Quiz 5", quizzes, 10, -15, types=("online_quiz",)),
            _A("Quiz 6", quizzes, 10, -2, types=("online_quiz",)),
            _A("Essay 3: <script>alert('essay')</script>", essays, 100, 12, "letter_grade"),
            _A("Participation: November", part, 10, 8, "gpa_scale", types=("none",)),
            _A("Essay 4 (hidden draft)", essays, 100, 30, "letter_grade", published=False),
        ],
        [("ENG 210-001", "ENG210-001", None), ("ENG 210-002", "ENG210-002", None)],
        38,
        weighted=True,
        scheme=True,
    )
    hw_m, tests, quiz_m = 0, 1, 2
    mat = _C(
        103,
        "МАТ 150 Математика · 数学 · الرياضيات 📐",  # noqa: RUF001 (hostile on purpose)
        "MAT 150",
        "available",
        "none",
        "Europe/Berlin",
        [("Домашние задания", 0.0), ("Контрольные", 0.0), ("小测验", 0.0)],
        [
            *(_A(f"Домашнее задание {n}", hw_m, 10, -84 + 9 * n) for n in range(1, 9)),
            _A("Контрольная работа 1", tests, 50, -50, types=("on_paper",)),
            _A("Контрольная работа 2", tests, 50, -10, types=("on_paper",)),
            _A("واجب إضافي ⭐ (bonus)", hw_m, 0, -33),
            *(
                _A(f"小测验 {n}", quiz_m, 5, -70 + 15 * n, types=("online_quiz",))
                for n in range(1, 5)
            ),
            _A("Discussion: Введение", hw_m, None, -60, types=("discussion_topic",)),
            _A("Exam Σ", tests, 100, 20, types=("on_paper",)),
            _A("Entwurf (unveröffentlicht)", hw_m, 10, 15, published=False),
        ],
        [("МАТ 150 Группа А", None, None), ("МАТ 150 Группа Б", None, None)],  # noqa: RUF001
        40,
        offset_hours=1,
    )
    hist = _C(
        104,
        "HIST 120: World History <script>alert(1)</script>",
        "HIST 120",
        "completed",
        "previous",
        "America/Chicago",
        [("Assignments", 50.0), ("Exams", 50.0)],
        [
            *(_A(f"Reading Response {n}", 0, 10, -300 + 10 * n) for n in range(1, 10)),
            _A("Midterm", 1, 100, -250, types=("on_paper",)),
            _A("Research Paper", 0, 50, -210),
            _A("Final Exam", 1, 100, -195, types=("on_paper",)),
        ],
        [("HIST 120-01", "HIST120-01", None)],
        36,
    )
    span = _C(
        105,
        "SPAN 101: Español I 🇪🇸",
        "SPAN 101",
        "available",
        "current",
        "America/Los_Angeles",
        [("Tareas", 0.0), ("Exámenes", 0.0)],
        [
            *(_A(f"Tarea {n}", 0, 10, -80 + 10 * n) for n in range(1, 9)),
            _A("Examen parcial", 1, 100, -35),
            _A("Examen final", 1, 100, 24),
        ],
        [("SPAN 101-01", "SPAN101-01", None)],
        25,
        token_role="student",
    )
    empty = _C(
        106,
        "CS 499: Independent Study",
        "CS 499",
        "unpublished",
        "current",
        "America/Denver",
        [],
        [],
        [("CS 499: Independent Study", None, None)],
        0,
    )
    return [bio, eng, mat, hist, span, empty]


class _DemoBuilder:
    """Builds the demo dataset; one instance per build."""

    def __init__(self, seed: int, now: datetime) -> None:
        self.rng = random.Random(seed)
        self.now = now.astimezone(UTC).replace(microsecond=0)
        teacher = user_json(TEACHER_ID, "Dana Whitfield", "T-1001", "dwhitfield@school.test")
        self.ds = CanvasDataset(
            {
                **teacher,
                "avatar_url": f"{HTML_BASE}/images/messages/avatar-50.png",
                "locale": None,
                "effective_locale": "en",
                "permissions": {"can_update_name": True, "can_update_avatar": True},
            },
            self.now,
        )
        self.ds.users[TEACHER_ID] = teacher
        self.ds.users[TA_ID] = user_json(TA_ID, "Grace Hopper", "T-1002", "ghopper@school.test")
        self.ds.users[OTHER_TEACHER_ID] = user_json(
            OTHER_TEACHER_ID, "Prof. Mateo García", "T-1003", "mgarcia@school.test"
        )
        self.ds.next_id("user", 5001, 3)
        start = self.now - timedelta(days=88)
        self.current_term = _term(
            2, start.replace(hour=6, minute=0, second=0), self.now + timedelta(days=29)
        )
        prev_start = self.now - timedelta(days=320)
        self.previous_term = _term(
            3, prev_start.replace(hour=6, minute=0, second=0), self.now - timedelta(days=185)
        )
        self.pool = self._make_pool(150)

    def _make_pool(self, size: int) -> list[int]:
        names = list(HOSTILE_NAMES)
        combos = [f"{f} {last}" for f in _FIRST for last in _LAST]
        self.rng.shuffle(combos)
        names.extend(combos[: size - len(names)])
        pool = []
        for name in names:
            uid = self.ds.next_id("user", 5001)
            sis = None if uid % 9 == 0 else f"S{uid:07d}"
            self.ds.users[uid] = user_json(uid, name, sis, f"s{uid}@school.test")
            pool.append(uid)
        return pool

    def _ts(self, spec: _C, moment: datetime) -> str:
        if spec.offset_hours is not None:
            return iso_offset(moment, spec.offset_hours)
        # A few timestamps elsewhere carry offsets too, as some Canvas ones do.
        if self.rng.random() < 0.05:
            return iso_offset(moment, self.rng.choice((-7, -5, 2)))
        return iso_z(moment)

    def build(self) -> CanvasDataset:
        for spec in _demo_specs():
            self._course(spec)
        for course_id in self.ds.courses:
            self.ds.refresh_grades(course_id)
        return self.ds

    def _course(self, spec: _C) -> None:
        ds, rng, now = self.ds, self.rng, self.now
        term = {"current": self.current_term, "previous": self.previous_term}.get(spec.term)
        term = dict(term) if term else dict(DEFAULT_TERM)
        course = CourseData(
            course_json(
                spec.course_id,
                spec.name,
                spec.code,
                spec.state,
                term,
                spec.zone,
                spec.weighted,
                spec.scheme,
                term["start_at"],
                term["end_at"],
            ),
            term,
            scheme=DEFAULT_SCHEME if spec.scheme else None,
        )
        ds.courses[spec.course_id] = course
        ds.next_id("course", spec.course_id + 1)
        for name, sis, xlist in spec.sections:
            section_id = ds.next_id("section", 3001)
            course.sections.append(section_json(section_id, spec.course_id, name, sis, xlist))
        main_section = course.sections[0]["id"]

        # Staff first, as Canvas lists them by creation.
        staff_state = "completed" if spec.state == "completed" else "active"
        if spec.token_role == "teacher":
            self._enroll(course, main_section, TEACHER_ID, "TeacherEnrollment", staff_state)
            if spec.course_id == 101:
                self._enroll(course, main_section, TA_ID, "TaEnrollment", "active")
        else:
            self._enroll(course, main_section, OTHER_TEACHER_ID, "TeacherEnrollment", "active")

        roster = self._roster(spec)
        states = self._roster_states(spec, roster)
        for n, uid in enumerate(roster):
            section = course.sections[n % min(2, len(course.sections))]["id"]
            self._enroll(course, section, uid, "StudentEnrollment", states[uid])
        # Students in two sections: one user, two enrollment ids.
        if spec.course_id == 101:
            for uid in roster[:3]:
                self._enroll(course, course.sections[2]["id"], uid, "StudentEnrollment", "active")
            for uid in roster[3:7]:
                self._enroll(course, course.sections[3]["id"], uid, "StudentEnrollment", "active")
        elif spec.course_id == 102:
            self._enroll(course, course.sections[1]["id"], roster[0], "StudentEnrollment", "active")
        test_student = None
        if spec.token_role == "teacher" and roster:
            test_student = ds.next_id("user", 5001)
            ds.users[test_student] = {
                **user_json(test_student, "Test Student", None, f"testuser_{spec.course_id}"),
                "sortable_name": "Student, Test",
                "short_name": "Test Student",
            }
            self._enroll(course, main_section, test_student, "StudentViewEnrollment", "active")

        for position, (name, weight) in enumerate(spec.groups, start=1):
            group_id = ds.next_id("assignment_group", 801)
            course.assignment_groups.append(group_json(group_id, name, position, weight))
        per_group: dict[int, int] = {}
        dues: dict[int, datetime | None] = {}
        for a in spec.assignments:
            assignment_id = ds.next_id("assignment", 90001)
            group = course.assignment_groups[a.group]
            per_group[a.group] = per_group.get(a.group, 0) + 1
            due = _local_due(now, a.days, spec.zone) if a.days is not None else None
            dues[assignment_id] = due
            created = now - timedelta(days=100 if spec.term != "previous" else 330)
            course.assignments.append(
                assignment_json(
                    assignment_id,
                    spec.course_id,
                    a.name,
                    group["id"],
                    per_group[a.group],
                    a.points,
                    a.grading_type,
                    self._ts(spec, due) if due else None,
                    a.published,
                    list(a.types),
                    iso_z(created),
                    omit_from_final_grade=a.omit,
                )
            )
        # Canvas lists assignments by group position, then position within the group.
        order = {g["id"]: g["position"] for g in course.assignment_groups}
        course.assignments.sort(key=lambda x: (order[x["assignment_group_id"]], x["position"]))

        students = [*roster, *([test_student] if test_student else [])]
        if spec.token_role == "student":
            students.append(TEACHER_ID)
            self._enroll(course, main_section, TEACHER_ID, "StudentEnrollment", "active")
        table = course.submissions
        for assignment in course.assignments:
            table.add_assignment(assignment["id"])
        for uid in students:
            table.add_user(uid)
        for uid in sorted(students):
            ability = min(0.99, max(0.35, rng.gauss(0.8, 0.12)))
            for assignment in course.assignments:
                sid = ds.next_id("submission", 7_000_001)
                if uid == test_student:
                    row = self._test_student_row(spec, sid, assignment, uid, dues[assignment["id"]])
                else:
                    row = self._row(
                        spec,
                        course,
                        sid,
                        assignment,
                        uid,
                        ability,
                        dues[assignment["id"]],
                        states.get(uid, "active"),
                    )
                table.put(row)

    def _roster(self, spec: _C) -> list[int]:
        if spec.n_students == 0:
            return []
        rest = self.pool[len(HOSTILE_NAMES) :]
        if spec.hostile:
            picks = list(self.pool[: len(HOSTILE_NAMES)])
            picks += self.rng.sample(rest, spec.n_students - len(picks))
        else:
            # Other courses share a few of the hostile names too, and many ordinary students.
            picks = self.rng.sample(self.pool[: len(HOSTILE_NAMES)], 3)
            picks += self.rng.sample(rest, spec.n_students - 3)
        return picks

    def _roster_states(self, spec: _C, roster: list[int]) -> dict[int, str]:
        states = dict.fromkeys(roster, "completed" if spec.state == "completed" else "active")
        if spec.course_id == 101:
            # The hostile names stay active; the odd states go to the tail of the roster.
            states[roster[-1]] = "deleted"
            states[roster[-2]] = "invited"
            states[roster[-3]] = "completed"
            states[roster[-4]] = "inactive"
            states[roster[-5]] = "inactive"
        elif spec.course_id == 102:
            states[roster[-1]] = "inactive"
            states[roster[-2]] = "invited"
        elif spec.course_id == 103:
            states[roster[-1]] = "completed"
            states[roster[-2]] = "deleted"
        elif spec.course_id == 104:
            states[roster[-1]] = "inactive"
        return states

    def _enroll(self, course: CourseData, section_id: int, uid: int, kind: str, state: str) -> Json:
        rng = self.rng
        if state == "invited":
            last_activity, activity = None, 0
        else:
            seen = self.now - timedelta(seconds=rng.randint(600, 20 * 86_400))
            if state == "completed":
                seen -= timedelta(days=60)
            last_activity = iso_z(seen)
            activity = rng.randint(600, 300_000)
        enrollment = enrollment_json(
            self.ds.next_id("enrollment", 40001),
            course.id,
            section_id,
            self.ds.users[uid],
            kind,
            state,
            last_activity,
            activity,
        )
        course.enrollments.append(enrollment)
        return enrollment

    def _test_student_row(
        self, spec: _C, sid: int, assignment: Json, uid: int, due: datetime | None
    ) -> Json:
        row = placeholder_row(sid, assignment["id"], uid)
        # The teacher tried the student view on the first two graded assignments.
        if (
            assignment["published"]
            and assignment["points_possible"]
            and assignment["position"] <= 2
            and due is not None
            and due < self.now
        ):
            submitted = due - timedelta(hours=30)
            score = float(assignment["points_possible"])
            grade = grade_text(assignment["grading_type"], score, score, DEFAULT_SCHEME)
            row.update(
                workflow_state="graded",
                score=score,
                grade=grade,
                entered_score=score,
                entered_grade=grade,
                submitted_at=self._ts(spec, submitted),
                graded_at=self._ts(spec, submitted + timedelta(hours=2)),
                attempt=1,
                excused=False,
            )
        return row

    def _row(
        self,
        spec: _C,
        course: CourseData,
        sid: int,
        assignment: Json,
        uid: int,
        ability: float,
        due: datetime | None,
        state: str,
    ) -> Json:
        rng, now = self.rng, self.now
        row = placeholder_row(sid, assignment["id"], uid)
        r = rng.random()
        if not assignment["published"] or state == "invited":
            return row
        points = assignment["points_possible"]
        kind = assignment["grading_type"]
        past = due is not None and due < now
        quiz = "online_quiz" in assignment["submission_types"]
        paper = set(assignment["submission_types"]) & {"on_paper", "none"}

        def submitted_on_time() -> datetime:
            anchor = due if due is not None and due < now else now
            return anchor - timedelta(seconds=rng.randint(300, 4 * 86_400))

        def graded_after(moment: datetime) -> datetime:
            return min(
                moment + timedelta(seconds=rng.randint(3_600, 6 * 86_400)),
                now - timedelta(minutes=5),
            )

        if kind == "not_graded" or points is None:
            if r < 0.6 and (past or due is None):
                row.update(
                    workflow_state="submitted",
                    submitted_at=self._ts(spec, submitted_on_time()),
                    attempt=1,
                    excused=False,
                )
            return row
        if past:
            outcome = (
                "excused" if r < 0.03
                else "missing" if r < 0.07
                else "marked_missing" if r < 0.085
                else "ungraded" if r < 0.12
                else "late" if r < 0.22
                else "graded"
            )  # fmt: skip
        else:
            outcome = "unsubmitted" if r < 0.65 else "ungraded" if r < 0.85 else "graded"
        if paper and outcome in ("ungraded", "late"):
            outcome = "graded"  # paper work has no submission of its own to be late or pending
        if points == 0 and outcome in ("missing", "marked_missing", "excused"):
            outcome = "graded"
        if outcome == "unsubmitted":
            return row
        if outcome == "missing":
            row["missing"] = True
            return row
        if outcome == "excused":
            row.update(
                workflow_state="graded",
                excused=True,
                graded_at=self._ts(spec, graded_after(due or now)),
            )
            return row
        if outcome == "marked_missing":
            stamp = self._ts(spec, graded_after(due or now))
            grade = grade_text(kind, points, 0.0, course.scheme)
            row.update(
                workflow_state="graded",
                score=0.0,
                grade=grade,
                entered_score=0.0,
                entered_grade=grade,
                graded_at=stamp,
                missing=True,
                excused=False,
                late_policy_status="missing",
            )
            return row
        row["excused"] = False
        row["attempt"] = 1 if rng.random() < 0.85 else 2
        if outcome == "late" and due is not None:
            seconds_late = rng.randint(120, 3 * 86_400)
            submitted = min(due + timedelta(seconds=seconds_late), now - timedelta(minutes=30))
            row["late"] = True
            row["seconds_late"] = int((submitted - due).total_seconds())
            if rng.random() < 0.2:
                row["late_policy_status"] = "late"
        else:
            submitted = submitted_on_time()
        if not paper:
            row["submitted_at"] = self._ts(spec, submitted)
        if outcome == "ungraded":
            row["workflow_state"] = "pending_review" if quiz and rng.random() < 0.5 else "submitted"
            return row
        raw = self._score(float(points), kind, ability)
        score = raw
        if row["late"] and spec.late_deduction and points:
            deducted = round(spec.late_deduction * float(points), 2)
            score = max(0.0, raw - deducted)
            row["points_deducted"] = deducted
        score_out: float | int = score
        if spec.offset_hours is not None and score == int(score):
            score_out = int(score)  # this course's numbers arrive as 7 rather than 7.0
        row.update(
            workflow_state="graded",
            score=score_out,
            grade=grade_text(kind, points, score, course.scheme),
            entered_score=raw,
            entered_grade=grade_text(kind, points, raw, course.scheme),
            graded_at=self._ts(spec, graded_after(submitted)),
        )
        return row

    def _score(self, points: float, kind: str, ability: float) -> float:
        rng = self.rng
        if points == 0:
            return float(rng.choice((1, 2, 3, 5)))  # pure extra credit
        if kind == "pass_fail":
            return points if rng.random() < ability + 0.1 else 0.0
        share = min(1.0, max(0.15, rng.gauss(ability, 0.1)))
        if ability > 0.8 and rng.random() < 0.06:
            share = 1.0 + rng.choice((0.05, 0.1, 0.2))  # extra credit: above 100 %
        return round(share * points * 2) / 2


def build_demo_dataset(seed: int = 7, now: datetime | None = None) -> CanvasDataset:
    """Build the realistic, hand-shaped demo dataset.

    Six courses (ids 101-106); the token user (id 5001, "Dana Whitfield") teaches 101-104 and
    106 and is only a student in 105. See the package docstring for the special cases.

    Args:
        seed: Seed for names, scores and timestamps.
        now: The dataset's "now"; due dates and terms are placed around it. Defaults to a fixed
            moment so builds are reproducible; pass ``datetime.now(UTC)`` for a live demo.

    Returns:
        A fresh dataset (a few thousand submissions).
    """
    return _DemoBuilder(seed, now or DEFAULT_NOW).build()


# --------------------------------------------------------------------------------------------
# synthetic dataset

_SUBJECTS = (
    "BIO", "CHEM", "PHYS", "MATH", "ENG", "HIST", "ECON", "PSYC", "CS", "ART", "MUS", "SPAN",
)  # fmt: skip
_TITLES = (
    "Foundations", "Methods", "Seminar", "Laboratory", "Topics", "Workshop", "Studio", "Survey",
)  # fmt: skip
_POINTS = (10.0, 20.0, 5.0, 100.0, 25.0, 10.0, 15.0, 50.0)
_GROUPS = (("Homework", 40.0), ("Quizzes", 20.0), ("Labs", 15.0), ("Exams", 25.0))


def build_synthetic_dataset(
    courses: int = 200,
    students_per_course: int = 100,
    assignments_per_course: int = 50,
    seed: int = 1,
    *,
    now: datetime | None = None,
    test_students: bool = False,
    progress: Callable[[int], None] | None = None,
) -> CanvasDataset:
    """Build a plain, program-scale dataset quickly.

    The token user (id 5001) teaches every course. Students come from a shared pool (each
    takes about four courses), every enrollment is an active ``StudentEnrollment`` in one of
    two sections, and every assignment is published, so bulk submissions return exactly
    ``courses * students_per_course * assignments_per_course`` rows (plus one row per
    assignment per course for the test student when ``test_students`` is set). Submissions
    live in compact arrays and are rendered per page.

    Args:
        courses: Number of courses (ids from 101).
        students_per_course: Students enrolled in each course.
        assignments_per_course: Assignments (all published) per course.
        seed: Seed; the same arguments give the same dataset.
        now: The dataset's "now" (default fixed, for reproducibility).
        test_students: Also give each course a "Test Student" (``StudentViewEnrollment``).
        progress: Called with the number of courses built so far.

    Returns:
        The dataset.
    """
    now = (now or DEFAULT_NOW).astimezone(UTC).replace(microsecond=0)
    rng = random.Random(seed)
    teacher = user_json(TEACHER_ID, "Dana Whitfield", "T-1001", "dwhitfield@school.test")
    ds = CanvasDataset({**teacher, "locale": None, "effective_locale": "en"}, now)
    ds.users[TEACHER_ID] = teacher
    ds.next_id("user", 5001, 1)
    term = _term(2, now - timedelta(days=88), now + timedelta(days=29))
    term_start = now - timedelta(days=85)
    now_epoch = now.timestamp()

    pool_size = max(students_per_course, (courses * students_per_course) // 4)
    pool: list[int] = []
    for n in range(pool_size):
        uid = ds.next_id("user", 5001)
        first = _FIRST[n % len(_FIRST)]
        last = _LAST[(n // len(_FIRST)) % len(_LAST)]
        # Past first x last combinations, a roman-ish suffix keeps names distinct.
        suffix = f" {n // (len(_FIRST) * len(_LAST)) + 1}" if n >= len(_FIRST) * len(_LAST) else ""
        ds.users[uid] = user_json(
            uid, f"{first} {last}{suffix}", f"S{uid:07d}", f"s{uid}@school.test"
        )
        pool.append(uid)

    students = students_per_course
    n_assign = assignments_per_course
    for c in range(courses):
        course_id = ds.next_id("course", 101)
        weighted = c % 3 == 2
        scheme = c % 5 == 4
        name = f"{_SUBJECTS[c % len(_SUBJECTS)]} {100 + c}: {_TITLES[c % len(_TITLES)]}"
        course = CourseData(
            course_json(
                course_id,
                name,
                f"{_SUBJECTS[c % len(_SUBJECTS)]} {100 + c}",
                "available",
                term,
                "America/Denver",
                weighted,
                scheme,
                term["start_at"],
                term["end_at"],
            ),
            dict(term),
            scheme=DEFAULT_SCHEME if scheme else None,
        )
        ds.courses[course_id] = course
        for s in range(2):
            course.sections.append(
                section_json(
                    ds.next_id("section", 3001),
                    course_id,
                    f"{name} - Section {s + 1:02d}",
                    f"SEC-{course_id}-{s + 1}",
                )
            )
        sections = [sec["id"] for sec in course.sections]

        def enroll(uid: int, kind: str, section: int, c_id: int = course_id) -> None:
            ds.courses[c_id].enrollments.append(
                enrollment_json(
                    ds.next_id("enrollment", 40001),
                    c_id,
                    section,
                    ds.users[uid],
                    kind,
                    "active",
                    iso_z(now - timedelta(hours=1 + uid % 200)),
                    3_600 + uid % 50_000,
                )
            )

        enroll(TEACHER_ID, "TeacherEnrollment", sections[0])
        roster = sorted(rng.sample(pool, students))
        for n, uid in enumerate(roster):
            enroll(uid, "StudentEnrollment", sections[n % 2])
        grid_users = list(roster)
        if test_students:
            test_id = ds.next_id("user", 5001)
            ds.users[test_id] = {
                **user_json(test_id, "Test Student", None, f"testuser_{course_id}"),
                "sortable_name": "Student, Test",
            }
            enroll(test_id, "StudentViewEnrollment", sections[0])
            grid_users.append(test_id)

        for position, (group_name, weight) in enumerate(_GROUPS, start=1):
            course.assignment_groups.append(
                group_json(ds.next_id("assignment_group", 801), group_name, position, weight)
            )
        facts: dict[int, AssignmentFacts] = {}
        assignment_ids: list[int] = []
        points_list: list[float] = []
        future: list[bool] = []
        span = (now + timedelta(days=21) - term_start).total_seconds()
        for j in range(n_assign):
            assignment_id = ds.next_id("assignment", 90001)
            group = course.assignment_groups[j % len(_GROUPS)]
            points = _POINTS[j % len(_POINTS)]
            kind = "percent" if j % 10 == 9 else "points"
            due_epoch = float(int(term_start.timestamp() + span * (j + 0.5) / n_assign))
            due_epoch += 3_599 - due_epoch % 3_600  # deadlines at hh:59:59
            course.assignments.append(
                assignment_json(
                    assignment_id,
                    course_id,
                    f"{group['name']} {j // len(_GROUPS) + 1}",
                    group["id"],
                    j // len(_GROUPS) + 1,
                    points,
                    kind,
                    epoch_z(due_epoch),
                    True,
                    ["online_upload"],
                    iso_z(term_start - timedelta(days=7)),
                )
            )
            facts[assignment_id] = AssignmentFacts(points, kind, due_epoch)
            assignment_ids.append(assignment_id)
            points_list.append(points)
            future.append(due_epoch > now_epoch)
        order = {g["id"]: g["position"] for g in course.assignment_groups}
        course.assignments.sort(key=lambda x: (order[x["assignment_group_id"]], x["position"]))

        grid = CompactGrid(
            grid_users,
            assignment_ids,
            facts,
            ds.next_id("submission", 7_000_001, len(grid_users) * n_assign),
            now_epoch,
            course.scheme,
        )
        _fill_grid(grid, len(roster), points_list, future, random.Random(rng.random()))
        table = course.submissions
        table.user_ids = sorted(grid_users)
        table.assignment_ids = sorted(assignment_ids)
        table.grid = grid
        ds.refresh_grades(course_id)
        if progress is not None:
            progress(c + 1)
    return ds


def _fill_grid(
    grid: CompactGrid,
    real_students: int,
    points: list[float],
    future: list[bool],
    rng: random.Random,
) -> None:
    """Draw every cell's state and score; rows past ``real_students`` (test students) stay
    unsubmitted."""
    rnd = rng.random
    states = grid.states
    scores = grid.scores
    n_assign = len(points)
    for i in range(real_students):
        ability = 0.55 + 0.4 * rnd()
        base = i * n_assign
        for j in range(n_assign):
            r = rnd()
            if future[j]:
                if r < 0.15:
                    states[base + j] = CELL_SUBMITTED
                continue
            if r < 0.02:
                states[base + j] = CELL_EXCUSED
            elif r < 0.06:
                states[base + j] = CELL_MISSING
            elif r < 0.09:
                states[base + j] = CELL_SUBMITTED
            else:
                share = ability + 0.3 * (r - 0.55)
                share = 1.0 if share > 1.0 else share
                states[base + j] = CELL_GRADED_LATE if r < 0.17 else CELL_GRADED
                scores[base + j] = round(share * points[j] * 2) / 2
