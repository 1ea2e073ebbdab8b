-- Dashboard Students page: one row per student matching every filter, ordered by sortable
-- name, at most $limit rows, each carrying the total number of matches.
-- Parameters (an empty list means "no filter"):
--   $curricula VARCHAR[] (ids), $course_ids BIGINT[], $section_ids BIGINT[], $tags VARCHAR[]
--   (any of them), $groups VARCHAR[], $states VARCHAR[] (enrollment states), $search VARCHAR
--   (part of the name, sortable name, login or SIS id, or the exact Canvas id; '' for all),
--   $include_inactive BOOLEAN (lift the layer-0 filter), $limit BIGINT, $last_sync_id and
--   $previous_sync_id (NULL when there is none).
-- Course filters pick enrollments; a student matches when at least one enrollment does, and
-- the row then shows only the matching enrollments. Everything per course (scores, missing
-- and late work, the change since the previous sync) is computed for the shown students
-- only, so the cost follows the page, not the program.
WITH hidden_students AS (
    SELECT object_id AS student_id
    FROM lifecycle.hidden_objects
    WHERE NOT $include_inactive
      AND object_type = 'student'
),
hidden_courses AS (
    SELECT object_id AS course_id
    FROM lifecycle.hidden_objects
    WHERE object_type = 'course'
),
hidden_assignments AS (
    SELECT object_id AS assignment_id
    FROM lifecycle.hidden_objects
    WHERE object_type = 'assignment'
),
chosen_courses AS (
    SELECT course_id
    FROM meta.curriculum_courses
    WHERE list_contains($curricula::VARCHAR[], curriculum_id)
),
removed_enrollments AS (
    -- With $include_inactive: (course, student) pairs Canvas no longer lists, with the course
    -- score last recorded for them, so a dropped student's history stays reachable.
    SELECT NULL::BIGINT AS enrollment_id, es.course_id, es.student_id,
           NULL::BIGINT AS section_id, 'removed' AS enrollment_state,
           arg_max(g.current_score, g.sync_id) AS current_score
    FROM lifecycle.enrollment_status AS es
    JOIN history.grade_history AS g USING (course_id, student_id)
    WHERE $include_inactive AND NOT es.active
      AND NOT EXISTS (
          SELECT 1 FROM canvas.enrollments AS e
          WHERE e.course_id = es.course_id AND e.student_id = es.student_id
      )
    GROUP BY es.course_id, es.student_id
),
all_enrollments AS (
    SELECT enrollment_id, course_id, student_id, section_id, enrollment_state, current_score
    FROM canvas.enrollments
    UNION ALL
    SELECT * FROM removed_enrollments
),
matching AS (
    SELECT e.enrollment_id, e.course_id, e.student_id, e.enrollment_state, e.current_score
    FROM all_enrollments AS e
    ANTI JOIN hidden_students USING (student_id)
    ANTI JOIN hidden_courses USING (course_id)
    WHERE e.enrollment_state IS DISTINCT FROM 'deleted'
      AND (len($course_ids::BIGINT[]) = 0 OR list_contains($course_ids::BIGINT[], e.course_id))
      AND (len($section_ids::BIGINT[]) = 0
           OR list_contains($section_ids::BIGINT[], e.section_id))
      AND (len($states::VARCHAR[]) = 0
           OR list_contains($states::VARCHAR[], e.enrollment_state))
      AND (len($curricula::VARCHAR[]) = 0
           OR e.course_id IN (SELECT course_id FROM chosen_courses))
),
matching_students AS (
    SELECT DISTINCT student_id FROM matching
),
known_students AS (
    SELECT student_id, name, sortable_name, login_id, sis_user_id FROM canvas.students
    UNION ALL
    -- Students Canvas no longer lists, by the name last seen (with $include_inactive only).
    SELECT o.object_id, o.last_known_name, o.last_known_name, NULL, NULL
    FROM lifecycle.object_status AS o
    WHERE $include_inactive AND o.object_type = 'student'
      AND NOT EXISTS (SELECT 1 FROM canvas.students AS s WHERE s.student_id = o.object_id)
),
people AS (
    SELECT s.student_id, s.name, s.sortable_name, coalesce(m.tags, []) AS tags,
           m.custom_group
    FROM known_students AS s
    LEFT JOIN meta.student_metadata AS m USING (student_id)
    WHERE ($search = ''
           OR s.name ILIKE $pattern ESCAPE '\'
           OR s.sortable_name ILIKE $pattern ESCAPE '\'
           OR s.login_id ILIKE $pattern ESCAPE '\'
           OR s.sis_user_id ILIKE $pattern ESCAPE '\'
           OR s.student_id::VARCHAR = $search)
      AND (len($tags::VARCHAR[]) = 0 OR list_has_any(coalesce(m.tags, []), $tags::VARCHAR[]))
      AND (len($groups::VARCHAR[]) = 0 OR list_contains($groups::VARCHAR[], m.custom_group))
),
found AS (
    SELECT pe.*, count(*) OVER () AS total
    FROM people AS pe
    SEMI JOIN matching_students USING (student_id)
),
page AS (
    SELECT *
    FROM found
    ORDER BY lower(sortable_name), student_id
    LIMIT $limit
),
page_courses AS (
    -- One row per (course, student): the active enrollment speaks for a student in two
    -- sections, then the lowest enrollment id.
    SELECT m.course_id, m.student_id, m.current_score
    FROM matching AS m
    SEMI JOIN page USING (student_id)
    QUALIFY row_number() OVER (
        PARTITION BY m.course_id, m.student_id
        ORDER BY m.enrollment_state IS DISTINCT FROM 'active', m.enrollment_id
    ) = 1
),
page_course_ids AS (
    SELECT DISTINCT course_id FROM page_courses
),
flagged AS (
    -- Missing and late flags are rare: scanning each flag on its own (and only the page's
    -- courses) lets DuckDB skip the other columns of every other submission.
    SELECT course_id, student_id, assignment_id, excused, 1 AS missing, 0 AS late
    FROM canvas.submissions
    WHERE missing AND course_id IN (SELECT course_id FROM page_course_ids)
    UNION ALL
    SELECT course_id, student_id, assignment_id, excused, 0, 1
    FROM canvas.submissions
    WHERE late AND course_id IN (SELECT course_id FROM page_course_ids)
),
work AS (
    SELECT f.course_id, f.student_id, sum(f.missing) AS missing, sum(f.late) AS late
    FROM flagged AS f
    SEMI JOIN page_courses USING (course_id, student_id)
    ANTI JOIN hidden_assignments USING (assignment_id)
    WHERE NOT coalesce(f.excused, false)
    GROUP BY f.course_id, f.student_id
),
changed AS (
    SELECT h.course_id, h.student_id
    FROM history.grade_history AS h
    SEMI JOIN page_courses USING (course_id, student_id)
    WHERE h.sync_id = $last_sync_id
      AND h.course_id IN (SELECT course_id FROM page_course_ids)
),
before AS (
    SELECT h.course_id, h.student_id, arg_max_null(h.current_score, h.sync_id) AS prev_score
    FROM history.grade_history AS h
    SEMI JOIN changed USING (course_id, student_id)
    WHERE h.sync_id < $last_sync_id
      AND h.course_id IN (SELECT course_id FROM page_course_ids)
    GROUP BY h.course_id, h.student_id
),
per_course AS (
    SELECT pc.student_id,
           coalesce(c.course_code, c.name, 'course ' || pc.course_id) AS label,
           pc.current_score,
           coalesce(w.missing, 0) AS missing,
           coalesce(w.late, 0) AS late,
           -- unchanged in the last sync: no change (no score: nothing to compare)
           CASE WHEN $previous_sync_id IS NULL OR pc.current_score IS NULL THEN NULL
                WHEN ch.student_id IS NULL THEN 0.0
                ELSE pc.current_score - b.prev_score END AS change
    FROM page_courses AS pc
    LEFT JOIN canvas.courses AS c USING (course_id)
    LEFT JOIN work AS w USING (course_id, student_id)
    LEFT JOIN changed AS ch USING (course_id, student_id)
    LEFT JOIN before AS b USING (course_id, student_id)
)
SELECT p.student_id, p.name,
       string_agg(r.label, '; ' ORDER BY r.label) AS courses,
       string_agg(coalesce(format('{:.1f}', r.current_score), '-'), '; ' ORDER BY r.label)
           AS current_scores,
       avg(r.current_score) AS mean_score,
       sum(r.missing)::BIGINT AS missing,
       sum(r.late)::BIGINT AS late,
       avg(r.change) AS change_since_last_sync,
       array_to_string(p.tags, ', ') AS tags,
       p.custom_group,
       p.total
FROM page AS p
JOIN per_course AS r USING (student_id)
GROUP BY p.student_id, p.name, p.sortable_name, p.tags, p.custom_group, p.total
ORDER BY lower(p.sortable_name), p.student_id
