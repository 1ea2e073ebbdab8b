-- Layer 2: append one assignment_scores row per (assignment, student) whose values differ
-- from the latest row recorded for it (all of them on the first sync). Reads the layer-1
-- submissions this sync has just written. Parameters: $sync_id, $recorded_at.
INSERT INTO history.assignment_scores BY NAME
WITH latest_sync AS (
    SELECT assignment_id, student_id, max(sync_id) AS sync_id
    FROM history.assignment_scores
    GROUP BY assignment_id, student_id
),
latest AS (
    -- max-then-join measured faster here than arg_max over a row of all the values.
    SELECT h.*
    FROM history.assignment_scores AS h
    JOIN latest_sync USING (assignment_id, student_id, sync_id)
)
SELECT $sync_id AS sync_id, $recorded_at AS recorded_at,
       s.course_id, s.assignment_id, s.student_id, s.score, s.grade, s.workflow_state,
       s.late, s.missing, s.excused, s.submitted_at, s.graded_at
FROM canvas.submissions AS s
LEFT JOIN latest AS l USING (assignment_id, student_id)
WHERE l.sync_id IS NULL
   OR ROW(l.score, l.grade, l.workflow_state, l.late, l.missing, l.excused, l.submitted_at,
          l.graded_at)
      IS DISTINCT FROM ROW(s.score, s.grade, s.workflow_state, s.late, s.missing, s.excused,
                           s.submitted_at, s.graded_at)
