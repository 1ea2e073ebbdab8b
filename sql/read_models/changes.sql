-- What changed between two syncs (summary.changes_between, over the change logs of
-- migration 0011). Read models only: nothing here writes. Courses and students a teacher
-- archived are left out, as on every default view. In change_counts and change_details,
-- {changes} is where the changes come from: summary.changes_between($after, $until), or,
-- when the range holds one sync, changes_of_one_sync (tracker_db.read_models.changes picks).

-- name: comparable_syncs
-- The successful syncs, newest first, with the time the charts give each and its kind.
SELECT t.sync_id, t.recorded_at AS dated_at, coalesce(r.mode, 'full') AS mode
FROM history.sync_times AS t
JOIN ops.sync_runs AS r USING (sync_id)
ORDER BY t.sync_id DESC

-- name: sync_at_or_before
-- The latest successful sync dated at or before $moment (NULL: none).
SELECT max(sync_id) FROM history.sync_times WHERE recorded_at <= $moment

-- name: changes_of_one_sync
-- What sync $until changed, when it is the only sync of the range: each key has at most one
-- logged change in one sync, so there is nothing to net out, and the rows are read as they
-- are (what summary.changes_between gives then, without grouping every changed key).
(SELECT course_id, student_id, assignment_id, 'new grade' AS kind, old_score, new_score,
        NULL::VARCHAR AS reason
 FROM summary.work_changes
 WHERE sync_id = $until AND old_score IS NULL AND new_score IS NOT NULL
 UNION ALL
 SELECT course_id, student_id, assignment_id, 'regrade', old_score, new_score, NULL
 FROM summary.work_changes
 WHERE sync_id = $until AND old_score IS NOT NULL AND old_score IS DISTINCT FROM new_score
 UNION ALL
 SELECT course_id, student_id, assignment_id, 'newly missing', old_score, new_score, NULL
 FROM summary.work_changes WHERE sync_id = $until AND new_missing AND NOT old_missing
 UNION ALL
 SELECT course_id, student_id, assignment_id, 'newly submitted', old_score, new_score, NULL
 FROM summary.work_changes WHERE sync_id = $until AND new_submitted AND NOT old_submitted
 UNION ALL
 SELECT course_id, student_id, NULL, 'student added', NULL, NULL, NULL
 FROM lifecycle.enrollment_changes WHERE sync_id = $until AND change = 'added'
 UNION ALL
 SELECT course_id, student_id, NULL, 'student gone', NULL, NULL, reason
 FROM lifecycle.enrollment_changes WHERE sync_id = $until AND change = 'gone')

-- name: successful_syncs_within
-- How many successful syncs fall after $after and up to $until.
SELECT count(*) FROM history.sync_times WHERE sync_id > $after AND sync_id <= $until

-- name: change_counts
-- Per course, how many changes of each kind. Parameters: $after, $until (sync ids),
-- $course_ids (BIGINT[]; empty: every course).
WITH changes AS (
    SELECT c.*
    FROM {changes} AS c
    WHERE (len($course_ids::BIGINT[]) = 0 OR list_contains($course_ids::BIGINT[], c.course_id))
      AND c.course_id NOT IN (SELECT object_id FROM lifecycle.object_status
                              WHERE object_type = 'course' AND archived)
      AND c.student_id NOT IN (SELECT object_id FROM lifecycle.object_status
                               WHERE object_type = 'student' AND archived)
)
SELECT ch.course_id,
       coalesce(c.name, o.last_known_name, 'course ' || ch.course_id) AS course_name,
       count(*) FILTER (WHERE kind = 'new grade') AS new_grades,
       count(*) FILTER (WHERE kind = 'regrade') AS regrades,
       count(*) FILTER (WHERE kind = 'newly missing') AS newly_missing,
       count(*) FILTER (WHERE kind = 'newly submitted') AS newly_submitted,
       count(*) FILTER (WHERE kind = 'student added') AS students_added,
       count(*) FILTER (WHERE kind = 'student gone') AS students_gone,
       count(*) AS changes
FROM changes AS ch
LEFT JOIN canvas.courses AS c USING (course_id)
LEFT JOIN lifecycle.object_status AS o
    ON o.object_type = 'course' AND o.object_id = ch.course_id
GROUP BY ALL
ORDER BY course_name, ch.course_id

-- name: change_details
-- The changes themselves, course by course, kind by kind, student by student. Parameters:
-- $after, $until, $course_ids (empty: every course), $kinds (VARCHAR[]; empty: every kind),
-- $limit. Names are looked up only for the courses holding the first $limit changes (in
-- course order), not for every change of a wide range.
WITH changes AS MATERIALIZED (
    SELECT c.*
    FROM {changes} AS c
    WHERE (len($course_ids::BIGINT[]) = 0 OR list_contains($course_ids::BIGINT[], c.course_id))
      AND (len($kinds::VARCHAR[]) = 0 OR list_contains($kinds::VARCHAR[], c.kind))
      AND c.course_id NOT IN (SELECT object_id FROM lifecycle.object_status
                              WHERE object_type = 'course' AND archived)
      AND c.student_id NOT IN (SELECT object_id FROM lifecycle.object_status
                               WHERE object_type = 'student' AND archived)
),
per_course AS (
    SELECT ch.course_id,
           coalesce(c.name, oc.last_known_name, 'course ' || ch.course_id) AS course_name,
           count(*) AS changes
    FROM changes AS ch
    LEFT JOIN canvas.courses AS c USING (course_id)
    LEFT JOIN lifecycle.object_status AS oc
        ON oc.object_type = 'course' AND oc.object_id = ch.course_id
    GROUP BY ALL
),
listed_courses AS (
    SELECT course_id, course_name
    FROM (SELECT *, sum(changes) OVER (ORDER BY course_name, course_id
                                       ROWS UNBOUNDED PRECEDING) - changes AS earlier
          FROM per_course)
    WHERE earlier < $limit
),
named AS (
    SELECT ch.*, lc.course_name,
           coalesce(s.name, os.last_known_name, 'student ' || ch.student_id) AS student_name,
           coalesce(s.sort_key, lower(os.last_known_name)) AS student_sort_key,
           CASE WHEN ch.assignment_id IS NOT NULL THEN coalesce(
               a.name, oa.last_known_name, 'assignment ' || ch.assignment_id) END
               AS assignment_name,
           a.position AS assignment_position
    FROM changes AS ch
    JOIN listed_courses AS lc USING (course_id)
    LEFT JOIN summary.students AS s ON s.student_id = ch.student_id
    LEFT JOIN lifecycle.object_status AS os
        ON os.object_type = 'student' AND os.object_id = ch.student_id
    LEFT JOIN canvas.assignments AS a ON a.assignment_id = ch.assignment_id
    LEFT JOIN lifecycle.object_status AS oa
        ON oa.object_type = 'assignment' AND oa.object_id = ch.assignment_id
)
SELECT course_id, course_name, kind, student_id, student_name, assignment_id,
       assignment_name, old_score, new_score, reason
FROM named
ORDER BY course_name, course_id,
         list_position(['student added', 'student gone', 'newly missing', 'regrade',
                        'new grade', 'newly submitted'], kind),
         student_sort_key, student_id, assignment_position, assignment_name, assignment_id
LIMIT $limit
