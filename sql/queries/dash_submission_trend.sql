-- Submitted share over time for a scope (courses and/or a curriculum): at every successful
-- sync, of the (assignment, student) pairs due by then and not excused, how many had been
-- submitted (layer 2, carried forward between changes).
-- Parameters: $course_ids BIGINT[], $curriculum_id (NULL for none), $include_inactive.
-- summary.submission_changes holds how every sync moved each assignment's counts, over all
-- students; summary.hidden_submission_changes the part from students layer 0 hides, taken
-- back out unless $include_inactive. Both are written by the sync, so this reads
-- thousands of rows, not the millions of assignment_scores. The per-sync counts are running
-- sums of the changes; due dates are applied per assignment, after summing.
WITH hidden_assignments AS (
    SELECT object_id AS assignment_id
    FROM lifecycle.hidden_objects
    WHERE object_type = 'assignment'
),
scope AS (
    SELECT unnest($course_ids::BIGINT[]) AS course_id
    UNION
    SELECT course_id FROM meta.curriculum_courses WHERE curriculum_id = $curriculum_id
),
syncs AS (
    SELECT sync_id, recorded_at FROM history.sync_times
),
changes AS (
    SELECT assignment_id, sync_id, counted_change, submitted_change
    FROM summary.submission_changes
    SEMI JOIN scope USING (course_id)
    UNION ALL
    SELECT assignment_id, sync_id, -counted_change, -submitted_change
    FROM summary.hidden_submission_changes
    SEMI JOIN scope USING (course_id)
    WHERE NOT $include_inactive
),
per_assignment_sync AS (
    SELECT c.assignment_id, c.sync_id, sum(c.counted_change) AS d_counted,
           sum(c.submitted_change) AS d_submitted
    FROM changes AS c
    ANTI JOIN hidden_assignments USING (assignment_id)
    GROUP BY c.assignment_id, c.sync_id
),
grid AS (
    -- every (assignment, sync) pair, so running sums carry through syncs without changes
    SELECT a.assignment_id, a.due_at, s.sync_id, s.recorded_at,
           coalesce(p.d_counted, 0) AS d_counted, coalesce(p.d_submitted, 0) AS d_submitted
    FROM (SELECT DISTINCT assignment_id FROM per_assignment_sync) AS k
    JOIN canvas.assignments AS a USING (assignment_id)
    CROSS JOIN syncs AS s
    LEFT JOIN per_assignment_sync AS p
           ON p.assignment_id = k.assignment_id AND p.sync_id = s.sync_id
),
running AS (
    SELECT assignment_id, due_at, sync_id, recorded_at,
           sum(d_counted) OVER w AS counted,
           sum(d_submitted) OVER w AS submitted
    FROM grid
    WINDOW w AS (PARTITION BY assignment_id ORDER BY sync_id)
)
SELECT sync_id, recorded_at,
       sum(counted)::BIGINT AS due_pairs,
       sum(submitted)::BIGINT AS submitted_pairs,
       sum(submitted) / sum(counted) AS submitted_share
FROM running
WHERE due_at IS NOT NULL AND due_at <= recorded_at
GROUP BY sync_id, recorded_at
HAVING sum(counted) > 0
ORDER BY sync_id
