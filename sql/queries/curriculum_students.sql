-- Students enrolled in any course of the given curricula, one row per (student, course),
-- with the course grade and the teacher's tags and group.
-- Parameters: $curricula (list of curriculum ids or names), $include_inactive.
-- By default only active enrollments (active or invited) of active, non-archived students
-- (layer 0). With $include_inactive, every non-deleted enrollment, and students Canvas no
-- longer lists too, named and graded from what the tracker last recorded.
WITH chosen AS (
    SELECT DISTINCT cc.course_id, k.curriculum_id
    FROM meta.curricula AS k
    JOIN meta.curriculum_courses AS cc USING (curriculum_id)
    WHERE list_contains($curricula, k.curriculum_id) OR list_contains($curricula, k.name)
),
course_curricula AS (
    SELECT course_id, list(curriculum_id ORDER BY curriculum_id) AS curriculum_ids
    FROM chosen GROUP BY course_id
),
current_enrollments AS (
    SELECT course_id, student_id, enrollment_state, current_score, final_score,
           current_grade, final_grade, last_activity_at
    FROM canvas.course_students
    WHERE enrollment_state IS DISTINCT FROM 'deleted'
      AND course_id IN (SELECT course_id FROM course_curricula)
),
gone_enrollments AS (
    -- Pairs Canvas no longer lists, with the grade history last recorded for them.
    SELECT course_id, student_id,
           'removed: ' || coalesce(removal_reason, 'absent') AS enrollment_state,
           latest.current_score, latest.final_score, latest.current_grade,
           latest.final_grade, NULL::TIMESTAMPTZ AS last_activity_at
    FROM (
        -- The whole latest row (arg_max of a single column would skip its NULLs and could
        -- mix values of different syncs).
        SELECT es.course_id, es.student_id, es.removal_reason,
               arg_max(
                   {'current_score': g.current_score, 'final_score': g.final_score,
                    'current_grade': g.current_grade, 'final_grade': g.final_grade},
                   g.sync_id
               ) AS latest
        FROM lifecycle.enrollment_status AS es
        JOIN history.grade_history AS g USING (course_id, student_id)
        WHERE $include_inactive
          AND es.course_id IN (SELECT course_id FROM course_curricula)
          AND NOT EXISTS (
              SELECT 1 FROM canvas.enrollments AS e
              WHERE e.course_id = es.course_id AND e.student_id = es.student_id
          )
        GROUP BY es.course_id, es.student_id, es.removal_reason
    )
),
enrolled AS (
    SELECT * FROM current_enrollments
    UNION ALL
    SELECT * FROM gone_enrollments
)
SELECT
    e.student_id, coalesce(s.name, o.last_known_name) AS name,
    coalesce(s.sortable_name, o.last_known_name) AS sortable_name, s.login_id, s.sis_user_id,
    e.course_id, coalesce(c.name, oc.last_known_name) AS course_name, cc.curriculum_ids,
    e.enrollment_state, e.current_score, e.final_score, e.current_grade, e.final_grade,
    e.last_activity_at,
    coalesce(m.tags, []) AS tags, m.custom_group,
    coalesce(o.active, true) AS student_active,
    coalesce(o.archived, false) AS student_archived
FROM enrolled AS e
JOIN course_curricula AS cc USING (course_id)
LEFT JOIN canvas.students AS s USING (student_id)
LEFT JOIN canvas.courses AS c USING (course_id)
LEFT JOIN lifecycle.object_status AS o
    ON o.object_type = 'student' AND o.object_id = e.student_id
LEFT JOIN lifecycle.object_status AS oc
    ON oc.object_type = 'course' AND oc.object_id = e.course_id
LEFT JOIN meta.student_metadata AS m USING (student_id)
WHERE $include_inactive
   OR (e.enrollment_state IN ('active', 'invited')
       AND coalesce(o.active, true) AND NOT coalesce(o.archived, false))
ORDER BY sortable_name, e.student_id, course_name, e.course_id
