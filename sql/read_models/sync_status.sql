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
-- The latest sync attempts, newest first. Parameter: $limit. dated_at is the time the
-- history (and so every chart) gives a sync: its start, or the demo's backdated stamp.
-- mode is read through to_json because `status` reads databases older than migration 0010
-- as they are, and those have no mode column (their syncs were all full).
SELECT r.sync_id, r.started_at, r.finished_at, coalesce(t.recorded_at, r.started_at) AS dated_at,
       coalesce(to_json(r) ->> 'mode', 'full') AS mode,
       CASE WHEN r.status = 'succeeded' THEN format(
           '{}{:,} courses, {:,} students, {:,} assignments, {:,} submissions',
           CASE WHEN to_json(r) ->> 'mode' = 'incremental' THEN 'incremental: ' ELSE '' END,
           r.courses, r.students, r.assignments, r.submissions) END AS fetched,
       r.status, r.source, r.courses,
       r.students, r.enrollments, r.assignments, r.submissions, r.grade_history_rows,
       r.assignment_score_rows, r.grade_history_rows + r.assignment_score_rows AS history_rows,
       r.duration_seconds, r.error
FROM ops.sync_runs AS r
LEFT JOIN history.sync_times AS t USING (sync_id)
ORDER BY r.sync_id DESC
LIMIT $limit

-- name: has_attempts_table
-- Whether the database has ops.sync_attempts (migration 0009): status reads databases at an
-- older schema as they are, never migrating them.
SELECT count(*) FROM information_schema.tables
WHERE table_catalog = current_database() AND table_schema = 'ops'
  AND table_name = 'sync_attempts'

-- name: unfinished_attempts
-- Attempts that started and have not recorded an outcome, newest first, with the longest
-- any sync has taken (how long one may still be running).
SELECT attempt_id, started_at, kind, trigger, pid, host,
       (SELECT max(duration_seconds) FROM ops.sync_runs) AS longest_sync_seconds
FROM ops.sync_attempts
ORDER BY started_at DESC

-- name: attempt_runs
-- The runs the given attempts recorded (one each at most). Parameter: $attempt_ids, a list.
SELECT attempt_id, sync_id, status, error
FROM ops.sync_runs
WHERE list_contains($attempt_ids, attempt_id)
ORDER BY sync_id
