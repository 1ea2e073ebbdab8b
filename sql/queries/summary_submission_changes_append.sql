-- This sync's rows of summary.submission_changes, from the assignment_scores rows it has just
-- appended. Parameter: $sync_id.
-- Each appended row moves its pair from the state of the pair's latest earlier row (none:
-- nothing counted) to its own; only pairs this sync touched are looked up in history.
INSERT INTO summary.submission_changes BY NAME
WITH appended AS (
    SELECT course_id, assignment_id, student_id, counted, submitted
    FROM summary.submission_states
    WHERE sync_id = $sync_id
),
earlier_syncs AS (
    SELECT count(*) > 0 AS any_rows
    FROM (SELECT 1 FROM history.assignment_scores WHERE sync_id < $sync_id LIMIT 1)
),
before AS (
    SELECT h.assignment_id, h.student_id,
           arg_max(h.counted, h.sync_id) AS counted,
           arg_max(h.submitted, h.sync_id) AS submitted
    FROM summary.submission_states AS h
    -- On the first sync every key is new: an empty key set spares hashing a million of them.
    SEMI JOIN (
        SELECT assignment_id, student_id FROM appended
        WHERE (SELECT any_rows FROM earlier_syncs)
    ) AS k USING (assignment_id, student_id)
    WHERE h.sync_id < $sync_id
    GROUP BY h.assignment_id, h.student_id
)
SELECT $sync_id AS sync_id, a.course_id, a.assignment_id,
       sum(a.counted - coalesce(b.counted, 0))::BIGINT AS counted_change,
       sum(a.submitted - coalesce(b.submitted, 0))::BIGINT AS submitted_change
FROM appended AS a
LEFT JOIN before AS b USING (assignment_id, student_id)
GROUP BY a.course_id, a.assignment_id
HAVING sum(a.counted - coalesce(b.counted, 0)) <> 0
    OR sum(a.submitted - coalesce(b.submitted, 0)) <> 0
