-- Objects that left Canvas (layer 0) and the data they still carry. Read models only: nothing
-- here writes.

-- name: removals
-- Removed objects with the notes, metadata and history they carry, newest removal first.
-- Parameter: $pending_only (only those waiting for a teacher's decision).
WITH removed AS (
    SELECT * FROM lifecycle.object_status
    WHERE NOT active AND (NOT $pending_only OR pending_review)
),
all_history AS NOT MATERIALIZED (
    SELECT student_id, course_id, NULL::BIGINT AS assignment_id, recorded_at
    FROM history.grade_history
    UNION ALL
    SELECT student_id, course_id, assignment_id, recorded_at FROM history.assignment_scores
),
object_history AS (
    -- Each history row once for every removed object it belongs to: a grade row to its
    -- student and course, a score row to its student, course and assignment. (An IN filter
    -- per object type reads each table once per type, faster than one join on both keys.)
    SELECT 'student' AS object_type, student_id AS object_id, recorded_at FROM all_history
    WHERE student_id IN (SELECT object_id FROM removed WHERE object_type = 'student')
    UNION ALL
    SELECT 'course', course_id, recorded_at FROM all_history
    WHERE course_id IN (SELECT object_id FROM removed WHERE object_type = 'course')
    UNION ALL
    SELECT 'assignment', assignment_id, recorded_at FROM all_history
    WHERE assignment_id IN (SELECT object_id FROM removed WHERE object_type = 'assignment')
),
history_summary AS (
    SELECT h.object_type, h.object_id, count(*) AS history_rows,
           min(h.recorded_at) AS history_from, max(h.recorded_at) AS history_to
    FROM object_history AS h
    GROUP BY h.object_type, h.object_id
),
notes AS (
    SELECT student_id AS object_id, count(*) AS notes
    FROM meta.student_notes GROUP BY student_id
),
metadata AS (
    SELECT 'student' AS object_type, student_id AS object_id FROM meta.student_metadata
        WHERE len(tags) > 0 OR custom_group IS NOT NULL
    UNION SELECT 'course', course_id FROM meta.course_metadata
    UNION SELECT 'course', course_id FROM meta.curriculum_courses
    UNION SELECT 'assignment', assignment_id FROM meta.assignment_metadata
)
SELECT r.object_type, r.object_id, r.last_known_name AS name, r.course_id,
       r.removal_reason, r.removed_at, r.last_seen_sync, r.pending_review, r.archived,
       CASE WHEN r.object_type = 'student' THEN coalesce(n.notes, 0) ELSE 0 END AS notes,
       m.object_id IS NOT NULL AS has_metadata,
       coalesce(h.history_rows, 0)::BIGINT AS history_rows,
       h.history_from, h.history_to
FROM removed AS r
LEFT JOIN history_summary AS h USING (object_type, object_id)
LEFT JOIN notes AS n ON r.object_type = 'student' AND n.object_id = r.object_id
LEFT JOIN (SELECT DISTINCT object_type, object_id FROM metadata) AS m
    USING (object_type, object_id)
ORDER BY r.removed_at DESC, r.object_type, r.object_id

-- name: object_status
-- Layer-0 rows, all or of one object type. Parameter: $object_type (NULL for all).
SELECT *
FROM lifecycle.object_status
WHERE $object_type IS NULL OR object_type = $object_type
ORDER BY object_type, object_id
