-- What changed between two syncs (summary.changes_between, over the change logs of
-- migration 0011). Read models only: nothing here writes. Courses and students a teacher
-- archived are left out, as on every default view.

-- name: comparable_syncs
-- The successful syncs, newest first, with the time the charts give each and its kind.
SELECT t.sync_id, t.recorded_at AS dated_at, coalesce(r.mode, 'full') AS mode
FROM history.sync_times AS t
JOIN ops.sync_runs AS r USING (sync_id)
ORDER BY t.sync_id DESC

-- name: sync_at_or_before
-- The latest successful sync dated at or before $moment (NULL: none).
SELECT max(sync_id) FROM history.sync_times WHERE recorded_at <= $moment

-- name: change_counts
-- Per course, how many changes of each kind. Parameters: $after, $until (sync ids),
-- $course_ids (BIGINT[]; empty: every course).
WITH changes AS (
    SELECT c.*
    FROM summary.changes_between($after, $until) AS c
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
-- $limit.
WITH changes AS (
    SELECT c.*
    FROM summary.changes_between($after, $until) AS c
    WHERE (len($course_ids::BIGINT[]) = 0 OR list_contains($course_ids::BIGINT[], c.course_id))
      AND (len($kinds::VARCHAR[]) = 0 OR list_contains($kinds::VARCHAR[], c.kind))
      AND c.course_id NOT IN (SELECT object_id FROM lifecycle.object_status
                              WHERE object_type = 'course' AND archived)
      AND c.student_id NOT IN (SELECT object_id FROM lifecycle.object_status
                               WHERE object_type = 'student' AND archived)
),
named AS (
    SELECT ch.*,
           coalesce(c.name, oc.last_known_name, 'course ' || ch.course_id) AS course_name,
           coalesce(s.name, os.last_known_name, 'student ' || ch.student_id) AS student_name,
           coalesce(s.sort_key, lower(os.last_known_name)) AS student_sort_key,
           CASE WHEN ch.assignment_id IS NOT NULL THEN coalesce(
               a.name, oa.last_known_name, 'assignment ' || ch.assignment_id) END
               AS assignment_name,
           a.position AS assignment_position
    FROM changes AS ch
    LEFT JOIN canvas.courses AS c USING (course_id)
    LEFT JOIN lifecycle.object_status AS oc
        ON oc.object_type = 'course' AND oc.object_id = ch.course_id
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
