-- Current course scores (layer 1) of every student in a scope's courses, one row per
-- (course, student); for a box plot per course. Parameters: $course_ids BIGINT[],
-- $curriculum_id (NULL for none), $include_inactive.
WITH hidden_students AS (
    SELECT object_id AS student_id
    FROM lifecycle.hidden_objects
    WHERE NOT $include_inactive
      AND object_type = 'student'
),
scope AS (
    SELECT unnest($course_ids::BIGINT[]) AS course_id
    UNION
    SELECT course_id FROM meta.curriculum_courses WHERE curriculum_id = $curriculum_id
)
SELECT e.course_id,
       coalesce(c.course_code, c.name, 'course ' || e.course_id) AS course_label,
       e.student_id, st.name AS student_name, e.current_score
FROM canvas.enrollments AS e
SEMI JOIN scope USING (course_id)
ANTI JOIN hidden_students AS h ON h.student_id = e.student_id
LEFT JOIN canvas.courses AS c ON c.course_id = e.course_id
LEFT JOIN canvas.students AS st ON st.student_id = e.student_id
WHERE e.enrollment_state IS DISTINCT FROM 'deleted' AND e.current_score IS NOT NULL
QUALIFY row_number() OVER (
    PARTITION BY e.course_id, e.student_id
    ORDER BY e.enrollment_state IS DISTINCT FROM 'active', e.enrollment_id
) = 1
ORDER BY course_label, e.course_id, e.student_id
