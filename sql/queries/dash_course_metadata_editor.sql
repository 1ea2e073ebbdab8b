-- Course metadata for the editor: every active, non-archived course in layer 1 (untracked
-- ones included, so they can be switched back on) with the teacher's notes, tags, colour,
-- hours and tracking flag.
WITH hidden_courses AS (
    SELECT object_id AS course_id
    FROM lifecycle.hidden_objects
    WHERE object_type = 'course'
)
SELECT c.course_id, c.name, c.course_code, m.notes, coalesce(m.tags, []) AS tags, m.color,
       m.course_hours, coalesce(m.tracking_enabled, true) AS tracked
FROM canvas.courses AS c
LEFT JOIN meta.course_metadata AS m USING (course_id)
ANTI JOIN hidden_courses AS h ON h.course_id = c.course_id
ORDER BY c.name, c.course_id
