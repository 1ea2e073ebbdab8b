-- A student's course grades over time from layer 2: one row per recorded change.
-- Parameters: $student_id, $course_id (NULL for every course).
SELECT h.sync_id, h.recorded_at, h.course_id, c.name AS course_name, h.enrollment_state,
       h.current_score, h.final_score, h.current_grade, h.final_grade
FROM history.grade_history AS h
LEFT JOIN canvas.courses AS c USING (course_id)
WHERE h.student_id = $student_id
  AND ($course_id IS NULL OR h.course_id = $course_id)
ORDER BY h.course_id, h.sync_id
