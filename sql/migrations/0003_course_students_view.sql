-- One row per (course, student) Canvas lists, for every query that speaks of a student's
-- grade in a course: a student in two sections has two enrollments carrying the same course
-- grade, and the active one speaks for the pair (then any non-deleted one, then the lowest
-- enrollment id). A view, not a table: it is always what layer 1 says.
CREATE VIEW canvas.course_students AS
SELECT course_id, student_id, enrollment_id, section_id, enrollment_state,
       current_score, final_score, current_grade, final_grade, last_activity_at
FROM canvas.enrollments
QUALIFY row_number() OVER (
    PARTITION BY course_id, student_id
    ORDER BY enrollment_state IS DISTINCT FROM 'active',
             enrollment_state IS NOT DISTINCT FROM 'deleted',
             enrollment_id
) = 1;
