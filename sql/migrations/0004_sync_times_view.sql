-- When each successful sync happened, as its history rows record it: the recorded_at stamped
-- on its rows (the demo backdates them), else the run's start (a sync that changed nothing
-- has no rows). Charts put syncs on a time axis with it.
CREATE VIEW history.sync_times AS
SELECT r.sync_id, coalesce(g.recorded_at, r.started_at) AS recorded_at
FROM ops.sync_runs AS r
LEFT JOIN (
    SELECT sync_id, min(recorded_at) AS recorded_at
    FROM history.grade_history
    GROUP BY sync_id
) AS g USING (sync_id)
WHERE r.status = 'succeeded';
