-- Per-course summary: enrolled students (any state but deleted), mean and median current
-- score, missing and late submission counts, and when the course was last synced.
WITH course_students AS (
    SELECT * FROM canvas.course_students WHERE enrollment_state IS DISTINCT FROM 'deleted'
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
    SELECT course_id,
           count(*) FILTER (WHERE missing AND NOT coalesce(excused, false)) AS missing_count,
           count(*) FILTER (WHERE late AND NOT coalesce(excused, false)) AS late_count
    FROM canvas.submissions GROUP BY course_id
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
       (SELECT last_synced_at FROM last_sync) AS last_synced_at
FROM canvas.courses AS c
LEFT JOIN scores AS s USING (course_id)
LEFT JOIN work AS w USING (course_id)
ORDER BY c.name, c.course_id
