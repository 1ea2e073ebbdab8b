-- Where the database stands with syncs: the state pages show and the history of runs. Read
-- models only: nothing here writes.

-- name: sync_state
-- The latest successful sync, the one before it, and the latest attempt.
-- One row, even on an empty database (NULLs and zero counts).
WITH last AS (
    SELECT max(sync_id) AS sync_id FROM ops.sync_runs WHERE status = 'succeeded'
)
SELECT
    max(r.sync_id) FILTER (WHERE r.status = 'succeeded') AS last_sync_id,
    max(r.sync_id) FILTER (WHERE r.status = 'succeeded' AND r.sync_id < l.sync_id)
        AS previous_sync_id,
    max(r.finished_at) FILTER (WHERE r.sync_id = l.sync_id) AS last_synced_at,
    count(*) FILTER (WHERE r.status = 'succeeded') AS succeeded_runs,
    max(r.sync_id) AS last_attempt_id,
    arg_max(r.status, r.sync_id) AS last_attempt_status,
    arg_max(r.finished_at, r.sync_id) AS last_attempt_at,
    arg_max(r.error, r.sync_id) AS last_attempt_error
FROM ops.sync_runs AS r
CROSS JOIN last AS l

-- name: recent_runs
-- The latest sync attempts, newest first. Parameter: $limit.
SELECT sync_id, started_at, finished_at, status, source, courses, students, enrollments,
       assignments, submissions, grade_history_rows, assignment_score_rows,
       grade_history_rows + assignment_score_rows AS history_rows, duration_seconds, error
FROM ops.sync_runs
ORDER BY sync_id DESC
LIMIT $limit
