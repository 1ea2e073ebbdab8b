-- Layer 0: the state of every (course, student) enrollment after this sync.
-- Parameters: $sync_id, $now. A student in two sections is one (course, student) pair,
-- active if either enrollment is. An absent pair of a course the teacher stopped tracking is
-- 'course not tracked', not 'absent': the student did not leave.
WITH seen AS (
    SELECT course_id, student_id,
           bool_or(enrollment_state IN ('active', 'invited')) AS present_active,
           'enrollment ' || CASE
               WHEN bool_or(enrollment_state = 'inactive') THEN 'inactive'
               WHEN bool_or(enrollment_state = 'completed') THEN 'completed'
               ELSE min(enrollment_state)
           END AS state_reason
    FROM canvas.enrollments
    GROUP BY course_id, student_id
),
merged AS (
    SELECT coalesce(s.course_id, o.course_id) AS course_id,
           coalesce(s.student_id, o.student_id) AS student_id,
           s.student_id IS NOT NULL AS present,
           coalesce(s.present_active, false) AS now_active,
           coalesce(o.active, false) AS was_active,
           o.student_id IS NULL AS is_new,
           s.state_reason, o.first_seen_sync, o.last_seen_sync, o.removed_at
    FROM seen AS s
    FULL OUTER JOIN lifecycle.enrollment_status AS o
        ON o.course_id = s.course_id AND o.student_id = s.student_id
)
SELECT
    m.course_id,
    m.student_id,
    m.now_active AS active,
    coalesce(m.first_seen_sync, $sync_id) AS first_seen_sync,
    CASE WHEN m.present THEN $sync_id ELSE m.last_seen_sync END AS last_seen_sync,
    CASE
        WHEN m.now_active THEN NULL
        WHEN m.was_active OR m.is_new THEN $now
        ELSE m.removed_at
    END AS removed_at,
    CASE
        WHEN m.now_active THEN NULL
        WHEN m.present THEN m.state_reason
        WHEN EXISTS (
            SELECT 1 FROM meta.course_metadata AS cm
            WHERE cm.course_id = m.course_id AND NOT cm.tracking_enabled
        ) THEN 'course not tracked'
        WHEN NOT EXISTS (SELECT 1 FROM canvas.courses AS c WHERE c.course_id = m.course_id)
            THEN 'course absent'
        ELSE 'absent'
    END AS removal_reason
FROM merged AS m
