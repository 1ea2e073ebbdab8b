-- One assignment's work, student by student: who has handed it in, who is late, missing or
-- excused. Read models only: nothing here writes.

-- name: course_assignments
-- A course's assignments teachers see (not hidden by layer 0), in the course's order.
-- Parameter: $course_id.
SELECT a.assignment_id, a.name AS assignment_name, a.due_at, a.points_possible, a.published
FROM canvas.assignments AS a
ANTI JOIN lifecycle.hidden_assignments AS h USING (assignment_id)
WHERE a.course_id = $course_id
ORDER BY a.due_at NULLS LAST, a.position NULLS LAST, a.name, a.assignment_id

-- name: one_assignment
-- One assignment and its course. Parameter: $assignment_id. No row for an unknown id.
SELECT a.assignment_id, a.name AS assignment_name, a.course_id,
       coalesce(c.name, 'course ' || a.course_id) AS course_name, a.due_at,
       a.points_possible, a.published
FROM canvas.assignments AS a
LEFT JOIN canvas.courses AS c USING (course_id)
WHERE a.assignment_id = $assignment_id

-- name: assignment_work
-- Per student the reports count in the assignment's course (active or invited, not
-- archived; with $include_inactive every non-deleted enrollment): the submission's status in
-- words (as on the Student page), score, percent and when it was handed in (all of it kept
-- by history, so a past sync shows it exactly as it was). A
-- student with no submission row is "not submitted". Parameters: $assignment_id,
-- $include_inactive.
WITH target AS (
    SELECT assignment_id, course_id, points_possible FROM canvas.assignments
    WHERE assignment_id = $assignment_id
)
SELECT e.student_id,
       coalesce(st.name, 'student ' || e.student_id) AS student_name,
       lower(coalesce(st.sortable_name, st.name)) AS sort_key,
       e.enrollment_state,
       canvas.submission_status(s.excused, s.missing, s.late, s.score, s.workflow_state,
                                s.submitted_at) AS status,
       s.score, t.points_possible,
       CASE WHEN t.points_possible > 0 THEN 100 * s.score / t.points_possible END
           AS score_percent,
       s.submitted_at
FROM target AS t
JOIN canvas.reported_course_students($include_inactive) AS e USING (course_id)
LEFT JOIN canvas.students AS st USING (student_id)
LEFT JOIN canvas.submissions AS s
    ON s.assignment_id = t.assignment_id AND s.student_id = e.student_id
ORDER BY sort_key, e.student_id
