-- Dashboard Students page: one row per student matching every filter, ordered by sortable
-- name, at most $limit rows, each carrying the total number of matches.
-- Parameters (an empty list means "no filter"):
--   $curricula VARCHAR[] (ids), $course_ids BIGINT[], $section_ids BIGINT[], $tags VARCHAR[]
--   (any of them), $groups VARCHAR[], $states VARCHAR[] (enrollment states), $search VARCHAR
--   (part of the name, sortable name, login or SIS id, or the exact Canvas id; '' for all),
--   $include_inactive BOOLEAN (lift the layer-0
--   filter and add the pairs Canvas no longer lists), $limit BIGINT, $person_level BOOLEAN
--   (no curriculum, course, section or state filter is set).
-- A row shows a student's pairs (course, student) from summary.course_students: the courses
-- default views show, plus with $include_inactive the pairs Canvas no longer lists (state
-- 'removed', last recorded score). Course-level filters pick enrollments; a student matches
-- when one of their pairs does, and the row then shows only the matching pairs.
-- Without course-level filters students are found in summary.students alone, so the page
-- costs the same whatever the program's size.
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
pairs AS NOT MATERIALIZED (
    SELECT p.*
    FROM summary.course_students AS p
    ANTI JOIN hidden_courses USING (course_id)
    WHERE (p.listed AND p.enrollment_state IS DISTINCT FROM 'deleted')
       OR ($include_inactive AND NOT p.listed)
),
matching_enrollments AS (
    -- read only with a section or state filter (the constant condition skips the scan)
    SELECT course_id, student_id
    FROM canvas.enrollments
    WHERE len($section_ids::BIGINT[]) + len($states::VARCHAR[]) > 0
      AND enrollment_state IS DISTINCT FROM 'deleted'
      AND (len($section_ids::BIGINT[]) = 0
           OR list_contains($section_ids::BIGINT[], section_id))
      AND (len($states::VARCHAR[]) = 0
           OR list_contains($states::VARCHAR[], enrollment_state))
),
matching_pairs AS NOT MATERIALIZED (
    SELECT p.course_id, p.student_id
    FROM pairs AS p
    WHERE NOT $person_level
      AND (len($course_ids::BIGINT[]) = 0 OR list_contains($course_ids::BIGINT[], p.course_id))
      AND (len($curricula::VARCHAR[]) = 0
           OR p.course_id IN (
               SELECT course_id FROM meta.curriculum_courses
               WHERE list_contains($curricula::VARCHAR[], curriculum_id)
           ))
      -- a removed pair has no enrollment: no section, and the state 'removed'
      AND (NOT p.listed OR len($section_ids::BIGINT[]) + len($states::VARCHAR[]) = 0
           OR (p.course_id, p.student_id) IN (SELECT * FROM matching_enrollments))
      AND (p.listed OR (len($section_ids::BIGINT[]) = 0
                        AND (len($states::VARCHAR[]) = 0
                             OR list_contains($states::VARCHAR[], 'removed'))))
),
found AS (
    SELECT s.student_id, s.name, s.sort_key, count(*) OVER () AS total
    FROM summary.students AS s
    ANTI JOIN hidden_students USING (student_id)
    WHERE (CASE WHEN $person_level
                THEN s.course_count > 0 OR ($include_inactive AND s.removed_count > 0)
                ELSE s.student_id IN (SELECT student_id FROM matching_pairs) END)
      AND ($search = ''
           OR contains(s.search_text, lower($search))
           OR s.student_id = TRY_CAST($search AS BIGINT))
      -- teacher data is joined for the page only; these filters read just the rows they need
      AND (len($tags::VARCHAR[]) = 0 OR s.student_id IN (
               SELECT student_id FROM meta.student_metadata
               WHERE list_has_any(tags, $tags::VARCHAR[])))
      AND (len($groups::VARCHAR[]) = 0 OR s.student_id IN (
               SELECT student_id FROM meta.student_metadata
               WHERE list_contains($groups::VARCHAR[], custom_group)))
),
page_students AS (
    SELECT * FROM found ORDER BY sort_key, student_id LIMIT $limit
),
page AS (
    SELECT p.*, coalesce(m.tags, []) AS tags, m.custom_group
    FROM page_students AS p
    LEFT JOIN meta.student_metadata AS m USING (student_id)
),
page_pairs AS (
    SELECT p.*
    FROM pairs AS p
    SEMI JOIN page_students USING (student_id)
    WHERE $person_level
    UNION ALL
    SELECT p.*
    FROM pairs AS p
    SEMI JOIN page_students USING (student_id)
    SEMI JOIN matching_pairs USING (course_id, student_id)
),
per_course AS (
    SELECT p.student_id,
           coalesce(c.course_code, c.name, 'course ' || p.course_id) AS label,
           p.current_score,
           p.missing_count AS missing,
           p.late_count AS late,
           -- 0 when unchanged; NULL without a score before (new pair, first sync, removed)
           p.current_score - p.previous_score AS change
    FROM page_pairs AS p
    LEFT JOIN canvas.courses AS c USING (course_id)
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
GROUP BY p.student_id, p.name, p.sort_key, p.tags, p.custom_group, p.total
ORDER BY p.sort_key, p.student_id
