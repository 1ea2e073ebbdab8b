-- Dashboard: the latest successful sync, the one before it, and the latest attempt.
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
