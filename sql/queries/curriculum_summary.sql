-- Per-curriculum summary: courses, distinct students, mean and median current score over
-- (student, course) pairs, missing and late counts. Parameter: $include_inactive, as in
-- course_summary.sql.
WITH hidden_students AS (
    SELECT object_id AS student_id FROM lifecycle.object_status
    WHERE object_type = 'student' AND archived
),
course_students AS (
    SELECT * FROM canvas.course_students
    WHERE enrollment_state IS DISTINCT FROM 'deleted'
      AND ($include_inactive
           OR (enrollment_state IN ('active', 'invited')
               AND student_id NOT IN (SELECT student_id FROM hidden_students)))
),
work AS (
    SELECT s.course_id,
           count(*) FILTER (WHERE s.missing AND NOT coalesce(s.excused, false)) AS missing_count,
           count(*) FILTER (WHERE s.late AND NOT coalesce(s.excused, false)) AS late_count
    FROM canvas.submissions AS s
    SEMI JOIN course_students AS e USING (course_id, student_id)
    GROUP BY s.course_id
),
per_curriculum_scores AS (
    SELECT cc.curriculum_id,
           count(DISTINCT e.student_id) AS students,
           avg(e.current_score) AS mean_current_score,
           median(e.current_score) AS median_current_score
    FROM meta.curriculum_courses AS cc
    JOIN course_students AS e USING (course_id)
    GROUP BY cc.curriculum_id
),
per_curriculum_work AS (
    SELECT cc.curriculum_id,
           count(DISTINCT cc.course_id) AS courses,
           coalesce(sum(w.missing_count), 0) AS missing_count,
           coalesce(sum(w.late_count), 0) AS late_count
    FROM meta.curriculum_courses AS cc
    LEFT JOIN work AS w USING (course_id)
    GROUP BY cc.curriculum_id
)
SELECT k.curriculum_id, k.name, k.color,
       coalesce(w.courses, 0) AS courses,
       coalesce(s.students, 0) AS students,
       s.mean_current_score, s.median_current_score,
       coalesce(w.missing_count, 0)::BIGINT AS missing_count,
       coalesce(w.late_count, 0)::BIGINT AS late_count
FROM meta.curricula AS k
LEFT JOIN per_curriculum_scores AS s USING (curriculum_id)
LEFT JOIN per_curriculum_work AS w USING (curriculum_id)
ORDER BY lower(k.name), k.curriculum_id
