-- The summary schema: the statements only tracker_db.store.summaries runs. The derivations
-- themselves are macros (migration 0007), which a backfill in a later migration calls too.

-- name: clear_course_students
DELETE FROM summary.course_students

-- name: write_course_students
-- summary.course_students for this sync (after clear_course_students). Parameter: $sync_id.
INSERT INTO summary.course_students BY NAME
SELECT * FROM summary.derive_course_students($sync_id)

-- name: clear_students
DELETE FROM summary.students

-- name: write_students
-- summary.students from summary.course_students and layer 0 (after clear_students).
INSERT INTO summary.students BY NAME
SELECT * FROM summary.derive_students()

-- name: append_submission_changes
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

-- name: clear_submission_changes
-- Forget the submission changes of some assignments (an empty list: of every one), before
-- they are derived again. Parameter: $ids BIGINT[].
DELETE FROM summary.submission_changes
WHERE len($ids::BIGINT[]) = 0 OR list_contains($ids::BIGINT[], assignment_id)

-- name: write_submission_changes
-- Derive summary.submission_changes again for some assignments (empty: every one).
-- Parameter: $ids BIGINT[].
INSERT INTO summary.submission_changes BY NAME
SELECT * FROM summary.derive_submission_changes($ids, false)

-- name: clear_hidden_submission_changes
DELETE FROM summary.hidden_submission_changes

-- name: write_hidden_submission_changes
-- The part of the submission changes that comes from students layer 0 hides now (after
-- clear_hidden_submission_changes).
INSERT INTO summary.hidden_submission_changes BY NAME
SELECT * FROM summary.derive_submission_changes([], true)

-- name: count_hidden_students
-- How many students layer 0 hides.
SELECT count(*) FROM lifecycle.hidden_students

-- name: append_work_changes
-- This sync's rows of summary.work_changes, from the assignment_scores rows it has just
-- appended (see summary.derive_work_changes, which must give the same rows). Parameter:
-- $sync_id. Only the keys this sync touched are looked up in history.
INSERT INTO summary.work_changes BY NAME
WITH appended AS (
    SELECT * FROM summary.work_states WHERE sync_id = $sync_id
),
known_courses AS (
    -- a course's first sync is left out: its work is new to the tracker, not a change
    SELECT DISTINCT course_id FROM history.assignment_scores
    WHERE sync_id < $sync_id AND course_id IN (SELECT course_id FROM appended)
),
moved AS (
    SELECT a.* FROM appended AS a SEMI JOIN known_courses USING (course_id)
),
before AS (
    SELECT h.assignment_id, h.student_id,
           arg_max_null(h.score, h.sync_id) AS score,
           arg_max(h.missing, h.sync_id) AS missing,
           arg_max(h.submitted, h.sync_id) AS submitted
    FROM summary.work_states AS h
    SEMI JOIN moved USING (assignment_id, student_id)
    WHERE h.sync_id < $sync_id
    GROUP BY h.assignment_id, h.student_id
),
moves AS (
    SELECT $sync_id AS sync_id, m.course_id, m.assignment_id, m.student_id,
           b.score AS old_score, m.score AS new_score,
           coalesce(b.missing, false) AS old_missing, m.missing AS new_missing,
           coalesce(b.submitted, false) AS old_submitted, m.submitted AS new_submitted
    FROM moved AS m
    LEFT JOIN before AS b USING (assignment_id, student_id)
)
SELECT * FROM moves
WHERE old_score IS DISTINCT FROM new_score
   OR old_missing <> new_missing
   OR old_submitted <> new_submitted

-- name: clear_work_changes
DELETE FROM summary.work_changes

-- name: write_work_changes
-- summary.work_changes derived from the whole history again (after clear_work_changes).
INSERT INTO summary.work_changes BY NAME
SELECT * FROM summary.derive_work_changes()

-- name: clear_flags
DELETE FROM summary.flags

-- name: clear_flag_state
DELETE FROM summary.flag_state

-- name: insert_flags
-- The flags the rules raise now (staged as incoming_flags).
INSERT INTO summary.flags BY NAME SELECT * FROM incoming_flags

-- name: insert_flag_state
-- Parameters: the sync and the rules' key the flags were derived from.
INSERT INTO summary.flag_state VALUES (?, ?)
