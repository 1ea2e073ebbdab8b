-- Flags: the teachers' rules for when a student needs them, their decisions about each flag,
-- and the per-pair facts the rules read that only a scan of every submission can give.

-- Layer 3. One row per rule a teacher has set (no row: the rule's defaults, which
-- tracker_db.read_models.flags names); a save replaces the rule's row. threshold is a score
-- in percent, points or a count, as the rule says; days a period, for the rules that have one.
CREATE TABLE meta.flag_rules (
    rule VARCHAR NOT NULL,
    enabled BOOLEAN NOT NULL,
    threshold DOUBLE NOT NULL,
    days INTEGER,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Layer 3, append-only: every dismissal and every "flag again" of one rule's flag for one
-- (course, student) pair, with the facts the flag stood on then. A flag is dismissed while
-- its latest decision is a dismissal of the facts it stands on now: when the facts change,
-- it shows again, and the decisions stay as its history.
CREATE TABLE meta.flag_decisions (
    decision_id UUID NOT NULL,
    course_id BIGINT NOT NULL,
    student_id BIGINT NOT NULL,
    rule VARCHAR NOT NULL,
    facts VARCHAR NOT NULL,
    action VARCHAR NOT NULL,           -- 'dismiss' or 'flag again'
    note VARCHAR,
    decided_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- What the streak and inactivity rules read, per pair, derived once per sync.
ALTER TABLE summary.course_students ADD COLUMN last_activity_at TIMESTAMPTZ;
-- missing, not excused work due after the last work handed in (by due date)
ALTER TABLE summary.course_students ADD COLUMN missing_streak BIGINT;
-- late work handed in, due after the last work handed in on time (by due date)
ALTER TABLE summary.course_students ADD COLUMN late_streak BIGINT;
-- the ids of the pair's missing work, and of its late streak, sorted: the facts a dismissal
-- of those flags is about
ALTER TABLE summary.course_students ADD COLUMN missing_assignments VARCHAR;
ALTER TABLE summary.course_students ADD COLUMN late_streak_assignments VARCHAR;

CREATE OR REPLACE MACRO summary.derive_course_students(for_sync_id) AS TABLE
WITH work AS (
    -- Missing and late flags are rare: filtering on them first skips most submissions.
    SELECT course_id, student_id,
           count(*) FILTER (WHERE missing) AS missing_count,
           count(*) FILTER (WHERE late) AS late_count
    FROM canvas.submissions
    WHERE (missing OR late) AND NOT coalesce(excused, false)
    GROUP BY course_id, student_id
),
dated AS NOT MATERIALIZED (
    SELECT s.course_id, s.student_id, s.assignment_id, a.due_at,
           coalesce(s.missing, false) AS missing, coalesce(s.late, false) AS late,
           (s.submitted_at IS NOT NULL
            OR s.workflow_state IN ('submitted', 'graded', 'pending_review')) AS handed_in
    FROM canvas.submissions AS s
    JOIN canvas.assignments AS a USING (assignment_id)
    WHERE NOT coalesce(s.excused, false) AND a.due_at IS NOT NULL
),
marks AS (
    -- the due date of the last work handed in, and of the last handed in on time
    SELECT course_id, student_id,
           max(due_at) FILTER (WHERE handed_in) AS handed_in_due,
           max(due_at) FILTER (WHERE handed_in AND NOT late) AS on_time_due
    FROM dated
    GROUP BY course_id, student_id
),
streaks AS (
    -- only missing and late rows can be in a streak: the rest are skipped early
    SELECT d.course_id, d.student_id,
           count(*) FILTER (WHERE d.missing AND NOT d.handed_in
                            AND d.due_at > coalesce(m.handed_in_due, '-infinity'))
               AS missing_streak,
           count(*) FILTER (WHERE d.late AND d.handed_in
                            AND d.due_at > coalesce(m.on_time_due, '-infinity'))
               AS late_streak,
           string_agg(d.assignment_id::VARCHAR, ',' ORDER BY d.assignment_id)
               FILTER (WHERE d.late AND d.handed_in
                       AND d.due_at > coalesce(m.on_time_due, '-infinity'))
               AS late_streak_assignments
    FROM dated AS d
    JOIN marks AS m USING (course_id, student_id)
    WHERE d.missing OR d.late
    GROUP BY d.course_id, d.student_id
),
missing_ids AS (
    SELECT course_id, student_id,
           string_agg(assignment_id::VARCHAR, ',' ORDER BY assignment_id) AS missing_assignments
    FROM canvas.submissions
    WHERE missing AND NOT coalesce(excused, false)
    GROUP BY course_id, student_id
),
changed AS (
    SELECT course_id, student_id FROM history.grade_history WHERE sync_id = for_sync_id
),
before AS (
    SELECT h.course_id, h.student_id, arg_max_null(h.current_score, h.sync_id) AS score
    FROM history.grade_history AS h
    SEMI JOIN changed USING (course_id, student_id)
    WHERE h.sync_id < for_sync_id
    GROUP BY h.course_id, h.student_id
),
removed AS (
    SELECT es.course_id, es.student_id, arg_max(g.current_score, g.sync_id) AS score
    FROM lifecycle.enrollment_status AS es
    JOIN history.grade_history AS g USING (course_id, student_id)
    ANTI JOIN canvas.enrollments AS e USING (course_id, student_id)
    WHERE NOT es.active
    GROUP BY es.course_id, es.student_id
)
SELECT for_sync_id::BIGINT AS sync_id, s.course_id, s.student_id,
       true AS listed, s.enrollment_id, s.section_id, s.enrollment_state, s.current_score,
       coalesce(w.missing_count, 0) AS missing_count,
       coalesce(w.late_count, 0) AS late_count,
       ch.student_id IS NOT NULL AS grade_changed,
       CASE WHEN ch.student_id IS NULL THEN s.current_score ELSE b.score END AS previous_score,
       s.last_activity_at,
       coalesce(st.missing_streak, 0) AS missing_streak,
       coalesce(st.late_streak, 0) AS late_streak,
       mi.missing_assignments,
       st.late_streak_assignments
FROM canvas.course_students AS s
LEFT JOIN work AS w USING (course_id, student_id)
LEFT JOIN changed AS ch USING (course_id, student_id)
LEFT JOIN before AS b USING (course_id, student_id)
LEFT JOIN streaks AS st USING (course_id, student_id)
LEFT JOIN missing_ids AS mi USING (course_id, student_id)
UNION ALL BY NAME
SELECT for_sync_id::BIGINT AS sync_id, course_id, student_id,
       false AS listed, NULL AS enrollment_id, NULL AS section_id,
       'removed' AS enrollment_state, score AS current_score,
       0 AS missing_count, 0 AS late_count, false AS grade_changed, NULL AS previous_score,
       NULL AS last_activity_at, 0 AS missing_streak, 0 AS late_streak,
       NULL AS missing_assignments, NULL AS late_streak_assignments
FROM removed;

-- The facts for the databases that already have a sync (the latest successful one).
DELETE FROM summary.course_students;
INSERT INTO summary.course_students BY NAME
SELECT * FROM summary.derive_course_students(
    (SELECT max(sync_id) FROM ops.sync_runs WHERE status = 'succeeded'));
