-- name: recipients
-- The students of $student_ids BIGINT[] with what a teacher's mail needs: the name to show
-- and sort by and the Canvas login id (often an email address; the caller checks), in
-- sortable-name order. Students are found in summary.students (Canvas's name, else the
-- last known), so one who left a course is still found.
SELECT student_id, name AS student_name, sortable_name, login_id
FROM summary.students
WHERE list_contains($student_ids::BIGINT[], student_id)
ORDER BY sort_key, student_id;
