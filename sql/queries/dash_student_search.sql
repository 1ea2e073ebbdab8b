-- Students whose name, sortable name, login or SIS id contains the search text (or whose
-- Canvas id is exactly it), by sortable name. Parameters: $search, $pattern (ILIKE pattern
-- with wildcards escaped), $limit.
WITH known_students AS (
    SELECT student_id, name, sortable_name, login_id, sis_user_id FROM canvas.students
    UNION ALL
    -- Students Canvas no longer lists stay findable by the name last seen.
    SELECT o.object_id, o.last_known_name, o.last_known_name, NULL, NULL
    FROM lifecycle.object_status AS o
    WHERE o.object_type = 'student'
      AND NOT EXISTS (SELECT 1 FROM canvas.students AS s WHERE s.student_id = o.object_id)
)
SELECT s.student_id, s.name, s.sortable_name
FROM known_students AS s
WHERE $search = ''
   OR s.name ILIKE $pattern ESCAPE '\'
   OR s.sortable_name ILIKE $pattern ESCAPE '\'
   OR s.login_id ILIKE $pattern ESCAPE '\'
   OR s.sis_user_id ILIKE $pattern ESCAPE '\'
   OR s.student_id::VARCHAR = $search
ORDER BY lower(s.sortable_name), s.student_id
LIMIT $limit
