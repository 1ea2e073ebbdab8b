-- Student tags and groups for the editor: the students of one course (non-deleted
-- enrollments; every student when $course_id is NULL) whose name matches the search, by
-- sortable name, at most $limit. Parameters: $course_id, $search, $pattern, $limit,
-- $include_inactive.
WITH hidden_students AS (
    SELECT object_id AS student_id
    FROM lifecycle.hidden_objects
    WHERE NOT $include_inactive
      AND object_type = 'student'
),
in_course AS (
    SELECT DISTINCT student_id
    FROM canvas.enrollments
    WHERE course_id = $course_id AND enrollment_state IS DISTINCT FROM 'deleted'
)
SELECT s.student_id, s.name, coalesce(m.tags, []) AS tags, m.custom_group
FROM canvas.students AS s
LEFT JOIN meta.student_metadata AS m USING (student_id)
ANTI JOIN hidden_students AS h ON h.student_id = s.student_id
WHERE ($course_id IS NULL OR s.student_id IN (SELECT student_id FROM in_course))
  AND ($search = ''
       OR s.name ILIKE $pattern ESCAPE '\'
       OR s.sortable_name ILIKE $pattern ESCAPE '\'
       OR s.login_id ILIKE $pattern ESCAPE '\'
       OR s.student_id::VARCHAR = $search)
ORDER BY lower(s.sortable_name), s.student_id
LIMIT $limit
