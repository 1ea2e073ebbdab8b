-- The teachers' own data (layer 3) beside the Canvas objects it describes, as the editors show
-- it. Read models only: nothing here writes.

-- name: curricula
-- Every curriculum with the ids of its courses, by name.
SELECT * FROM meta.curricula_with_courses ORDER BY lower(name), curriculum_id

-- name: course_metadata_rows
-- Course metadata as editor rows: every active, non-archived course in layer 1 (untracked
-- ones included, so they can be switched back on) with the teacher's notes, tags, colour,
-- hours and tracking flag.
SELECT c.course_id, c.name, c.course_code, m.notes, coalesce(m.tags, []) AS tags, m.color,
       m.course_hours, coalesce(m.tracking_enabled, true) AS tracked
FROM canvas.courses AS c
LEFT JOIN meta.course_metadata AS m USING (course_id)
ANTI JOIN lifecycle.hidden_courses AS h ON h.course_id = c.course_id
ORDER BY c.name, c.course_id

-- name: assignment_metadata_rows
-- Assignment metadata as editor rows: one course's active assignments with the teacher's
-- notes, tags, difficulty and estimated hours. Parameter: $course_id.
SELECT a.assignment_id, a.name, a.due_at, a.points_possible, m.notes,
       coalesce(m.tags, []) AS tags, m.difficulty, m.estimated_hours
FROM canvas.assignments AS a
LEFT JOIN meta.assignment_metadata AS m USING (assignment_id)
ANTI JOIN lifecycle.hidden_assignments AS h ON h.assignment_id = a.assignment_id
WHERE a.course_id = $course_id
ORDER BY a.due_at NULLS LAST, a.position NULLS LAST, a.assignment_id

-- name: student_metadata_rows
-- Student tags and groups as editor rows: the students of one course (non-deleted
-- enrollments; every student when $course_id is NULL) whose name matches the search, by
-- sortable name, at most $limit. Parameters: $course_id, $search, $pattern, $limit,
-- $include_inactive.
WITH hidden_students AS (
    SELECT student_id FROM lifecycle.hidden_students WHERE NOT $include_inactive
),
in_course AS (
    SELECT DISTINCT student_id
    FROM canvas.enrollments
    WHERE course_id = $course_id AND enrollment_state IS DISTINCT FROM 'deleted'
)
SELECT s.student_id, s.name, coalesce(m.tags, []) AS tags, m.custom_group
FROM canvas.students AS s
LEFT JOIN meta.student_metadata AS m USING (student_id)
ANTI JOIN hidden_students AS h ON h.student_id = s.student_id
WHERE ($course_id IS NULL OR s.student_id IN (SELECT student_id FROM in_course))
  AND ($search = ''
       OR s.name ILIKE $pattern ESCAPE '\'
       OR s.sortable_name ILIKE $pattern ESCAPE '\'
       OR s.login_id ILIKE $pattern ESCAPE '\'
       OR s.student_id::VARCHAR = $search)
ORDER BY lower(s.sortable_name), s.student_id
LIMIT $limit

-- name: stored_course_metadata
-- Stored course metadata.
SELECT course_id, notes, tags, color, course_hours, tracking_enabled
FROM meta.course_metadata
ORDER BY course_id

-- name: stored_assignment_metadata
-- Stored assignment metadata.
SELECT assignment_id, notes, tags, difficulty, estimated_hours
FROM meta.assignment_metadata
ORDER BY assignment_id

-- name: stored_student_metadata
-- Every student's tags and group.
SELECT student_id, tags, custom_group FROM meta.student_metadata ORDER BY student_id
