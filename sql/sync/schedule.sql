-- The sync schedule: the statements only tracker_db.sync.schedule runs.

-- name: last_synced_at
-- When the latest successful sync finished (NULL before the first).
SELECT max(finished_at) AS last_synced_at FROM ops.sync_runs WHERE status = 'succeeded'
