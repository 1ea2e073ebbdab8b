-- The flags the rules raise, derived once per sync and once per change of the rules, so the
-- Overview and Students read them instead of applying eight rules to every enrollment on
-- every view. Derived from layers 0-2 and the rules, never a source of truth; a teacher's
-- decisions about flags stay in meta.flag_decisions, joined when read.

-- One row per flag raised as of the latest successful sync: (course, student, rule), the
-- rule's value, the facts a dismissal holds on and the reason in words.
CREATE TABLE summary.flags (
    course_id BIGINT NOT NULL,
    student_id BIGINT NOT NULL,
    rule VARCHAR NOT NULL,
    value DOUBLE,
    facts VARCHAR,
    reason VARCHAR NOT NULL
);

-- What summary.flags was derived from: the sync and the rules as set (tracker_db.read_models
-- .flags.rules_key). While they are the latest sync and the rules now, readers use it; else
-- they apply the rules themselves. No row: never derived (a database from before this
-- migration, until its next sync or change of the rules).
CREATE TABLE summary.flag_state (
    sync_id BIGINT NOT NULL,
    rules_key VARCHAR NOT NULL
);

-- The (course, student) pairs flags are about, with the facts the rules read: active
-- enrollments Canvas lists, in courses and of students layer 0 does not hide; in the
-- courses of course_ids or of the curricula (empty lists: every course).
CREATE OR REPLACE MACRO summary.flag_pairs(course_ids, curricula) AS TABLE
    SELECT s.course_id, s.student_id, s.current_score, s.previous_score, s.grade_changed,
           s.missing_count, s.missing_streak, s.late_streak, s.missing_assignments,
           s.late_streak_assignments, s.last_activity_at
    FROM summary.course_students AS s
    ANTI JOIN lifecycle.hidden_students USING (student_id)
    ANTI JOIN lifecycle.hidden_courses USING (course_id)
    WHERE s.listed AND s.enrollment_state = 'active'
      AND (len(course_ids) = 0 OR list_contains(course_ids, s.course_id))
      AND (len(curricula) = 0 OR s.course_id IN (
               SELECT course_id FROM meta.curriculum_courses
               WHERE list_contains(curricula, curriculum_id)));

-- A teacher's latest decision about each flag (course, student, rule): a dismissal holds
-- while its facts are the flag's.
CREATE OR REPLACE VIEW meta.latest_flag_decisions AS
SELECT course_id, student_id, rule,
       arg_max(action, decided_at) AS action,
       arg_max(facts, decided_at) AS facts,
       arg_max(note, decided_at) AS note,
       max(decided_at) AS decided_at
FROM meta.flag_decisions
GROUP BY course_id, student_id, rule;
