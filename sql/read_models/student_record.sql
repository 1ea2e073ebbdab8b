-- One student's record: who they are, their courses, scores over time, work and notes. Read
-- models only: nothing here writes.

-- name: profile
-- One student: who they are (layer 1, or the last known name once Canvas dropped them), the
-- teacher's tags and group, and their layer-0 status. Parameter: $student_id.
-- No row when the tracker has never seen the id.
SELECT k.student_id,
       coalesce(s.name, o.last_known_name) AS name,
       s.sortable_name, s.login_id, s.sis_user_id,
       s.student_id IS NOT NULL AS in_canvas,
       coalesce(m.tags, []) AS tags,
       m.custom_group,
       coalesce(o.active, true) AS active,
       coalesce(o.archived, false) AS archived,
       o.removal_reason
FROM (SELECT $student_id::BIGINT AS student_id) AS k
LEFT JOIN canvas.students AS s USING (student_id)
LEFT JOIN meta.student_metadata AS m USING (student_id)
LEFT JOIN lifecycle.object_status AS o
       ON o.object_type = 'student' AND o.object_id = k.student_id
WHERE s.student_id IS NOT NULL OR o.object_id IS NOT NULL
   OR EXISTS (SELECT 1 FROM history.grade_history AS h WHERE h.student_id = k.student_id)

-- name: courses_now
-- One student's courses now (layer 1): section, enrollment state, current score and grade,
-- missing and late work (excused left out), and the change since the previous successful
-- sync. Parameters: $student_id, $last_sync_id, $previous_sync_id (NULL when missing).
WITH mine AS (
    SELECT e.course_id, e.section_id, e.enrollment_state, e.current_score, e.current_grade,
           e.final_score, e.last_activity_at
    FROM canvas.enrollments AS e
    WHERE e.student_id = $student_id AND e.enrollment_state IS DISTINCT FROM 'deleted'
    QUALIFY row_number() OVER (
        PARTITION BY e.course_id
        ORDER BY e.enrollment_state IS DISTINCT FROM 'active', e.enrollment_id
    ) = 1
),
work AS (
    SELECT s.course_id,
           count(*) FILTER (WHERE s.missing) AS missing,
           count(*) FILTER (WHERE s.late) AS late
    FROM canvas.submissions AS s
    ANTI JOIN lifecycle.hidden_assignments USING (assignment_id)
    WHERE s.student_id = $student_id AND NOT coalesce(s.excused, false)
    GROUP BY s.course_id
),
mine_history AS (
    SELECT course_id, sync_id, current_score
    FROM history.grade_history
    WHERE student_id = $student_id
),
before AS (
    SELECT course_id,
           bool_or(sync_id = $last_sync_id) AS changed,
           arg_max_null(current_score, sync_id) FILTER (WHERE sync_id < $last_sync_id)
               AS prev_score
    FROM mine_history
    GROUP BY course_id
)
SELECT m.course_id, c.name AS course_name, c.course_code, sec.name AS section_name,
       m.enrollment_state, m.current_score, m.current_grade, m.final_score,
       coalesce(w.missing, 0) AS missing, coalesce(w.late, 0) AS late,
       CASE WHEN $previous_sync_id IS NULL OR m.current_score IS NULL THEN NULL
            WHEN NOT coalesce(b.changed, false) THEN 0.0
            ELSE m.current_score - b.prev_score END AS change_since_last_sync,
       m.last_activity_at
FROM mine AS m
LEFT JOIN canvas.courses AS c USING (course_id)
LEFT JOIN canvas.sections AS sec ON sec.section_id = m.section_id
LEFT JOIN work AS w USING (course_id)
LEFT JOIN before AS b USING (course_id)
ORDER BY c.name, m.course_id

-- name: score_history
-- One student's course scores at every successful sync since they appeared in a course
-- (layer 2, carried forward between changes), with the class median at the same sync.
-- Parameter: $student_id.
-- A history row holds from its sync until the next row of its key, so the value of a key at
-- sync N is its latest row with sync_id <= N.
WITH my_courses AS (
    SELECT DISTINCT course_id
    FROM history.grade_history
    WHERE student_id = $student_id
),
course_rows AS (
    SELECT h.course_id, h.student_id, h.sync_id, h.current_score, h.enrollment_state,
           lead(h.sync_id) OVER (
               PARTITION BY h.course_id, h.student_id ORDER BY h.sync_id
           ) AS next_sync_id
    FROM history.grade_history AS h
    SEMI JOIN my_courses USING (course_id)
),
at_sync AS (
    SELECT s.sync_id, s.recorded_at, r.course_id, r.student_id, r.current_score,
           r.enrollment_state
    FROM course_rows AS r
    JOIN history.sync_times AS s
      ON s.sync_id >= r.sync_id AND (r.next_sync_id IS NULL OR s.sync_id < r.next_sync_id)
)
SELECT a.sync_id, a.recorded_at, a.course_id,
       coalesce(c.name, 'course ' || a.course_id) AS course_name,
       coalesce(c.course_code, c.name, 'course ' || a.course_id) AS course_label,
       max(a.current_score) FILTER (WHERE a.student_id = $student_id) AS student_score,
       median(a.current_score) FILTER (
           WHERE a.enrollment_state NOT IN ('deleted', 'invited')
       ) AS class_median,
       count(a.current_score) FILTER (
           WHERE a.enrollment_state NOT IN ('deleted', 'invited')
       ) AS class_size
FROM at_sync AS a
LEFT JOIN canvas.courses AS c USING (course_id)
GROUP BY a.sync_id, a.recorded_at, a.course_id, c.name, c.course_code
HAVING bool_or(a.student_id = $student_id)
ORDER BY course_label, a.course_id, a.sync_id

-- name: assignments_now
-- One student's assignments now (layer 1), with the score as points and percent and a
-- status in words. Parameter: $student_id.
SELECT s.course_id,
       coalesce(c.course_code, c.name, 'course ' || s.course_id) AS course_label,
       s.assignment_id, a.name AS assignment_name, a.due_at, a.points_possible,
       s.score, s.grade,
       CASE WHEN a.points_possible > 0 THEN 100 * s.score / a.points_possible END
           AS score_percent,
       canvas.submission_status(s.excused, s.missing, s.late, s.score, s.workflow_state,
                                s.submitted_at) AS status,
       coalesce(s.late, false) AS late,
       coalesce(s.missing, false) AS missing,
       coalesce(s.excused, false) AS excused,
       s.submitted_at
FROM canvas.submissions AS s
LEFT JOIN canvas.assignments AS a USING (assignment_id)
LEFT JOIN canvas.courses AS c ON c.course_id = s.course_id
ANTI JOIN lifecycle.hidden_assignments AS h ON h.assignment_id = s.assignment_id
WHERE s.student_id = $student_id
ORDER BY course_label, s.course_id, a.due_at NULLS LAST, a.position NULLS LAST,
         s.assignment_id

-- name: notes
-- A student's notes, newest first. Parameter: $student_id.
SELECT note_id::VARCHAR AS note_id, student_id, body, created_at
FROM meta.student_notes
WHERE student_id = $student_id
ORDER BY created_at DESC, note_id

-- name: grade_changes
-- A student's course grades over time from layer 2: one row per recorded change.
-- Parameters: $student_id, $course_id (NULL for every course).
SELECT h.sync_id, h.recorded_at, h.course_id, c.name AS course_name, h.enrollment_state,
       h.current_score, h.final_score, h.current_grade, h.final_grade
FROM history.grade_history AS h
LEFT JOIN canvas.courses AS c USING (course_id)
WHERE h.student_id = $student_id
  AND ($course_id IS NULL OR h.course_id = $course_id)
ORDER BY h.course_id, h.sync_id
