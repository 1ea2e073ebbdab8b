-- Scores of one course's assignments now (layer 1), one row per graded, non-excused
-- submission, as points and percent of the assignment's points; for box and strip plots.
-- Parameters: $course_id, $include_inactive.
WITH hidden_students AS (
    SELECT object_id AS student_id
    FROM lifecycle.hidden_objects
    WHERE NOT $include_inactive
      AND object_type = 'student'
),
hidden_assignments AS (
    SELECT object_id AS assignment_id
    FROM lifecycle.hidden_objects
    WHERE object_type = 'assignment'
)
SELECT s.assignment_id, a.name AS assignment_name, a.position, a.due_at, a.points_possible,
       s.student_id, st.name AS student_name, s.score,
       100 * s.score / a.points_possible AS score_percent,
       CASE WHEN s.missing THEN 'missing' WHEN s.late THEN 'late' ELSE 'on time' END AS status
FROM canvas.submissions AS s
JOIN canvas.assignments AS a USING (assignment_id)
LEFT JOIN canvas.students AS st ON st.student_id = s.student_id
ANTI JOIN hidden_students AS hs ON hs.student_id = s.student_id
ANTI JOIN hidden_assignments AS ha ON ha.assignment_id = s.assignment_id
WHERE s.course_id = $course_id AND a.course_id = $course_id
  AND s.score IS NOT NULL AND NOT coalesce(s.excused, false) AND a.points_possible > 0
ORDER BY a.due_at NULLS LAST, a.position NULLS LAST, s.assignment_id, s.student_id
