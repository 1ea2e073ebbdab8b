-- Students who need a teacher's attention, each with the reason in words. Read models only:
-- nothing here writes.

-- name: needs_attention
-- Who needs attention: three short lists, each row explained in words.
--   low_score     the lowest current scores in active enrollments
--   missing_work  the most missing (not excused) submissions across a student's courses
--   score_drop    the biggest falls of a course score since the previous successful sync
-- Students and courses inactive or archived in layer 0 are left out.
-- Parameter: $limit (rows per list).
-- Everything comes from the summary schema the sync writes: scores and the change in the
-- last sync per course (summary.course_students, listed pairs only), missing work per student
-- (summary.students, over the courses default views show).
WITH shown AS NOT MATERIALIZED (
    -- each use reads only its columns and rows (materialising all of them costs more)
    SELECT s.course_id, s.student_id, s.enrollment_state, s.current_score, s.missing_count,
           s.grade_changed, s.previous_score
    FROM summary.course_students AS s
    ANTI JOIN lifecycle.hidden_students AS h USING (student_id)
    ANTI JOIN lifecycle.hidden_courses AS hc USING (course_id)
    WHERE s.listed AND s.enrollment_state IS DISTINCT FROM 'deleted'
),
lowest AS (
    SELECT course_id, student_id, current_score
    FROM shown
    WHERE enrollment_state = 'active' AND current_score IS NOT NULL
    ORDER BY current_score, course_id, student_id
    LIMIT $limit
),
lowest_course_medians AS (
    SELECT course_id, median(current_score) AS course_median
    FROM shown
    WHERE enrollment_state = 'active' AND course_id IN (SELECT course_id FROM lowest)
    GROUP BY course_id
),
most_missing AS (
    SELECT s.student_id, s.missing_count AS missing, s.missing_courses AS courses
    FROM summary.students AS s
    ANTI JOIN lifecycle.hidden_students AS h USING (student_id)
    WHERE s.missing_count > 0
    ORDER BY s.missing_count DESC, s.student_id
    LIMIT $limit
),
missing_detail AS (
    SELECT m.student_id,
           string_agg(
               coalesce(c.course_code, c.name, 'course ' || m.course_id) || ' (' || m.missing_count
               || ')', ', ' ORDER BY m.missing_count DESC, c.course_code, m.course_id
           ) AS detail
    FROM shown AS m
    SEMI JOIN most_missing USING (student_id)
    LEFT JOIN canvas.courses AS c USING (course_id)
    WHERE m.missing_count > 0
    GROUP BY m.student_id
),
drops AS (
    -- previous_score is the score as of the sync before the last one
    SELECT course_id, student_id, previous_score AS prev_score, current_score,
           current_score - previous_score AS change
    FROM shown
    WHERE grade_changed AND current_score < previous_score
    ORDER BY change, course_id, student_id
    LIMIT $limit
)
SELECT * EXCLUDE (sort_key) FROM (
SELECT 'low_score' AS kind, 1 AS kind_order, l.current_score AS sort_key, l.student_id,
       s.name AS student_name, l.course_id, c.name AS course_name, l.current_score AS value,
       format('current score {:.1f}% in {}; the course median is {:.1f}%',
              l.current_score, coalesce(c.course_code, c.name, 'course ' || l.course_id),
              m.course_median) AS explanation
FROM lowest AS l
LEFT JOIN canvas.students AS s USING (student_id)
LEFT JOIN canvas.courses AS c USING (course_id)
LEFT JOIN lowest_course_medians AS m USING (course_id)
UNION ALL
SELECT 'missing_work', 2, -mm.missing, mm.student_id, s.name, NULL, NULL, mm.missing,
       format('{} missing {} in {} {}: {}', mm.missing,
              CASE WHEN mm.missing = 1 THEN 'submission' ELSE 'submissions' END,
              mm.courses, CASE WHEN mm.courses = 1 THEN 'course' ELSE 'courses' END, d.detail)
FROM most_missing AS mm
LEFT JOIN canvas.students AS s USING (student_id)
LEFT JOIN missing_detail AS d USING (student_id)
UNION ALL
SELECT 'score_drop', 3, d.change, d.student_id, s.name, d.course_id, c.name, d.change,
       format('fell {:.1f} points since the previous sync in {} ({:.1f}% to {:.1f}%)',
              -d.change, coalesce(c.course_code, c.name, 'course ' || d.course_id),
              d.prev_score, d.current_score)
FROM drops AS d
LEFT JOIN canvas.students AS s USING (student_id)
LEFT JOIN canvas.courses AS c USING (course_id)
)
ORDER BY kind_order, sort_key, student_id
