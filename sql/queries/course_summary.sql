-- Per-course summary: enrolled students, mean and median current score, missing and late
-- submission counts (excused ones left out), and when the course was last synced.
-- Parameter: $include_inactive. By default active courses (layer 0) and active or invited
-- enrollments of students who are not archived; with it, every course in layer 1 and every
-- non-deleted enrollment.
WITH hidden_students AS (
    SELECT object_id AS student_id FROM lifecycle.object_status
    WHERE object_type = 'student' AND archived
),
course_students AS (
    SELECT * FROM canvas.course_students
    WHERE enrollment_state IS DISTINCT FROM 'deleted'
      AND ($include_inactive
           OR (enrollment_state IN ('active', 'invited')
               AND student_id NOT IN (SELECT student_id FROM hidden_students)))
),
scores AS (
    SELECT course_id,
           count(*) AS students,
           count(*) FILTER (WHERE enrollment_state = 'active') AS active_students,
           avg(current_score) AS mean_current_score,
           median(current_score) AS median_current_score
    FROM course_students GROUP BY course_id
),
work AS (
    SELECT s.course_id,
           count(*) FILTER (WHERE s.missing AND NOT coalesce(s.excused, false)) AS missing_count,
           count(*) FILTER (WHERE s.late AND NOT coalesce(s.excused, false)) AS late_count
    FROM canvas.submissions AS s
    SEMI JOIN course_students AS e USING (course_id, student_id)
    GROUP BY s.course_id
),
last_sync AS (
    SELECT max(finished_at) AS last_synced_at FROM ops.sync_runs WHERE status = 'succeeded'
)
SELECT c.course_id, c.name, c.course_code, c.workflow_state, c.term_name,
       coalesce(s.students, 0) AS students,
       coalesce(s.active_students, 0) AS active_students,
       s.mean_current_score, s.median_current_score,
       coalesce(w.missing_count, 0) AS missing_count,
       coalesce(w.late_count, 0) AS late_count,
       (SELECT last_synced_at FROM last_sync) AS last_synced_at,
       coalesce(o.active, true) AS active
FROM canvas.courses AS c
LEFT JOIN scores AS s USING (course_id)
LEFT JOIN work AS w USING (course_id)
LEFT JOIN lifecycle.object_status AS o
    ON o.object_type = 'course' AND o.object_id = c.course_id
WHERE $include_inactive OR (coalesce(o.active, true) AND NOT coalesce(o.archived, false))
ORDER BY c.name, c.course_id
