-- Upkeep: the statements only tracker_db.maintenance runs.

-- name: longest_sync_seconds
-- The longest any sync attempt took (NULL before the first).
SELECT max(duration_seconds) FROM ops.sync_runs

-- name: checkpoint
-- A DuckDB file: fold the write-ahead log into the file.
CHECKPOINT

-- name: expire_snapshots
-- DuckLake: forget snapshots older than $older_than (the latest one always stays); the files
-- only they referenced are scheduled for deletion.
CALL ducklake_expire_snapshots('lake', older_than => $older_than)

-- name: cleanup_old_files
-- DuckLake: delete files scheduled for deletion before $older_than.
CALL ducklake_cleanup_old_files('lake', older_than => $older_than)

-- name: delete_orphaned_files
-- DuckLake: delete files under the data path that no snapshot references and that are older
-- than $older_than (files a killed writer left behind). Younger ones may belong to a
-- transaction that has not committed yet, so they stay.
CALL ducklake_delete_orphaned_files('lake', older_than => $older_than)
