-- summary.students from summary.course_students and layer 0 (the caller empties the table
-- first): one row per student with a pair in a course layer 0 does not hide.
INSERT INTO summary.students BY NAME
WITH shown AS (
    SELECT s.*
    FROM summary.course_students AS s
    WHERE s.course_id NOT IN (
        SELECT object_id FROM lifecycle.hidden_objects WHERE object_type = 'course'
    )
      AND s.enrollment_state IS DISTINCT FROM 'deleted'
),
per_student AS (
    SELECT student_id,
           count(*) FILTER (WHERE listed) AS course_count,
           count(*) FILTER (WHERE NOT listed) AS removed_count,
           sum(missing_count)::BIGINT AS missing_count,
           count(*) FILTER (WHERE missing_count > 0) AS missing_courses,
           sum(late_count)::BIGINT AS late_count
    FROM shown
    GROUP BY student_id
),
known AS (
    -- Canvas's names, else (a student Canvas no longer lists) the last name seen
    SELECT student_id, name, sortable_name, login_id, sis_user_id FROM canvas.students
    UNION ALL BY NAME
    SELECT o.object_id AS student_id, o.last_known_name AS name,
           o.last_known_name AS sortable_name
    FROM lifecycle.object_status AS o
    ANTI JOIN canvas.students AS s ON s.student_id = o.object_id
    WHERE o.object_type = 'student'
)
SELECT p.*, k.name, k.sortable_name, lower(k.sortable_name) AS sort_key, k.login_id,
       k.sis_user_id,
       lower(concat_ws(chr(31), k.name, k.sortable_name, k.login_id, k.sis_user_id))
           AS search_text
FROM per_student AS p
LEFT JOIN known AS k USING (student_id)
