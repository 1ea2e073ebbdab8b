-- One student's courses now (layer 1): section, enrollment state, current score and grade,
-- missing and late work (excused left out), and the change since the previous successful
-- sync. Parameters: $student_id, $last_sync_id, $previous_sync_id (NULL when missing).
WITH hidden_assignments AS (
    SELECT object_id AS assignment_id
    FROM lifecycle.hidden_objects
    WHERE object_type = 'assignment'
),
mine AS (
    SELECT e.course_id, e.section_id, e.enrollment_state, e.current_score, e.current_grade,
           e.final_score, e.last_activity_at
    FROM canvas.enrollments AS e
    WHERE e.student_id = $student_id AND e.enrollment_state IS DISTINCT FROM 'deleted'
    QUALIFY row_number() OVER (
        PARTITION BY e.course_id
        ORDER BY e.enrollment_state IS DISTINCT FROM 'active', e.enrollment_id
    ) = 1
),
work AS (
    SELECT s.course_id,
           count(*) FILTER (WHERE s.missing) AS missing,
           count(*) FILTER (WHERE s.late) AS late
    FROM canvas.submissions AS s
    ANTI JOIN hidden_assignments USING (assignment_id)
    WHERE s.student_id = $student_id AND NOT coalesce(s.excused, false)
    GROUP BY s.course_id
),
mine_history AS (
    SELECT course_id, sync_id, current_score
    FROM history.grade_history
    WHERE student_id = $student_id
),
before AS (
    SELECT course_id,
           bool_or(sync_id = $last_sync_id) AS changed,
           arg_max_null(current_score, sync_id) FILTER (WHERE sync_id < $last_sync_id)
               AS prev_score
    FROM mine_history
    GROUP BY course_id
)
SELECT m.course_id, c.name AS course_name, c.course_code, sec.name AS section_name,
       m.enrollment_state, m.current_score, m.current_grade, m.final_score,
       coalesce(w.missing, 0) AS missing, coalesce(w.late, 0) AS late,
       CASE WHEN $previous_sync_id IS NULL OR m.current_score IS NULL THEN NULL
            WHEN NOT coalesce(b.changed, false) THEN 0.0
            ELSE m.current_score - b.prev_score END AS change_since_last_sync,
       m.last_activity_at
FROM mine AS m
LEFT JOIN canvas.courses AS c USING (course_id)
LEFT JOIN canvas.sections AS sec ON sec.section_id = m.section_id
LEFT JOIN work AS w USING (course_id)
LEFT JOIN before AS b USING (course_id)
ORDER BY c.name, m.course_id
