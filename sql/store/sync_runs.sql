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

-- name: run_of_attempt
-- The run an attempt recorded, if any. Parameter: $attempt_id.
SELECT sync_id, started_at, finished_at, status, source, courses, sections, students,
       enrollments, assignment_groups, assignments, submissions, grade_history_rows,
       assignment_score_rows, duration_seconds, error, attempt_id
FROM ops.sync_runs
WHERE attempt_id = $attempt_id

-- name: start_attempt
-- An attempt under way. Parameters: $attempt_id, $started_at, $kind, $trigger, $pid, $host.
INSERT INTO ops.sync_attempts (attempt_id, started_at, kind, trigger, pid, host)
VALUES ($attempt_id, $started_at, $kind, $trigger, $pid, $host)

-- name: end_attempts
-- Attempts that ended (or whose process is gone). Parameter: $attempt_ids, a list.
DELETE FROM ops.sync_attempts WHERE list_contains($attempt_ids, attempt_id)
