-- summary.course_students for this sync (the caller empties the table first): every pair
-- Canvas lists, and every pair layer 0 holds as removed that history knows.
-- Runs after layer 1 is replaced, grade_history appended and layer 0 rewritten.
-- Parameter: $sync_id.
-- previous_score is a listed pair's score as of the sync before: its current score when this
-- sync appended no grade row for it (nothing changed), else the latest earlier row's.
INSERT INTO summary.course_students BY NAME
WITH work AS (
    -- Missing and late flags are rare: filtering on them first skips most submissions.
    SELECT course_id, student_id,
           count(*) FILTER (WHERE missing) AS missing_count,
           count(*) FILTER (WHERE late) AS late_count
    FROM canvas.submissions
    WHERE (missing OR late) AND NOT coalesce(excused, false)
    GROUP BY course_id, student_id
),
changed AS (
    SELECT course_id, student_id FROM history.grade_history WHERE sync_id = $sync_id
),
before AS (
    SELECT h.course_id, h.student_id, arg_max_null(h.current_score, h.sync_id) AS score
    FROM history.grade_history AS h
    SEMI JOIN changed USING (course_id, student_id)
    WHERE h.sync_id < $sync_id
    GROUP BY h.course_id, h.student_id
),
removed AS (
    SELECT es.course_id, es.student_id, arg_max(g.current_score, g.sync_id) AS score
    FROM lifecycle.enrollment_status AS es
    JOIN history.grade_history AS g USING (course_id, student_id)
    ANTI JOIN canvas.enrollments AS e USING (course_id, student_id)
    WHERE NOT es.active
    GROUP BY es.course_id, es.student_id
)
SELECT $sync_id AS sync_id, s.course_id, s.student_id,
       true AS listed, s.enrollment_id, s.section_id, s.enrollment_state, s.current_score,
       coalesce(w.missing_count, 0) AS missing_count,
       coalesce(w.late_count, 0) AS late_count,
       ch.student_id IS NOT NULL AS grade_changed,
       CASE WHEN ch.student_id IS NULL THEN s.current_score ELSE b.score END AS previous_score
FROM canvas.course_students AS s
LEFT JOIN work AS w USING (course_id, student_id)
LEFT JOIN changed AS ch USING (course_id, student_id)
LEFT JOIN before AS b USING (course_id, student_id)
UNION ALL BY NAME
SELECT $sync_id AS sync_id, course_id, student_id,
       false AS listed, NULL AS enrollment_id, NULL AS section_id,
       'removed' AS enrollment_state, score AS current_score,
       0 AS missing_count, 0 AS late_count, false AS grade_changed, NULL AS previous_score
FROM removed
