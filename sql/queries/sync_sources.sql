-- Where this database's successful syncs came from.
SELECT DISTINCT source FROM ops.sync_runs WHERE status = 'succeeded'
