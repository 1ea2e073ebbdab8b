-- A course or a curriculum over time, and how its scores spread. Read models only: nothing
-- here writes.

-- name: score_trend
-- Course scores over time for a scope (courses and/or a curriculum): at every successful
-- sync, the number of scored students and their mean, median and quartiles (layer 2,
-- carried forward between changes; deleted and invited enrollments left out).
-- Parameters: $course_ids BIGINT[], $curriculum_id (NULL for none), $include_inactive.
WITH hidden_students AS (
    SELECT student_id FROM lifecycle.hidden_students WHERE NOT $include_inactive
),
scope AS (
    SELECT course_id FROM meta.scope_courses($course_ids, $curriculum_id)
),
rows_ AS (
    SELECT h.sync_id, h.current_score, h.enrollment_state,
           lead(h.sync_id) OVER (
               PARTITION BY h.course_id, h.student_id ORDER BY h.sync_id
           ) AS next_sync_id
    FROM history.grade_history AS h
    SEMI JOIN scope USING (course_id)
    ANTI JOIN hidden_students USING (student_id)
),
at_sync AS (
    SELECT s.sync_id, s.recorded_at, r.current_score
    FROM rows_ AS r
    JOIN history.sync_times AS s
      ON s.sync_id >= r.sync_id AND (r.next_sync_id IS NULL OR s.sync_id < r.next_sync_id)
    WHERE r.enrollment_state IS NULL OR r.enrollment_state NOT IN ('deleted', 'invited')
)
SELECT sync_id, recorded_at,
       count(current_score) AS students,
       avg(current_score) AS mean_score,
       median(current_score) AS median_score,
       quantile_cont(current_score, 0.25) AS q1_score,
       quantile_cont(current_score, 0.75) AS q3_score
FROM at_sync
GROUP BY sync_id, recorded_at
HAVING count(current_score) > 0
ORDER BY sync_id

-- name: submission_trend
-- Submitted share over time for a scope (courses and/or a curriculum): at every successful
-- sync, of the (assignment, student) pairs due by then and not excused, how many had been
-- submitted (layer 2, carried forward between changes).
-- Parameters: $course_ids BIGINT[], $curriculum_id (NULL for none), $include_inactive.
-- summary.submission_changes holds how every sync moved each assignment's counts, over all
-- students; summary.hidden_submission_changes the part from students layer 0 hides, taken
-- back out unless $include_inactive. Both are written by the sync, so this reads
-- thousands of rows, not the millions of assignment_scores. The per-sync counts are running
-- sums of the changes; due dates are applied per assignment, after summing.
WITH scope AS (
    SELECT course_id FROM meta.scope_courses($course_ids, $curriculum_id)
),
changes AS (
    SELECT assignment_id, sync_id, counted_change, submitted_change
    FROM summary.submission_changes
    SEMI JOIN scope USING (course_id)
    UNION ALL
    SELECT assignment_id, sync_id, -counted_change, -submitted_change
    FROM summary.hidden_submission_changes
    SEMI JOIN scope USING (course_id)
    WHERE NOT $include_inactive
),
per_assignment_sync AS (
    SELECT c.assignment_id, c.sync_id, sum(c.counted_change) AS d_counted,
           sum(c.submitted_change) AS d_submitted
    FROM changes AS c
    ANTI JOIN lifecycle.hidden_assignments USING (assignment_id)
    GROUP BY c.assignment_id, c.sync_id
),
grid AS (
    -- every (assignment, sync) pair, so running sums carry through syncs without changes
    SELECT a.assignment_id, a.due_at, s.sync_id, s.recorded_at,
           coalesce(p.d_counted, 0) AS d_counted, coalesce(p.d_submitted, 0) AS d_submitted
    FROM (SELECT DISTINCT assignment_id FROM per_assignment_sync) AS k
    JOIN canvas.assignments AS a USING (assignment_id)
    CROSS JOIN history.sync_times AS s
    LEFT JOIN per_assignment_sync AS p
           ON p.assignment_id = k.assignment_id AND p.sync_id = s.sync_id
),
running AS (
    SELECT assignment_id, due_at, sync_id, recorded_at,
           sum(d_counted) OVER w AS counted,
           sum(d_submitted) OVER w AS submitted
    FROM grid
    WINDOW w AS (PARTITION BY assignment_id ORDER BY sync_id)
)
SELECT sync_id, recorded_at,
       sum(counted)::BIGINT AS due_pairs,
       sum(submitted)::BIGINT AS submitted_pairs,
       sum(submitted) / sum(counted) AS submitted_share
FROM running
WHERE due_at IS NOT NULL AND due_at <= recorded_at
GROUP BY sync_id, recorded_at
HAVING sum(counted) > 0
ORDER BY sync_id

-- name: assignment_distribution
-- Scores of one course's assignments now (layer 1), one row per graded, non-excused
-- submission, as points and percent of the assignment's points; for box and strip plots.
-- Parameters: $course_id, $include_inactive.
WITH hidden_students AS (
    SELECT student_id FROM lifecycle.hidden_students WHERE NOT $include_inactive
)
SELECT s.assignment_id, a.name AS assignment_name, a.position, a.due_at, a.points_possible,
       s.student_id, st.name AS student_name, s.score,
       100 * s.score / a.points_possible AS score_percent,
       CASE WHEN s.missing THEN 'missing' WHEN s.late THEN 'late' ELSE 'on time' END AS status
FROM canvas.submissions AS s
JOIN canvas.assignments AS a USING (assignment_id)
LEFT JOIN canvas.students AS st ON st.student_id = s.student_id
ANTI JOIN hidden_students AS hs ON hs.student_id = s.student_id
ANTI JOIN lifecycle.hidden_assignments AS ha ON ha.assignment_id = s.assignment_id
WHERE s.course_id = $course_id AND a.course_id = $course_id
  AND s.score IS NOT NULL AND NOT coalesce(s.excused, false) AND a.points_possible > 0
ORDER BY a.due_at NULLS LAST, a.position NULLS LAST, s.assignment_id, s.student_id

-- name: course_distribution
-- Current course scores (layer 1) of every student in a scope's courses, one row per
-- (course, student); for a box plot per course. Parameters: $course_ids BIGINT[],
-- $curriculum_id (NULL for none), $include_inactive.
WITH hidden_students AS (
    SELECT student_id FROM lifecycle.hidden_students WHERE NOT $include_inactive
),
scope AS (
    SELECT course_id FROM meta.scope_courses($course_ids, $curriculum_id)
)
SELECT e.course_id,
       coalesce(c.course_code, c.name, 'course ' || e.course_id) AS course_label,
       e.student_id, st.name AS student_name, e.current_score
FROM canvas.enrollments AS e
SEMI JOIN scope USING (course_id)
ANTI JOIN hidden_students AS h ON h.student_id = e.student_id
LEFT JOIN canvas.courses AS c ON c.course_id = e.course_id
LEFT JOIN canvas.students AS st ON st.student_id = e.student_id
WHERE e.enrollment_state IS DISTINCT FROM 'deleted' AND e.current_score IS NOT NULL
QUALIFY row_number() OVER (
    PARTITION BY e.course_id, e.student_id
    ORDER BY e.enrollment_state IS DISTINCT FROM 'active', e.enrollment_id
) = 1
ORDER BY course_label, e.course_id, e.student_id

-- name: curriculum_course_ids
-- The ids of one curriculum's courses, in order (no row when it does not exist).
-- Parameter: its id.
SELECT course_ids FROM meta.curricula_with_courses WHERE curriculum_id = ?
