-- Dashboard filter choices, as (kind, value, label, parent) rows:
--   curriculum  value = curriculum id, label = its name
--   course      value = course id, label = code and name (active, non-archived courses)
--   section     value = section id, label = section name, parent = its course id
--   tag         value = label = a student tag in use
--   group       value = label = a custom group in use
--   state       value = label = an enrollment state present in layer 1 (not 'deleted')
WITH hidden_courses AS (
    SELECT object_id AS course_id
    FROM lifecycle.hidden_objects
    WHERE object_type = 'course'
),
courses AS (
    SELECT c.course_id, c.name, c.course_code
    FROM canvas.courses AS c
    ANTI JOIN hidden_courses USING (course_id)
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
