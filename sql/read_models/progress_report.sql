-- Progress reports: who a course report covers.

-- name: course_report_students
-- The students a course's report has a page for: those the course's default views show
-- (Canvas lists the pair, the enrollment is not deleted, the student is not hidden by
-- layer 0), by sortable name. Parameter: $course_id.
SELECT p.student_id
FROM summary.course_students AS p
JOIN summary.students AS s USING (student_id)
ANTI JOIN lifecycle.hidden_students AS h USING (student_id)
WHERE p.course_id = $course_id
  AND p.listed
  AND p.enrollment_state IS DISTINCT FROM 'deleted'
ORDER BY s.sort_key, p.student_id
