-- Course scores over time for a scope (courses and/or a curriculum): at every successful
-- sync, the number of scored students and their mean, median and quartiles (layer 2,
-- carried forward between changes; deleted and invited enrollments left out).
-- Parameters: $course_ids BIGINT[], $curriculum_id (NULL for none), $include_inactive.
WITH hidden_students AS (
    SELECT object_id AS student_id
    FROM lifecycle.hidden_objects
    WHERE NOT $include_inactive
      AND object_type = 'student'
),
scope AS (
    SELECT unnest($course_ids::BIGINT[]) AS course_id
    UNION
    SELECT course_id FROM meta.curriculum_courses WHERE curriculum_id = $curriculum_id
),
syncs AS (
    SELECT sync_id, recorded_at FROM history.sync_times
),
rows_ AS (
    SELECT h.sync_id, h.current_score, h.enrollment_state,
           lead(h.sync_id) OVER (
               PARTITION BY h.course_id, h.student_id ORDER BY h.sync_id
           ) AS next_sync_id
    FROM history.grade_history AS h
    SEMI JOIN scope USING (course_id)
    ANTI JOIN hidden_students USING (student_id)
),
at_sync AS (
    SELECT s.sync_id, s.recorded_at, r.current_score
    FROM rows_ AS r
    JOIN syncs AS s
      ON s.sync_id >= r.sync_id AND (r.next_sync_id IS NULL OR s.sync_id < r.next_sync_id)
    WHERE r.enrollment_state IS NULL OR r.enrollment_state NOT IN ('deleted', 'invited')
)
SELECT sync_id, recorded_at,
       count(current_score) AS students,
       avg(current_score) AS mean_score,
       median(current_score) AS median_score,
       quantile_cont(current_score, 0.25) AS q1_score,
       quantile_cont(current_score, 0.75) AS q3_score
FROM at_sync
GROUP BY sync_id, recorded_at
HAVING count(current_score) > 0
ORDER BY sync_id
