-- What changed between syncs: the two logs the "What changed" page and `canvas-tracker
-- changes` read, so that comparing any two syncs reads the changes between them and never
-- rebuilds either state from the whole history.

-- Layer 0's own log: each (course, student) pair a sync brought in ('added': new, or back
-- after leaving) or took out ('gone', with the reason layer 0 gives). Appended by every sync
-- but the first (before it there is nothing to compare with) in its transaction; layer 0
-- keeps only the present state, so this is the only record of when a student came or went.
CREATE TABLE lifecycle.enrollment_changes (
    sync_id BIGINT NOT NULL,
    course_id BIGINT NOT NULL,
    student_id BIGINT NOT NULL,
    change VARCHAR NOT NULL,           -- 'added' or 'gone'
    reason VARCHAR                     -- for 'gone': 'absent', 'enrollment inactive' ...
);

-- Per history.assignment_scores row that moved a score, the missing flag or the submitted
-- state (as the charts count them: summary.submission_states), the values before and after.
-- "Before" is the key's previous history row; a key with none (a new student, a new
-- assignment) starts from no score, not missing, not submitted. The rows of a course's first
-- sync are left out: all of its work is new to the tracker, not a change. Derived from layer
-- 2, so rebuildable (summary.derive_work_changes) like the rest of the schema.
CREATE TABLE summary.work_changes (
    sync_id BIGINT NOT NULL,
    course_id BIGINT NOT NULL,
    assignment_id BIGINT NOT NULL,
    student_id BIGINT NOT NULL,
    old_score DOUBLE,
    new_score DOUBLE,
    old_missing BOOLEAN NOT NULL,
    new_missing BOOLEAN NOT NULL,
    old_submitted BOOLEAN NOT NULL,
    new_submitted BOOLEAN NOT NULL
);

-- The three facts summary.work_changes follows, per assignment_scores row. Missing work is
-- flagged and not excused (as every count of missing work); submitted is exactly
-- summary.submission_states.submitted (repeated here so a lookup reads one table, not two).
CREATE VIEW summary.work_states AS
SELECT sync_id, course_id, assignment_id, student_id, score,
       coalesce(missing, false) AND NOT coalesce(excused, false) AS missing,
       NOT coalesce(excused, false)
       AND (submitted_at IS NOT NULL
            OR workflow_state IN ('submitted', 'graded', 'pending_review')) AS submitted
FROM history.assignment_scores;

-- summary.work_changes derived from the whole history (a rebuild, and this migration's
-- backfill); each sync appends its own rows the same way, looking up only the keys it touched.
CREATE MACRO summary.derive_work_changes() AS TABLE
WITH states AS (
    SELECT *, min(sync_id) OVER (PARTITION BY course_id) < sync_id AS course_known
    FROM summary.work_states
),
moves AS (
    SELECT sync_id, course_id, assignment_id, student_id, course_known,
           lag(score) OVER w AS old_score, score AS new_score,
           coalesce(lag(missing) OVER w, false) AS old_missing, missing AS new_missing,
           coalesce(lag(submitted) OVER w, false) AS old_submitted, submitted AS new_submitted
    FROM states
    WINDOW w AS (PARTITION BY assignment_id, student_id ORDER BY sync_id)
)
SELECT sync_id, course_id, assignment_id, student_id, old_score, new_score,
       old_missing, new_missing, old_submitted, new_submitted
FROM moves
WHERE course_known
  AND (old_score IS DISTINCT FROM new_score
       OR old_missing <> new_missing
       OR old_submitted <> new_submitted);

INSERT INTO summary.work_changes BY NAME
SELECT * FROM summary.derive_work_changes();

-- The pairs' comings and goings that layer 0 still shows: a pair first seen after the first
-- sync was added then, and a pair inactive now left at the sync stamped with its removal
-- time. (Earlier returns and departures were not recorded before this migration.)
INSERT INTO lifecycle.enrollment_changes BY NAME
WITH first_sync AS (
    SELECT min(sync_id) AS sync_id FROM history.sync_times
)
SELECT es.first_seen_sync AS sync_id, es.course_id, es.student_id, 'added' AS change,
       NULL AS reason
FROM lifecycle.enrollment_status AS es
WHERE es.first_seen_sync > (SELECT sync_id FROM first_sync)
UNION ALL
SELECT t.sync_id, es.course_id, es.student_id, 'gone' AS change, es.removal_reason AS reason
FROM lifecycle.enrollment_status AS es
JOIN (SELECT min(sync_id) AS sync_id, recorded_at FROM history.sync_times GROUP BY recorded_at)
    AS t ON t.recorded_at = es.removed_at
WHERE NOT es.active AND t.sync_id > (SELECT sync_id FROM first_sync);

-- What changed after sync after_sync up to and including sync until_sync, one row per
-- change: kind 'new grade' (no score before, one now), 'regrade' (a score before, another or
-- none now), 'newly missing', 'newly submitted' (per assignment and student), 'student added'
-- and 'student gone' (per course and student). Each key's first logged change in the range
-- gives the state before, its last the state after, so a grade changed and changed back, or
-- a student who left and returned, is no change.
CREATE MACRO summary.changes_between(after_sync, until_sync) AS TABLE
WITH work AS (
    SELECT course_id, assignment_id, student_id,
           arg_min_null(old_score, sync_id) AS old_score,
           arg_max_null(new_score, sync_id) AS new_score,
           arg_min(old_missing, sync_id) AS old_missing,
           arg_max(new_missing, sync_id) AS new_missing,
           arg_min(old_submitted, sync_id) AS old_submitted,
           arg_max(new_submitted, sync_id) AS new_submitted
    FROM summary.work_changes
    WHERE sync_id > after_sync AND sync_id <= until_sync
    GROUP BY course_id, assignment_id, student_id
),
roster AS (
    SELECT course_id, student_id,
           arg_min(change, sync_id) AS first_change,
           arg_max(change, sync_id) AS last_change,
           arg_max_null(reason, sync_id) AS reason
    FROM lifecycle.enrollment_changes
    WHERE sync_id > after_sync AND sync_id <= until_sync
    GROUP BY course_id, student_id
)
SELECT course_id, student_id, assignment_id, 'new grade' AS kind, old_score, new_score,
       NULL::VARCHAR AS reason
FROM work WHERE old_score IS NULL AND new_score IS NOT NULL
UNION ALL
SELECT course_id, student_id, assignment_id, 'regrade', old_score, new_score, NULL
FROM work WHERE old_score IS NOT NULL AND old_score IS DISTINCT FROM new_score
UNION ALL
SELECT course_id, student_id, assignment_id, 'newly missing', old_score, new_score, NULL
FROM work WHERE new_missing AND NOT old_missing
UNION ALL
SELECT course_id, student_id, assignment_id, 'newly submitted', old_score, new_score, NULL
FROM work WHERE new_submitted AND NOT old_submitted
UNION ALL
SELECT course_id, student_id, NULL, 'student added', NULL, NULL, NULL
FROM roster WHERE first_change = 'added' AND last_change = 'added'
UNION ALL
SELECT course_id, student_id, NULL, 'student gone', NULL, NULL, reason
FROM roster WHERE first_change = 'gone' AND last_change = 'gone';
