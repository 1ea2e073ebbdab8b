-- Layer 2: append one grade_history row per (course, student) whose values differ from the
-- latest row recorded for it (all of them on the first sync). Reads the layer-1 enrollments
-- this sync has just written. Parameters: $sync_id, $recorded_at.
-- canvas.course_students picks one enrollment for a student in two sections.
INSERT INTO history.grade_history BY NAME
WITH current_grades AS (
    SELECT course_id, student_id, enrollment_state,
           current_score, final_score, current_grade, final_grade
    FROM canvas.course_students
),
latest AS (
    SELECT course_id, student_id,
           arg_max(
               ROW(enrollment_state, current_score, final_score, current_grade, final_grade),
               sync_id
           ) AS v
    FROM history.grade_history
    GROUP BY course_id, student_id
)
SELECT $sync_id AS sync_id, $recorded_at AS recorded_at, c.*
FROM current_grades AS c
LEFT JOIN latest AS l USING (course_id, student_id)
WHERE l.v IS NULL
   OR l.v IS DISTINCT FROM ROW(c.enrollment_state, c.current_score, c.final_score,
                               c.current_grade, c.final_grade)
