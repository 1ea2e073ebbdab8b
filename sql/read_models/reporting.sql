-- Reports for analysts and scripts: per course, curriculum and assignment, and the stored
-- layers as they are. Read models only: nothing here writes.

-- name: course_summary
-- Per course: enrolled students, mean and median current score, missing and late
-- submission counts (excused ones left out), and when the course was last synced.
-- Parameter: $include_inactive. By default active courses (layer 0) and active or invited
-- enrollments of students who are not archived; with it, every course in layer 1 and every
-- non-deleted enrollment (canvas.reported_course_students).
WITH scores AS (
    SELECT course_id,
           count(*) AS students,
           count(*) FILTER (WHERE enrollment_state = 'active') AS active_students,
           avg(current_score) AS mean_current_score,
           median(current_score) AS median_current_score
    FROM canvas.reported_course_students($include_inactive)
    GROUP BY course_id
),
last_sync AS (
    SELECT max(finished_at) AS last_synced_at FROM ops.sync_runs WHERE status = 'succeeded'
)
SELECT c.course_id, c.name, c.course_code, c.workflow_state, c.term_name,
       coalesce(s.students, 0) AS students,
       coalesce(s.active_students, 0) AS active_students,
       s.mean_current_score, s.median_current_score,
       coalesce(w.missing_count, 0) AS missing_count,
       coalesce(w.late_count, 0) AS late_count,
       (SELECT last_synced_at FROM last_sync) AS last_synced_at,
       coalesce(o.active, true) AS active
FROM canvas.courses AS c
LEFT JOIN scores AS s USING (course_id)
LEFT JOIN canvas.reported_course_work($include_inactive) AS w USING (course_id)
LEFT JOIN lifecycle.object_status AS o
    ON o.object_type = 'course' AND o.object_id = c.course_id
WHERE $include_inactive OR (coalesce(o.active, true) AND NOT coalesce(o.archived, false))
ORDER BY c.name, c.course_id

-- name: curriculum_summary
-- Per curriculum: courses, distinct students, mean and median current score over
-- (student, course) pairs, missing and late counts. Parameter: $include_inactive, as in
-- course_summary.
WITH per_curriculum_scores AS (
    SELECT cc.curriculum_id,
           count(DISTINCT e.student_id) AS students,
           avg(e.current_score) AS mean_current_score,
           median(e.current_score) AS median_current_score
    FROM meta.curriculum_courses AS cc
    JOIN canvas.reported_course_students($include_inactive) AS e USING (course_id)
    GROUP BY cc.curriculum_id
),
per_curriculum_work AS (
    SELECT cc.curriculum_id,
           count(DISTINCT cc.course_id) AS courses,
           coalesce(sum(w.missing_count), 0) AS missing_count,
           coalesce(sum(w.late_count), 0) AS late_count
    FROM meta.curriculum_courses AS cc
    LEFT JOIN canvas.reported_course_work($include_inactive) AS w USING (course_id)
    GROUP BY cc.curriculum_id
)
SELECT k.curriculum_id, k.name, k.color,
       coalesce(w.courses, 0) AS courses,
       coalesce(s.students, 0) AS students,
       s.mean_current_score, s.median_current_score,
       coalesce(w.missing_count, 0)::BIGINT AS missing_count,
       coalesce(w.late_count, 0)::BIGINT AS late_count
FROM meta.curricula AS k
LEFT JOIN per_curriculum_scores AS s USING (curriculum_id)
LEFT JOIN per_curriculum_work AS w USING (curriculum_id)
ORDER BY lower(k.name), k.curriculum_id

-- name: assignment_statistics
-- Per assignment: score mean, median, quartiles, range, and the share of students
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

-- name: curriculum_students
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

-- name: grade_history
-- history.grade_history as stored, optionally of one student and/or course.
-- Parameters: $student_id, $course_id (NULL for all).
SELECT *
FROM history.grade_history
WHERE ($student_id IS NULL OR student_id = $student_id)
  AND ($course_id IS NULL OR course_id = $course_id)
ORDER BY course_id, student_id, sync_id
