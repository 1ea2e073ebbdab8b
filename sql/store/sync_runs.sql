-- ops.sync_runs: the statements only tracker_db.store.sync_runs runs.

-- name: next_sync_id
-- The id the next sync attempt takes (failed attempts take one too).
SELECT coalesce(max(sync_id), 0) + 1 FROM ops.sync_runs

-- name: last_successful_sync_id
-- The latest successful sync (NULL before the first one).
SELECT max(sync_id) FROM ops.sync_runs WHERE status = 'succeeded'

-- name: sources
-- Where this database's successful syncs came from.
SELECT DISTINCT source FROM ops.sync_runs WHERE status = 'succeeded'
