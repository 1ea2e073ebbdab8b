-- Per sync and assignment, how much the assignment_scores rows moved the numbers of counted
-- and submitted (assignment, student) pairs: each row moves its pair from the state of the
-- pair's previous row (none: nothing counted) to its own. Zero rows are left out.
-- Parameters: $assignment_ids BIGINT[] (empty: every assignment), $hidden_students_only
-- BOOLEAN (only students layer 0 hides: what charts take back out).
-- Inserted into summary.submission_changes (rebuilt after a permanent delete) and
-- summary.hidden_submission_changes (rewritten with layer 0).
WITH hidden_students AS (
    SELECT object_id AS student_id FROM lifecycle.hidden_objects
    WHERE object_type = 'student'
),
chosen AS NOT MATERIALIZED (
    SELECT *
    FROM summary.submission_states
    WHERE len($assignment_ids::BIGINT[]) = 0
       OR list_contains($assignment_ids::BIGINT[], assignment_id)
),
rows_ AS (
    -- one branch runs: the parameter folds the other away (an OR would test every row)
    SELECT * FROM chosen WHERE NOT $hidden_students_only
    UNION ALL
    SELECT * FROM chosen SEMI JOIN hidden_students USING (student_id)
    WHERE $hidden_students_only
),
deltas AS (
    SELECT sync_id, course_id, assignment_id,
           counted - coalesce(lag(counted) OVER w, 0) AS counted_change,
           submitted - coalesce(lag(submitted) OVER w, 0) AS submitted_change
    FROM rows_
    WINDOW w AS (PARTITION BY assignment_id, student_id ORDER BY sync_id)
)
SELECT sync_id, course_id, assignment_id,
       sum(counted_change)::BIGINT AS counted_change,
       sum(submitted_change)::BIGINT AS submitted_change
FROM deltas
GROUP BY sync_id, course_id, assignment_id
HAVING sum(counted_change) <> 0 OR sum(submitted_change) <> 0
