-- One student's assignments now (layer 1), with the score as points and percent and a
-- status in words. Parameter: $student_id.
WITH hidden_assignments AS (
    SELECT object_id AS assignment_id
    FROM lifecycle.hidden_objects
    WHERE object_type = 'assignment'
)
SELECT s.course_id,
       coalesce(c.course_code, c.name, 'course ' || s.course_id) AS course_label,
       s.assignment_id, a.name AS assignment_name, a.due_at, a.points_possible,
       s.score, s.grade,
       CASE WHEN a.points_possible > 0 THEN 100 * s.score / a.points_possible END
           AS score_percent,
       CASE WHEN s.excused THEN 'excused'
            WHEN s.missing THEN 'missing'
            WHEN s.late AND s.score IS NOT NULL THEN 'late, graded'
            WHEN s.late THEN 'late'
            WHEN s.workflow_state = 'graded' OR s.score IS NOT NULL THEN 'graded'
            WHEN s.submitted_at IS NOT NULL
                 OR s.workflow_state IN ('submitted', 'pending_review') THEN 'submitted'
            ELSE 'not submitted' END AS status,
       coalesce(s.late, false) AS late,
       coalesce(s.missing, false) AS missing,
       coalesce(s.excused, false) AS excused,
       s.submitted_at
FROM canvas.submissions AS s
LEFT JOIN canvas.assignments AS a USING (assignment_id)
LEFT JOIN canvas.courses AS c ON c.course_id = s.course_id
ANTI JOIN hidden_assignments AS h ON h.assignment_id = s.assignment_id
WHERE s.student_id = $student_id
ORDER BY course_label, s.course_id, a.due_at NULLS LAST, a.position NULLS LAST,
         s.assignment_id
