-- Per-assignment statistics: score mean, median, quartiles, range, and the share of students
-- who submitted (excused submissions left out). Parameters: $course_id (NULL for every
-- course), $include_inactive. By default the assignments Canvas lists and the submissions of
-- active or invited, non-archived students; with $include_inactive every student's, plus
-- assignments Canvas no longer lists, from their latest recorded submissions.
WITH hidden_students AS (
    SELECT object_id AS student_id FROM lifecycle.object_status
    WHERE object_type = 'student' AND archived
),
counted_students AS (
    SELECT course_id, student_id FROM canvas.course_students
    WHERE $include_inactive
       OR (enrollment_state IN ('active', 'invited')
           AND student_id NOT IN (SELECT student_id FROM hidden_students))
),
gone_assignments AS (
    SELECT object_id AS assignment_id, course_id, last_known_name AS name
    FROM lifecycle.object_status
    WHERE $include_inactive AND object_type = 'assignment' AND NOT active
      AND ($course_id IS NULL OR course_id = $course_id)
),
assignments AS (
    SELECT assignment_id, course_id, name, points_possible, due_at, position, true AS active
    FROM canvas.assignments
    WHERE $course_id IS NULL OR course_id = $course_id
    UNION ALL
    SELECT assignment_id, course_id, name, NULL, NULL, NULL, false FROM gone_assignments
),
submissions AS (
    SELECT s.assignment_id, s.student_id, s.score, s.excused, s.missing, s.late,
           s.submitted_at, s.workflow_state
    FROM canvas.submissions AS s
    SEMI JOIN counted_students AS e USING (course_id, student_id)
    WHERE $course_id IS NULL OR s.course_id = $course_id
    UNION ALL
    SELECT assignment_id, student_id, score, excused, missing, late, submitted_at,
           workflow_state
    FROM history.assignment_scores
    WHERE assignment_id IN (SELECT assignment_id FROM gone_assignments)
    QUALIFY row_number() OVER (PARTITION BY assignment_id, student_id ORDER BY sync_id DESC) = 1
),
counted AS (
    SELECT *,
           NOT coalesce(excused, false) AS counts,
           submitted_at IS NOT NULL
               OR workflow_state IN ('submitted', 'graded', 'pending_review') AS submitted
    FROM submissions
)
SELECT a.assignment_id, a.course_id, a.name, a.points_possible, a.due_at, a.position,
       count(s.student_id) FILTER (WHERE s.counts) AS students,
       count(s.student_id) FILTER (WHERE s.counts AND s.submitted) AS submitted,
       count(s.score) FILTER (WHERE s.counts) AS graded,
       count(s.student_id) FILTER (WHERE s.counts AND s.submitted)
           / nullif(count(s.student_id) FILTER (WHERE s.counts), 0) AS submitted_share,
       avg(s.score) FILTER (WHERE s.counts) AS mean_score,
       median(s.score) FILTER (WHERE s.counts) AS median_score,
       quantile_cont(s.score, 0.25) FILTER (WHERE s.counts) AS q1_score,
       quantile_cont(s.score, 0.75) FILTER (WHERE s.counts) AS q3_score,
       min(s.score) FILTER (WHERE s.counts) AS min_score,
       max(s.score) FILTER (WHERE s.counts) AS max_score,
       count(*) FILTER (WHERE s.missing AND s.counts) AS missing_count,
       count(*) FILTER (WHERE s.late AND s.counts) AS late_count,
       a.active
FROM assignments AS a
LEFT JOIN counted AS s USING (assignment_id)
GROUP BY a.assignment_id, a.course_id, a.name, a.points_possible, a.due_at, a.position,
         a.active
ORDER BY a.course_id, a.active DESC, a.position NULLS LAST, a.assignment_id
