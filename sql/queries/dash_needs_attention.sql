-- Dashboard overview, "needs attention": three short lists, each explained in words.
--   low_score     the lowest current scores in active enrollments
--   missing_work  the most missing (not excused) submissions across a student's courses
--   score_drop    the biggest falls of a course score since the previous successful sync
-- Students and courses inactive or archived in layer 0 are left out.
-- Parameters: $limit (rows per list), $last_sync_id (NULL before the first sync).
-- History rows are appended only on change, so a score moved in the last sync exactly when
-- its key has a row with sync_id = $last_sync_id, and its value before is the latest row
-- with a smaller sync_id (successful syncs are the only ones that write history).
WITH hidden_students AS (
    SELECT object_id AS student_id FROM lifecycle.hidden_objects
    WHERE object_type = 'student'
),
hidden_courses AS (
    SELECT object_id AS course_id FROM lifecycle.hidden_objects
    WHERE object_type = 'course'
),
hidden_assignments AS (
    SELECT object_id AS assignment_id FROM lifecycle.hidden_objects
    WHERE object_type = 'assignment'
),
lowest AS (
    SELECT DISTINCT course_id, student_id, current_score
    FROM (
        SELECT e.course_id, e.student_id, e.current_score
        FROM canvas.enrollments AS e
        ANTI JOIN hidden_students AS h ON h.student_id = e.student_id
        ANTI JOIN hidden_courses AS hc ON hc.course_id = e.course_id
        WHERE e.enrollment_state = 'active' AND e.current_score IS NOT NULL
        ORDER BY e.current_score, e.course_id, e.student_id
        LIMIT $limit * 2
    )
    ORDER BY current_score, course_id, student_id
    LIMIT $limit
),
lowest_course_medians AS (
    SELECT e.course_id, median(e.current_score) AS course_median
    FROM canvas.enrollments AS e
    ANTI JOIN hidden_students AS h ON h.student_id = e.student_id
    WHERE e.enrollment_state = 'active'
      AND e.course_id IN (SELECT course_id FROM lowest)
    GROUP BY e.course_id
),
missing_by_course AS (
    SELECT s.student_id, s.course_id, count(*) AS missing
    FROM canvas.submissions AS s
    ANTI JOIN hidden_students AS h ON h.student_id = s.student_id
    ANTI JOIN hidden_courses AS hc ON hc.course_id = s.course_id
    ANTI JOIN hidden_assignments AS ha ON ha.assignment_id = s.assignment_id
    WHERE s.missing AND NOT coalesce(s.excused, false)
    GROUP BY s.student_id, s.course_id
),
most_missing AS (
    SELECT student_id, sum(missing)::BIGINT AS missing, count(*) AS courses
    FROM missing_by_course
    GROUP BY student_id
    ORDER BY missing DESC, student_id
    LIMIT $limit
),
missing_detail AS (
    SELECT m.student_id,
           string_agg(
               coalesce(c.course_code, c.name, 'course ' || m.course_id) || ' (' || m.missing
               || ')', ', ' ORDER BY m.missing DESC, c.course_code, m.course_id
           ) AS detail
    FROM missing_by_course AS m
    SEMI JOIN most_missing USING (student_id)
    LEFT JOIN canvas.courses AS c USING (course_id)
    GROUP BY m.student_id
),
changed AS (
    SELECT h.course_id, h.student_id, h.current_score
    FROM history.grade_history AS h
    ANTI JOIN hidden_students AS x ON x.student_id = h.student_id
    ANTI JOIN hidden_courses AS xc ON xc.course_id = h.course_id
    WHERE h.sync_id = $last_sync_id AND h.current_score IS NOT NULL
),
before AS (
    SELECT h.course_id, h.student_id, arg_max_null(h.current_score, h.sync_id) AS prev_score
    FROM history.grade_history AS h
    SEMI JOIN changed USING (course_id, student_id)
    WHERE h.sync_id < $last_sync_id
    GROUP BY h.course_id, h.student_id
),
drops AS (
    SELECT c.course_id, c.student_id, b.prev_score, c.current_score,
           c.current_score - b.prev_score AS change
    FROM changed AS c
    JOIN before AS b USING (course_id, student_id)
    WHERE c.current_score < b.prev_score
    ORDER BY change, c.course_id, c.student_id
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
