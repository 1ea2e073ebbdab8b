-- Assignment metadata for the editor: one course's active assignments with the teacher's
-- notes, tags, difficulty and estimated hours. Parameter: $course_id.
WITH hidden_assignments AS (
    SELECT object_id AS assignment_id
    FROM lifecycle.hidden_objects
    WHERE object_type = 'assignment'
)
SELECT a.assignment_id, a.name, a.due_at, a.points_possible, m.notes,
       coalesce(m.tags, []) AS tags, m.difficulty, m.estimated_hours
FROM canvas.assignments AS a
LEFT JOIN meta.assignment_metadata AS m USING (assignment_id)
ANTI JOIN hidden_assignments AS h ON h.assignment_id = a.assignment_id
WHERE a.course_id = $course_id
ORDER BY a.due_at NULLS LAST, a.position NULLS LAST, a.assignment_id
