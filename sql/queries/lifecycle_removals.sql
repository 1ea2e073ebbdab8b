-- Removed objects and the data they carry, for the "Review removals" view.
-- Parameter: $pending_only (only those waiting for a teacher's decision).
WITH removed AS (
    SELECT * FROM lifecycle.object_status
    WHERE NOT active AND (NOT $pending_only OR pending_review)
),
history_rows AS (
    SELECT 'student' AS object_type, student_id AS object_id, count(*) AS n,
           min(recorded_at) AS first_at, max(recorded_at) AS last_at
    FROM history.grade_history
    WHERE student_id IN (SELECT object_id FROM removed WHERE object_type = 'student')
    GROUP BY student_id
    UNION ALL
    SELECT 'student', student_id, count(*), min(recorded_at), max(recorded_at)
    FROM history.assignment_scores
    WHERE student_id IN (SELECT object_id FROM removed WHERE object_type = 'student')
    GROUP BY student_id
    UNION ALL
    SELECT 'course', course_id, count(*), min(recorded_at), max(recorded_at)
    FROM history.grade_history
    WHERE course_id IN (SELECT object_id FROM removed WHERE object_type = 'course')
    GROUP BY course_id
    UNION ALL
    SELECT 'course', course_id, count(*), min(recorded_at), max(recorded_at)
    FROM history.assignment_scores
    WHERE course_id IN (SELECT object_id FROM removed WHERE object_type = 'course')
    GROUP BY course_id
    UNION ALL
    SELECT 'assignment', assignment_id, count(*), min(recorded_at), max(recorded_at)
    FROM history.assignment_scores
    WHERE assignment_id IN (SELECT object_id FROM removed WHERE object_type = 'assignment')
    GROUP BY assignment_id
),
history_summary AS (
    SELECT object_type, object_id, sum(n) AS history_rows,
           min(first_at) AS history_from, max(last_at) AS history_to
    FROM history_rows GROUP BY object_type, object_id
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
