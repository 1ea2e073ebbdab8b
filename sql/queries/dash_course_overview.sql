-- Dashboard overview: one row per course in layer 1 that is active and not archived, with
-- its active students (layer 0), their mean and median current score, missing and late
-- work (excused left out), and when the course was last synced (the last sync whose Canvas
-- data contained it). Parameter: $last_sync_id (NULL before the first sync).
-- A student in two sections has two enrollments with the same course grade: grouping by
-- (course, student) counts them once (measured cheaper than ranking them with a window).
-- Missing and late flags are rare, so each is scanned on its own: DuckDB then reads the
-- other columns only around flagged rows.
WITH hidden_students AS (
    SELECT object_id AS student_id FROM lifecycle.hidden_objects
    WHERE object_type = 'student'
),
hidden_courses AS (
    SELECT object_id AS course_id FROM lifecycle.hidden_objects
    WHERE object_type = 'course'
),
hidden_assignments AS (
    SELECT object_id AS assignment_id FROM lifecycle.hidden_objects
    WHERE object_type = 'assignment'
),
course_students AS (
    SELECT e.course_id, e.student_id, max(e.current_score) AS current_score
    FROM canvas.enrollments AS e
    ANTI JOIN hidden_students AS h ON h.student_id = e.student_id
    WHERE e.enrollment_state IS DISTINCT FROM 'deleted'
    GROUP BY e.course_id, e.student_id
),
scores AS (
    SELECT course_id, count(*) AS students, avg(current_score) AS mean_score,
           median(current_score) AS median_score
    FROM course_students GROUP BY course_id
),
flagged AS (
    SELECT course_id, student_id, assignment_id, excused, 1 AS missing, 0 AS late
    FROM canvas.submissions WHERE missing
    UNION ALL
    SELECT course_id, student_id, assignment_id, excused, 0, 1
    FROM canvas.submissions WHERE late
),
work AS (
    SELECT f.course_id, sum(f.missing) AS missing_count, sum(f.late) AS late_count
    FROM flagged AS f
    ANTI JOIN hidden_students AS h ON h.student_id = f.student_id
    ANTI JOIN hidden_assignments AS a ON a.assignment_id = f.assignment_id
    WHERE NOT coalesce(f.excused, false)
    GROUP BY f.course_id
),
seen AS (
    SELECT o.object_id AS course_id, r.finished_at AS last_synced_at
    FROM lifecycle.object_status AS o
    JOIN ops.sync_runs AS r ON r.sync_id = o.last_seen_sync
    WHERE o.object_type = 'course'
)
SELECT c.course_id, c.name, c.course_code, c.term_name, c.workflow_state,
       coalesce(m.tracking_enabled, true) AS tracked,
       coalesce(s.students, 0) AS students, s.mean_score, s.median_score,
       coalesce(w.missing_count, 0)::BIGINT AS missing_count,
       coalesce(w.late_count, 0)::BIGINT AS late_count,
       coalesce(seen.last_synced_at, (
           SELECT max(finished_at) FROM ops.sync_runs
           WHERE status = 'succeeded' AND sync_id = $last_sync_id
       )) AS last_synced_at
FROM canvas.courses AS c
ANTI JOIN hidden_courses AS h ON h.course_id = c.course_id
LEFT JOIN scores AS s USING (course_id)
LEFT JOIN work AS w USING (course_id)
LEFT JOIN seen USING (course_id)
LEFT JOIN meta.course_metadata AS m USING (course_id)
ORDER BY c.name, c.course_id
