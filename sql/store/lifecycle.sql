-- Layer 0 (lifecycle schema): the statements only tracker_db.store.lifecycle runs.

-- name: next_object_status
-- The state of every course, student and assignment after this sync, computed from
-- the previous state and the layer-1 tables this sync has just written.
-- Parameters: $sync_id, $now, $proves_absence. Inserted into a temporary copy, which then
-- replaces the table. An incremental sync ($proves_absence false) removes nothing: what was
-- active stays active until a full sync says otherwise.
--   present and active  -> active; a removed object that is back is reactivated (its history
--                          and teacher data were never deleted, so they reconnect by id)
--   present, not active -> removed with Canvas's reason (enrollment inactive, course deleted)
--   absent              -> removed, reason 'absent'
-- Either way, 'course not tracked' instead when the teacher switched a course off (its
-- assignments; students enrolled in it): not a real removal, so never flagged for review.
-- An object removed by THIS sync is flagged for review when it carries teacher data or
-- history; later syncs keep the flag and the teacher's decision (archived) as they are.
WITH student_enrollments AS (
    SELECT student_id,
           bool_or(enrollment_state IN ('active', 'invited')) AS present_active,
           CASE
               WHEN bool_or(enrollment_state = 'inactive') THEN 'enrollment inactive'
               WHEN bool_or(enrollment_state = 'completed') THEN 'enrollment completed'
               ELSE 'enrollment ' || min(enrollment_state)
           END AS state_reason
    FROM canvas.enrollments
    GROUP BY student_id
),
seen AS (
    SELECT 'course' AS object_type, course_id AS object_id,
           workflow_state IS DISTINCT FROM 'deleted' AS present_active,
           'course deleted' AS state_reason, NULL::BIGINT AS course_id, name
    FROM canvas.courses
    UNION ALL
    SELECT 'student', s.student_id, coalesce(e.present_active, false),
           coalesce(e.state_reason, 'no enrollment'), NULL, s.name
    FROM canvas.students AS s
    LEFT JOIN student_enrollments AS e USING (student_id)
    UNION ALL
    SELECT 'assignment', assignment_id, true, NULL, course_id, name
    FROM canvas.assignments
),
untracked AS (
    SELECT course_id FROM meta.course_metadata WHERE NOT tracking_enabled
),
untracked_students AS (
    -- Students enrolled in a course now switched off: if they look inactive, it is because
    -- that course is no longer fetched, not because they left.
    SELECT DISTINCT student_id FROM lifecycle.enrollment_status
    WHERE (active OR removal_reason = 'course not tracked')
      AND course_id IN (SELECT course_id FROM untracked)
),
merged AS (
    SELECT coalesce(s.object_type, o.object_type) AS object_type,
           coalesce(s.object_id, o.object_id) AS object_id,
           s.object_id IS NOT NULL AS present,
           coalesce(s.present_active, false)
               OR (NOT $proves_absence AND coalesce(o.active, false)) AS now_active,
           coalesce(o.active, false) AS was_active,
           o.object_id IS NULL AS is_new,
           s.state_reason, s.name, s.course_id AS seen_course_id,
           o.first_seen_sync, o.last_seen_sync, o.removed_at, o.removal_reason,
           o.pending_review, o.archived, o.reviewed_at, o.reactivated_at,
           o.course_id AS old_course_id, o.last_known_name
    FROM seen AS s
    FULL OUTER JOIN lifecycle.object_status AS o
        ON o.object_type = s.object_type AND o.object_id = s.object_id
),
inactive_reasons AS (
    SELECT m.object_type, m.object_id,
           CASE
               WHEN m.object_type = 'assignment' AND NOT m.present
                    AND m.old_course_id IN (SELECT course_id FROM untracked)
                   THEN 'course not tracked'
               WHEN m.object_type = 'student'
                    AND m.object_id IN (SELECT student_id FROM untracked_students)
                   THEN 'course not tracked'
               WHEN m.present THEN m.state_reason
               ELSE 'absent'
           END AS reason
    FROM merged AS m
    WHERE NOT m.now_active
),
removed_now AS (
    SELECT object_type, object_id FROM merged WHERE was_active AND NOT now_active
),
carries_data AS (
    -- Only objects removed by this sync are checked, so the scans stay semi-joins.
    SELECT 'student' AS object_type, student_id AS object_id FROM meta.student_notes
    UNION SELECT 'student', student_id FROM meta.student_metadata
        WHERE len(tags) > 0 OR custom_group IS NOT NULL
    UNION SELECT 'student', student_id FROM history.grade_history
        WHERE student_id IN (SELECT object_id FROM removed_now WHERE object_type = 'student')
    UNION SELECT 'course', course_id FROM meta.course_metadata
    UNION SELECT 'course', course_id FROM meta.curriculum_courses
    UNION SELECT 'course', course_id FROM history.grade_history
        WHERE course_id IN (SELECT object_id FROM removed_now WHERE object_type = 'course')
    UNION SELECT 'assignment', assignment_id FROM meta.assignment_metadata
    UNION SELECT 'assignment', assignment_id FROM history.assignment_scores
        WHERE assignment_id IN (
            SELECT object_id FROM removed_now WHERE object_type = 'assignment'
        )
)
SELECT
    m.object_type,
    m.object_id,
    m.now_active AS active,
    coalesce(m.first_seen_sync, $sync_id) AS first_seen_sync,
    CASE WHEN m.present THEN $sync_id ELSE m.last_seen_sync END AS last_seen_sync,
    CASE
        WHEN m.now_active THEN NULL
        WHEN m.was_active OR m.is_new THEN $now
        ELSE m.removed_at
    END AS removed_at,
    a.reason AS removal_reason,
    CASE
        WHEN m.now_active OR a.reason = 'course not tracked' THEN false
        WHEN m.was_active THEN d.object_id IS NOT NULL
        ELSE coalesce(m.pending_review, false)
    END AS pending_review,
    CASE WHEN m.now_active THEN false ELSE coalesce(m.archived, false) END AS archived,
    CASE WHEN m.now_active THEN NULL ELSE m.reviewed_at END AS reviewed_at,
    CASE
        WHEN m.now_active AND NOT m.was_active AND NOT m.is_new THEN $now
        ELSE m.reactivated_at
    END AS reactivated_at,
    coalesce(m.seen_course_id, m.old_course_id) AS course_id,
    coalesce(m.name, m.last_known_name) AS last_known_name
FROM merged AS m
LEFT JOIN inactive_reasons AS a
    ON a.object_type = m.object_type AND a.object_id = m.object_id
LEFT JOIN (SELECT DISTINCT object_type, object_id FROM carries_data) AS d
    ON d.object_type = m.object_type AND d.object_id = m.object_id

-- name: next_enrollment_status
-- The state of every (course, student) enrollment after this sync.
-- Parameters: $sync_id, $now, $proves_absence (false: an incremental sync, which removes
-- nothing). A student in two sections is one (course, student) pair,
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
           coalesce(s.present_active, false)
               OR (NOT $proves_absence AND coalesce(o.active, false)) AS now_active,
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

-- name: append_enrollment_changes
-- The pairs this sync brings in or takes out, from the pending layer-0 state (temp table
-- next_enrollment_status) against the stored one. Parameter: $sync_id. Nothing on the first
-- sync that lists enrollments: before it there is nothing to compare with.
INSERT INTO lifecycle.enrollment_changes BY NAME
SELECT $sync_id AS sync_id, n.course_id, n.student_id,
       CASE WHEN n.active THEN 'added' ELSE 'gone' END AS change,
       CASE WHEN NOT n.active THEN n.removal_reason END AS reason
FROM next_enrollment_status AS n
LEFT JOIN lifecycle.enrollment_status AS o USING (course_id, student_id)
WHERE n.active <> coalesce(o.active, false)
  AND EXISTS (SELECT 1 FROM lifecycle.enrollment_status)

-- name: count_transitions
-- How many objects the pending layer-0 state (temp table next_object_status) removes or
-- brings back, compared with the stored one.
SELECT count(*) FILTER (WHERE o.active AND NOT n.active) AS removed,
       count(*) FILTER (WHERE NOT o.active AND n.active) AS reactivated
FROM next_object_status AS n
JOIN lifecycle.object_status AS o USING (object_type, object_id)

-- name: removal_state
-- Whether one object is active, and its last known name. Parameters: type, id.
SELECT active, last_known_name FROM lifecycle.object_status
WHERE object_type = ? AND object_id = ?

-- name: set_review_decision
-- A teacher's decision on a removed object: reviewed, and archived or kept as inactive.
-- Parameters: $archived, $reviewed_at, $object_type, $object_id.
UPDATE lifecycle.object_status
SET pending_review = false, archived = $archived, reviewed_at = $reviewed_at
WHERE object_type = $object_type AND object_id = $object_id

-- name: delete_status
-- Forget one object's own layer-0 row (the last step of a permanent delete).
-- Parameters: type, id.
DELETE FROM lifecycle.object_status WHERE object_type = ? AND object_id = ?
