-- Finding students: filter choices, the filtered table, and a name search. Read models only:
-- nothing here writes.

-- name: filter_options
-- What students can be filtered by, as (kind, value, label, parent) rows:
--   curriculum  value = curriculum id, label = its name
--   course      value = course id, label = code and name (active, non-archived courses)
--   section     value = section id, label = section name, parent = its course id
--   tag         value = label = a student tag in use
--   group       value = label = a custom group in use
--   state       value = label = an enrollment state present in layer 1 (not 'deleted')
WITH courses AS (
    SELECT c.course_id, c.name, c.course_code
    FROM canvas.courses AS c
    ANTI JOIN lifecycle.hidden_courses USING (course_id)
),
tags AS (
    SELECT DISTINCT unnest(tags) AS tag
    FROM meta.student_metadata
),
states AS (
    SELECT DISTINCT enrollment_state
    FROM canvas.enrollments
    WHERE enrollment_state IS NOT NULL AND enrollment_state <> 'deleted'
)
SELECT kind, value, label, parent FROM (
SELECT 'curriculum' AS kind, 1 AS kind_order, curriculum_id AS value, name AS label,
       NULL::BIGINT AS parent
FROM meta.curricula
UNION ALL
SELECT 'course', 2, course_id::VARCHAR,
       CASE WHEN course_code IS NULL OR name LIKE course_code || '%' THEN coalesce(name, '')
            ELSE course_code || ' - ' || coalesce(name, '') END,
       NULL
FROM courses
UNION ALL
SELECT 'section', 3, s.section_id::VARCHAR, coalesce(s.name, 'section ' || s.section_id),
       s.course_id
FROM canvas.sections AS s
SEMI JOIN courses USING (course_id)
UNION ALL
SELECT 'tag', 4, tag, tag, NULL FROM tags
UNION ALL
SELECT 'group', 5, custom_group, custom_group, NULL
FROM (SELECT DISTINCT custom_group FROM meta.student_metadata WHERE custom_group IS NOT NULL)
UNION ALL
SELECT 'state', 6, enrollment_state, enrollment_state, NULL FROM states
)
ORDER BY kind_order, lower(label), value

-- name: students_table
-- One row per student matching every filter, ordered by sortable name, at most $limit rows,
-- each carrying the total number of matches.
-- Parameters (an empty list means "no filter"):
--   $curricula VARCHAR[] (ids), $course_ids BIGINT[], $section_ids BIGINT[], $tags VARCHAR[]
--   (any of them), $groups VARCHAR[], $states VARCHAR[] (enrollment states), $search VARCHAR
--   (part of the name, sortable name, login or SIS id, or the exact Canvas id; '' for all),
--   $include_inactive BOOLEAN (lift the layer-0 filter and add the pairs Canvas no longer
--   lists), $limit BIGINT, $person_level BOOLEAN (no curriculum, course, section or state
--   filter is set), $flagged_only BOOLEAN (only students with an open flag: with
--   $flags_in_summary BOOLEAN those summary.open_flag_students gives, else those of
--   $flagged_ids BIGINT[]),
--   $below_score DOUBLE (only students with a current score below it in a course the row
--   shows; NULL for all).
-- course_scores lists each shown course's id, label and score (for a column per course).
-- A row shows a student's pairs (course, student) from summary.course_students: the courses
-- default views show, plus with $include_inactive the pairs Canvas no longer lists (state
-- 'removed', last recorded score). Course-level filters pick enrollments; a student matches
-- when one of their pairs does, and the row then shows only the matching pairs.
-- Without course-level filters students are found in summary.students alone, so the query
-- costs the same whatever the program's size.
WITH hidden_students AS (
    SELECT student_id FROM lifecycle.hidden_students WHERE NOT $include_inactive
),
pairs AS NOT MATERIALIZED (
    SELECT p.*
    FROM summary.course_students AS p
    ANTI JOIN lifecycle.hidden_courses USING (course_id)
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

      -- a hash join on the ids (list_contains would scan the list once per student)
      AND (NOT $flagged_only OR s.student_id IN (
               SELECT student_id FROM summary.open_flag_students(
                   $course_ids::BIGINT[], $curricula::VARCHAR[])
               WHERE $flags_in_summary
               UNION ALL
               SELECT unnest($flagged_ids::BIGINT[])))
      -- a score below $below_score in one of the courses the row shows
      AND ($below_score::DOUBLE IS NULL OR s.student_id IN (
               SELECT student_id FROM pairs AS p
               WHERE p.current_score < $below_score::DOUBLE
                 AND ($person_level OR (p.course_id, p.student_id) IN (
                          SELECT * FROM matching_pairs))))
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
    SELECT p.student_id, p.course_id,
           coalesce(c.course_code, c.name, 'course ' || p.course_id) AS label,
           coalesce(p.enrollment_state, '-') AS state,
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
       string_agg(r.state, '; ' ORDER BY r.label) AS enrollment_states,
       string_agg(coalesce(format('{:.1f}', r.current_score), '-'), '; ' ORDER BY r.label)
           AS current_scores,
       avg(r.current_score) AS mean_score,
       sum(r.missing)::BIGINT AS missing,
       sum(r.late)::BIGINT AS late,
       avg(r.change) AS change_since_last_sync,
       array_to_string(p.tags, ', ') AS tags,
       p.custom_group,
       list({'course_id': r.course_id, 'label': r.label, 'score': r.current_score}
            ORDER BY r.label, r.course_id) AS course_scores,
       p.total
FROM page AS p
JOIN per_course AS r USING (student_id)
GROUP BY p.student_id, p.name, p.sort_key, p.tags, p.custom_group, p.total
ORDER BY p.sort_key, p.student_id

-- name: student_search
-- Students whose name, sortable name, login or SIS id contains the search text (or whose
-- Canvas id is exactly it), by sortable name. Parameters: $search, $pattern (ILIKE pattern
-- with wildcards escaped), $limit.
WITH known_students AS (
    SELECT student_id, name, sortable_name, login_id, sis_user_id FROM canvas.students
    UNION ALL
    -- Students Canvas no longer lists stay findable by the name last seen.
    SELECT o.object_id, o.last_known_name, o.last_known_name, NULL, NULL
    FROM lifecycle.object_status AS o
    WHERE o.object_type = 'student'
      AND NOT EXISTS (SELECT 1 FROM canvas.students AS s WHERE s.student_id = o.object_id)
)
SELECT s.student_id, s.name, s.sortable_name
FROM known_students AS s
WHERE $search = ''
   OR s.name ILIKE $pattern ESCAPE '\'
   OR s.sortable_name ILIKE $pattern ESCAPE '\'
   OR s.login_id ILIKE $pattern ESCAPE '\'
   OR s.sis_user_id ILIKE $pattern ESCAPE '\'
   OR s.student_id::VARCHAR = $search
ORDER BY lower(s.sortable_name), s.student_id
LIMIT $limit

-- name: known_student_ids
-- Every student the tracker knows: those Canvas lists and those it no longer does.
SELECT student_id FROM canvas.students
UNION
SELECT object_id FROM lifecycle.object_status WHERE object_type = 'student'
ORDER BY 1

-- name: departures
-- (Course, student) pairs that left a course at or after $since and have not come back: the
-- change log's last entry for the pair is 'gone' (so only students the tracker saw active
-- there; an enrollment already ended when first synced never left), dated as its sync is,
-- with why and the last course score history holds. A course switched off by the teacher
-- is no departure. Parameters: $since, $course_ids (BIGINT[]; empty: every course). Newest
-- first.
WITH latest AS (
    SELECT ch.course_id, ch.student_id, arg_max(ch.change, ch.sync_id) AS change,
           max(ch.sync_id) AS sync_id, arg_max(ch.reason, ch.sync_id) AS reason
    FROM lifecycle.enrollment_changes AS ch
    GROUP BY ch.course_id, ch.student_id
),
gone AS (
    SELECT l.course_id, l.student_id, t.recorded_at AS left_at, l.reason
    FROM latest AS l
    JOIN history.sync_times AS t USING (sync_id)
    WHERE l.change = 'gone' AND t.recorded_at >= $since
      AND l.reason IS DISTINCT FROM 'course not tracked'
      AND (len($course_ids::BIGINT[]) = 0 OR list_contains($course_ids::BIGINT[], l.course_id))
),
last_scores AS (
    SELECT h.course_id, h.student_id, arg_max_null(h.current_score, h.sync_id) AS last_score
    FROM history.grade_history AS h
    SEMI JOIN gone USING (course_id, student_id)
    GROUP BY h.course_id, h.student_id
)
SELECT g.course_id,
       coalesce(c.name, oc.last_known_name, 'course ' || g.course_id) AS course_name,
       g.student_id,
       coalesce(s.name, os.last_known_name, 'student ' || g.student_id) AS student_name,
       g.left_at,
       CASE g.reason
           WHEN 'absent' THEN 'no longer listed (dropped or deleted)'
           WHEN 'enrollment inactive' THEN 'inactive in Canvas'
           WHEN 'enrollment completed' THEN 'completed'
           ELSE g.reason END AS reason,
       ls.last_score
FROM gone AS g
LEFT JOIN last_scores AS ls USING (course_id, student_id)
LEFT JOIN canvas.courses AS c ON c.course_id = g.course_id
LEFT JOIN lifecycle.object_status AS oc
    ON oc.object_type = 'course' AND oc.object_id = g.course_id
LEFT JOIN canvas.students AS s ON s.student_id = g.student_id
LEFT JOIN lifecycle.object_status AS os
    ON os.object_type = 'student' AND os.object_id = g.student_id
ORDER BY g.left_at DESC, course_name, student_name, g.student_id
