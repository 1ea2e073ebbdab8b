-- Students with a non-deleted enrollment in any course of the given curricula, one row per
-- (student, course), with the course grade and the teacher's tags and group.
-- Parameter: $curricula (list of curriculum ids or names).
WITH chosen AS (
    SELECT DISTINCT cc.course_id, k.curriculum_id
    FROM meta.curricula AS k
    JOIN meta.curriculum_courses AS cc USING (curriculum_id)
    WHERE list_contains($curricula, k.curriculum_id) OR list_contains($curricula, k.name)
),
course_curricula AS (
    SELECT course_id, list(curriculum_id ORDER BY curriculum_id) AS curriculum_ids
    FROM chosen GROUP BY course_id
),
course_students AS (
    -- One row per (course, student): the active enrollment speaks for a student in two
    -- sections, then the lowest enrollment id.
    SELECT *
    FROM canvas.enrollments
    WHERE enrollment_state IS DISTINCT FROM 'deleted'
    QUALIFY row_number() OVER (
        PARTITION BY course_id, student_id
        ORDER BY enrollment_state IS DISTINCT FROM 'active', enrollment_id
    ) = 1
)
SELECT
    s.student_id, s.name, s.sortable_name, s.login_id, s.sis_user_id,
    e.course_id, c.name AS course_name, cc.curriculum_ids,
    e.enrollment_state, e.current_score, e.final_score, e.current_grade, e.final_grade,
    e.last_activity_at,
    coalesce(m.tags, []) AS tags, m.custom_group
FROM course_students AS e
JOIN course_curricula AS cc USING (course_id)
JOIN canvas.students AS s USING (student_id)
LEFT JOIN canvas.courses AS c USING (course_id)
LEFT JOIN meta.student_metadata AS m USING (student_id)
ORDER BY s.sortable_name, s.student_id, c.name, e.course_id
