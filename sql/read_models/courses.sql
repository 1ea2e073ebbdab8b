-- Courses as they stand now. Read models only: nothing here writes.

-- name: course_overview
-- One row per course in layer 1 that is active and not archived, with
-- its active students (layer 0), their mean and median current score, missing and late
-- work (excused left out), and when the course was last synced (the last sync whose Canvas
-- data contained it). Parameter: $last_sync_id (NULL before the first sync).
-- Scores and work come from summary.course_students (one row per course and student, written
-- by the sync), so no submission is read here.
WITH scores AS (
    SELECT s.course_id, count(*) AS students, avg(s.current_score) AS mean_score,
           median(s.current_score) AS median_score,
           sum(s.missing_count) AS missing_count, sum(s.late_count) AS late_count
    FROM summary.course_students AS s
    ANTI JOIN lifecycle.hidden_students AS h USING (student_id)
    WHERE s.listed AND s.enrollment_state IS DISTINCT FROM 'deleted'
    GROUP BY s.course_id
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
       coalesce(s.missing_count, 0)::BIGINT AS missing_count,
       coalesce(s.late_count, 0)::BIGINT AS late_count,
       coalesce(seen.last_synced_at, (
           SELECT max(finished_at) FROM ops.sync_runs
           WHERE status = 'succeeded' AND sync_id = $last_sync_id
       )) AS last_synced_at
FROM canvas.courses AS c
ANTI JOIN lifecycle.hidden_courses AS h ON h.course_id = c.course_id
LEFT JOIN scores AS s USING (course_id)
LEFT JOIN seen USING (course_id)
LEFT JOIN meta.course_metadata AS m USING (course_id)
ORDER BY c.name, c.course_id
