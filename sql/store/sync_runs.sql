-- ops.sync_runs: the statements only tracker_db.store.sync_runs runs.

-- name: next_sync_id
-- The id the next sync attempt takes (failed attempts take one too).
SELECT coalesce(max(sync_id), 0) + 1 FROM ops.sync_runs

-- name: last_successful_sync_id
-- The latest successful sync (NULL before the first one).
SELECT max(sync_id) FROM ops.sync_runs WHERE status = 'succeeded'

-- name: last_successful_run
-- The latest successful sync: its id, start, kind and source (no row before the first one).
-- An incremental sync asks Canvas for what changed since this start.
SELECT sync_id, started_at, coalesce(mode, 'full') AS mode, source
FROM ops.sync_runs
WHERE status = 'succeeded'
ORDER BY sync_id DESC
LIMIT 1

-- name: full_sync_cadence
-- For the schedule: when the latest successful full sync started (NULL if none), and how
-- many successful incremental syncs came after it.
WITH last_full AS (
    SELECT max(sync_id) AS sync_id, arg_max(started_at, sync_id) AS started_at
    FROM ops.sync_runs
    WHERE status = 'succeeded' AND coalesce(mode, 'full') = 'full'
)
SELECT l.started_at AS last_full_at,
       (SELECT count(*) FROM ops.sync_runs AS r
        WHERE r.status = 'succeeded' AND r.mode = 'incremental'
          AND r.sync_id > coalesce(l.sync_id, 0)) AS incrementals_since
FROM last_full AS l

-- name: sources
-- Where this database's successful syncs came from.
SELECT DISTINCT source FROM ops.sync_runs WHERE status = 'succeeded'

-- name: run_of_attempt
-- The run an attempt recorded, if any. Parameter: $attempt_id.
SELECT sync_id, started_at, finished_at, status, source, courses, sections, students,
       enrollments, assignment_groups, assignments, submissions, grade_history_rows,
       assignment_score_rows, duration_seconds, error, attempt_id, mode, changes_since
FROM ops.sync_runs
WHERE attempt_id = $attempt_id

-- name: start_attempt
-- An attempt under way. Parameters: $attempt_id, $started_at, $kind, $trigger, $pid, $host.
INSERT INTO ops.sync_attempts (attempt_id, started_at, kind, trigger, pid, host)
VALUES ($attempt_id, $started_at, $kind, $trigger, $pid, $host)

-- name: end_attempts
-- Attempts that ended (or whose process is gone). Parameter: $attempt_ids, a list.
DELETE FROM ops.sync_attempts WHERE list_contains($attempt_ids, attempt_id)
