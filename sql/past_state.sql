-- A past state: every table the pages read, as it stood right after sync $sync_id (dated
-- $dated_at, the time that sync stamped on its history rows and removals), read from the
-- stored layers. Only tracker_db.past_state runs these, and it loads what they return into a
-- throwaway in-memory database: nothing here writes.
--
-- Scores, grades, states and who was enrolled come from layer 2 (history) and layer 0
-- (lifecycle); what layer 2 does not keep (names, points possible, due dates, sections) is
-- what Canvas says now, or the name layer 0 last saw for an object Canvas no longer lists.
-- Teachers' own data (layer 3) and the settings are as they are now.

-- name: successful_syncs
-- Every successful sync with the date the charts give it.
SELECT sync_id, recorded_at FROM history.sync_times ORDER BY sync_id

-- name: load_rows
-- Into the in-memory past state, never the stored database: one table's rows, staged as
-- incoming_past_rows. {table} is one of tracker_db.past_state.PAST_TABLES.
INSERT INTO {table} BY NAME SELECT * FROM incoming_past_rows

-- name: ops_sync_runs
SELECT * FROM ops.sync_runs WHERE sync_id <= $sync_id

-- name: ops_settings
SELECT * FROM ops.settings

-- name: meta_curricula
SELECT * FROM meta.curricula

-- name: meta_curriculum_courses
SELECT * FROM meta.curriculum_courses

-- name: meta_course_metadata
SELECT * FROM meta.course_metadata

-- name: meta_assignment_metadata
SELECT * FROM meta.assignment_metadata

-- name: meta_student_metadata
SELECT * FROM meta.student_metadata

-- name: meta_student_notes
SELECT * FROM meta.student_notes

-- name: meta_flag_rules
SELECT * FROM meta.flag_rules

-- name: meta_flag_decisions
SELECT * FROM meta.flag_decisions

-- name: history_grade_history
SELECT * FROM history.grade_history WHERE sync_id <= $sync_id

-- name: history_assignment_scores
SELECT * FROM history.assignment_scores WHERE sync_id <= $sync_id

-- name: lifecycle_enrollment_changes
SELECT * FROM lifecycle.enrollment_changes WHERE sync_id <= $sync_id

-- name: lifecycle_object_status
-- An object was listed then if that sync fell between the first and the last sync that saw
-- it, and active then if it was listed and is active now or was removed only later (a
-- removal is stamped with its sync's date).
WITH known AS (
    SELECT *,
           last_seen_sync >= $sync_id AND (active OR removed_at > $dated_at) AS active_then
    FROM lifecycle.object_status
    WHERE first_seen_sync <= $sync_id
)
SELECT object_type, object_id, active_then AS active, first_seen_sync,
       least(last_seen_sync, $sync_id) AS last_seen_sync,
       CASE WHEN NOT active_then THEN
           CASE WHEN removed_at <= $dated_at THEN removed_at END END AS removed_at,
       CASE WHEN NOT active_then THEN coalesce(removal_reason, 'absent') END AS removal_reason,
       pending_review AND NOT active_then AS pending_review,
       archived AND NOT active_then AS archived,
       CASE WHEN NOT active_then THEN reviewed_at END AS reviewed_at,
       CASE WHEN reactivated_at <= $dated_at THEN reactivated_at END AS reactivated_at,
       course_id, last_known_name
FROM known

-- name: lifecycle_enrollment_status
-- As object_status, per (course, student) pair; the change log, where it reaches back,
-- also knows a pair that had left by then and came back later.
WITH last_change AS (
    SELECT course_id, student_id, arg_max(change, sync_id) AS change
    FROM lifecycle.enrollment_changes
    WHERE sync_id <= $sync_id
    GROUP BY course_id, student_id
),
known AS (
    SELECT es.*,
           es.last_seen_sync >= $sync_id AND (es.active OR es.removed_at > $dated_at)
           AND coalesce(lc.change, 'added') = 'added' AS active_then
    FROM lifecycle.enrollment_status AS es
    LEFT JOIN last_change AS lc USING (course_id, student_id)
    WHERE es.first_seen_sync <= $sync_id
)
SELECT course_id, student_id, active_then AS active, first_seen_sync,
       least(last_seen_sync, $sync_id) AS last_seen_sync,
       CASE WHEN NOT active_then THEN
           CASE WHEN removed_at <= $dated_at THEN removed_at END END AS removed_at,
       CASE WHEN NOT active_then THEN coalesce(removal_reason, 'absent') END AS removal_reason
FROM known

-- name: canvas_courses
WITH listed AS (
    SELECT object_id AS course_id, last_known_name FROM lifecycle.object_status
    WHERE object_type = 'course' AND first_seen_sync <= $sync_id
      AND last_seen_sync >= $sync_id
)
SELECT c.* FROM canvas.courses AS c SEMI JOIN listed USING (course_id)
UNION ALL BY NAME
SELECT l.course_id, l.last_known_name AS name
FROM listed AS l ANTI JOIN canvas.courses AS c USING (course_id)

-- name: canvas_sections
SELECT s.* FROM canvas.sections AS s
WHERE s.course_id IN (SELECT object_id FROM lifecycle.object_status
                      WHERE object_type = 'course' AND first_seen_sync <= $sync_id
                        AND last_seen_sync >= $sync_id)

-- name: canvas_assignment_groups
SELECT g.* FROM canvas.assignment_groups AS g
WHERE g.course_id IN (SELECT object_id FROM lifecycle.object_status
                      WHERE object_type = 'course' AND first_seen_sync <= $sync_id
                        AND last_seen_sync >= $sync_id)

-- name: canvas_students
WITH listed AS (
    SELECT object_id AS student_id, last_known_name FROM lifecycle.object_status
    WHERE object_type = 'student' AND first_seen_sync <= $sync_id
      AND last_seen_sync >= $sync_id
)
SELECT s.* FROM canvas.students AS s SEMI JOIN listed USING (student_id)
UNION ALL BY NAME
SELECT l.student_id, l.last_known_name AS name, l.last_known_name AS sortable_name
FROM listed AS l ANTI JOIN canvas.students AS s USING (student_id)

-- name: canvas_assignments
WITH listed AS (
    SELECT object_id AS assignment_id, course_id, last_known_name
    FROM lifecycle.object_status
    WHERE object_type = 'assignment' AND first_seen_sync <= $sync_id
      AND last_seen_sync >= $sync_id
)
SELECT a.* FROM canvas.assignments AS a SEMI JOIN listed USING (assignment_id)
UNION ALL BY NAME
SELECT l.assignment_id, l.course_id, l.last_known_name AS name, true AS published
FROM listed AS l ANTI JOIN canvas.assignments AS a USING (assignment_id)

-- name: canvas_enrollments
-- The pairs listed then, with the grades and state history kept for them; the enrollment
-- rows (ids, sections, activity) are today's, or one stand-in row (a negative id, the section
-- history last recorded) for a pair Canvas no longer lists.
WITH listed AS (
    SELECT course_id, student_id FROM lifecycle.enrollment_status
    WHERE first_seen_sync <= $sync_id AND last_seen_sync >= $sync_id
),
grades AS (
    SELECT h.course_id, h.student_id, h.enrollment_state, h.current_score, h.final_score,
           h.current_grade, h.final_grade,
           last_value(h.section_id IGNORE NULLS) OVER (
               PARTITION BY h.course_id, h.student_id ORDER BY h.sync_id
               ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS section_then
    FROM history.grade_history AS h
    SEMI JOIN listed USING (course_id, student_id)
    WHERE h.sync_id <= $sync_id
    QUALIFY row_number() OVER (PARTITION BY h.course_id, h.student_id
                               ORDER BY h.sync_id DESC) = 1
)
SELECT e.enrollment_id, g.course_id, e.section_id, g.student_id, g.enrollment_state,
       g.current_score, g.final_score, g.current_grade, g.final_grade, e.last_activity_at,
       e.total_activity_time
FROM grades AS g
JOIN canvas.enrollments AS e USING (course_id, student_id)
UNION ALL BY NAME
SELECT -row_number() OVER (ORDER BY g.course_id, g.student_id) AS enrollment_id,
       g.* EXCLUDE (section_then), g.section_then AS section_id
FROM grades AS g
ANTI JOIN canvas.enrollments AS e USING (course_id, student_id)

-- name: canvas_submissions
-- Each listed assignment's latest history row per student listed in its course then, with
-- today's submission id and attempt details (a negative stand-in id for a submission Canvas
-- no longer lists).
WITH assignments AS (
    SELECT object_id AS assignment_id FROM lifecycle.object_status
    WHERE object_type = 'assignment' AND first_seen_sync <= $sync_id
      AND last_seen_sync >= $sync_id
),
pairs AS (
    SELECT course_id, student_id FROM lifecycle.enrollment_status
    WHERE first_seen_sync <= $sync_id AND last_seen_sync >= $sync_id
),
latest AS (
    SELECT h.* EXCLUDE (sync_id, recorded_at)
    FROM history.assignment_scores AS h
    SEMI JOIN assignments USING (assignment_id)
    SEMI JOIN pairs USING (course_id, student_id)
    WHERE h.sync_id <= $sync_id
    QUALIFY row_number() OVER (PARTITION BY h.assignment_id, h.student_id
                               ORDER BY h.sync_id DESC) = 1
)
SELECT coalesce(s.submission_id,
                -row_number() OVER (ORDER BY l.assignment_id, l.student_id)) AS submission_id,
       l.*, s.seconds_late, s.attempt, s.late_policy_status
FROM latest AS l
LEFT JOIN canvas.submissions AS s USING (assignment_id, student_id)
