-- Submitted share over time for a scope (courses and/or a curriculum): at every successful
-- sync, of the (assignment, student) pairs due by then and not excused, how many had been
-- submitted (layer 2, carried forward between changes).
-- Parameters: $course_ids BIGINT[], $curriculum_id (NULL for none), $include_inactive.
-- Each history row changes its key's contribution only at its own sync, so the per-sync
-- counts are running sums of per-row changes (no key-by-sync expansion); due dates are
-- applied per assignment, after summing.
WITH hidden_students AS (
    SELECT object_id AS student_id
    FROM lifecycle.hidden_objects
    WHERE NOT $include_inactive
      AND object_type = 'student'
),
hidden_assignments AS (
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
rows_ AS (
    SELECT h.assignment_id, h.student_id, h.sync_id,
           (NOT coalesce(h.excused, false))::INTEGER AS counted,
           (NOT coalesce(h.excused, false)
            AND (h.submitted_at IS NOT NULL
                 OR h.workflow_state IN ('submitted', 'graded', 'pending_review')))::INTEGER
               AS submitted
    FROM history.assignment_scores AS h
    SEMI JOIN scope USING (course_id)
    ANTI JOIN hidden_students USING (student_id)
    ANTI JOIN hidden_assignments USING (assignment_id)
),
deltas AS (
    SELECT assignment_id, sync_id,
           counted - coalesce(lag(counted) OVER w, 0) AS d_counted,
           submitted - coalesce(lag(submitted) OVER w, 0) AS d_submitted
    FROM rows_
    WINDOW w AS (PARTITION BY assignment_id, student_id ORDER BY sync_id)
),
per_assignment_sync AS (
    SELECT assignment_id, sync_id, sum(d_counted) AS d_counted, sum(d_submitted) AS d_submitted
    FROM deltas
    GROUP BY assignment_id, sync_id
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
