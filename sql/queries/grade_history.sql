-- history.grade_history rows, optionally of one student and/or course.
-- Parameters: $student_id, $course_id (NULL for all).
SELECT *
FROM history.grade_history
WHERE ($student_id IS NULL OR student_id = $student_id)
  AND ($course_id IS NULL OR course_id = $course_id)
ORDER BY course_id, student_id, sync_id
