-- The latest sync attempts, newest first. Parameter: $limit.
SELECT sync_id, started_at, finished_at, status, source, courses, students, enrollments,
       assignments, submissions, grade_history_rows, assignment_score_rows,
       grade_history_rows + assignment_score_rows AS history_rows, duration_seconds, error
FROM ops.sync_runs
ORDER BY sync_id DESC
LIMIT $limit
