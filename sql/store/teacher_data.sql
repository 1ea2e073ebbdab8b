-- Layer 3 (meta schema): the statements only tracker_db.store.teacher_data runs. Saves read the
-- validated rows from a frame registered on the cursor (temp.staged_*) inside the caller's
-- transaction; each UPDATE writes only rows that changed and each INSERT only rows that
-- set something, so an untouched editor row writes nothing.

-- name: update_course_metadata
UPDATE meta.course_metadata AS m
SET notes = s.notes, tags = s.tags, color = s.color, course_hours = s.course_hours,
    tracking_enabled = s.tracking_enabled, updated_at = now()
FROM temp.staged_course_metadata AS s
WHERE m.course_id = s.course_id
  AND (m.notes IS DISTINCT FROM s.notes OR m.tags IS DISTINCT FROM s.tags
       OR m.color IS DISTINCT FROM s.color OR m.course_hours IS DISTINCT FROM s.course_hours
       OR m.tracking_enabled IS DISTINCT FROM s.tracking_enabled)

-- name: insert_course_metadata
-- Courses without a row get one when the teacher set anything other than the defaults.
INSERT INTO meta.course_metadata (course_id, notes, tags, color, course_hours,
                                  tracking_enabled)
SELECT s.course_id, s.notes, s.tags, s.color, s.course_hours, s.tracking_enabled
FROM temp.staged_course_metadata AS s
WHERE NOT EXISTS (SELECT 1 FROM meta.course_metadata AS m WHERE m.course_id = s.course_id)
  AND (s.notes IS NOT NULL OR len(s.tags) > 0 OR s.color IS NOT NULL
       OR s.course_hours IS NOT NULL OR NOT s.tracking_enabled)

-- name: stored_course_metadata
-- One course's stored metadata as an editor row (no row: never edited). Parameter: the id.
SELECT course_id, notes, tags, color, course_hours, tracking_enabled AS tracked
FROM meta.course_metadata
WHERE course_id = ?

-- name: update_assignment_metadata
UPDATE meta.assignment_metadata AS m
SET notes = s.notes, tags = s.tags, difficulty = s.difficulty,
    estimated_hours = s.estimated_hours, updated_at = now()
FROM temp.staged_assignment_metadata AS s
WHERE m.assignment_id = s.assignment_id
  AND (m.notes IS DISTINCT FROM s.notes OR m.tags IS DISTINCT FROM s.tags
       OR m.difficulty IS DISTINCT FROM s.difficulty
       OR m.estimated_hours IS DISTINCT FROM s.estimated_hours)

-- name: insert_assignment_metadata
-- Assignments without a row get one when the teacher set anything.
INSERT INTO meta.assignment_metadata (assignment_id, notes, tags, difficulty, estimated_hours)
SELECT s.assignment_id, s.notes, s.tags, s.difficulty, s.estimated_hours
FROM temp.staged_assignment_metadata AS s
WHERE NOT EXISTS (
        SELECT 1 FROM meta.assignment_metadata AS m WHERE m.assignment_id = s.assignment_id
      )
  AND (s.notes IS NOT NULL OR len(s.tags) > 0 OR s.difficulty IS NOT NULL
       OR s.estimated_hours IS NOT NULL)

-- name: stored_assignment_metadata
-- One assignment's stored metadata as an editor row. Parameter: the id.
SELECT assignment_id, notes, tags, difficulty, estimated_hours
FROM meta.assignment_metadata
WHERE assignment_id = ?

-- name: update_student_metadata
UPDATE meta.student_metadata AS m
SET tags = s.tags, custom_group = s.custom_group, updated_at = now()
FROM temp.staged_student_metadata AS s
WHERE m.student_id = s.student_id
  AND (m.tags IS DISTINCT FROM s.tags OR m.custom_group IS DISTINCT FROM s.custom_group)

-- name: insert_student_metadata
-- Students without a row get one when the teacher set a tag or a group.
INSERT INTO meta.student_metadata (student_id, tags, custom_group)
SELECT s.student_id, s.tags, s.custom_group
FROM temp.staged_student_metadata AS s
WHERE NOT EXISTS (SELECT 1 FROM meta.student_metadata AS m WHERE m.student_id = s.student_id)
  AND (len(s.tags) > 0 OR s.custom_group IS NOT NULL)

-- name: stored_student_metadata
-- One student's stored tags and group as an editor row. Parameter: the id.
SELECT student_id, tags, custom_group
FROM meta.student_metadata
WHERE student_id = ?

-- name: curriculum_names
-- Every curriculum's id and name (to check ids and unique names on save).
SELECT curriculum_id, name FROM meta.curricula

-- name: stored_curriculum
-- One curriculum as an editor row, with its course ids. Parameter: the id.
SELECT curriculum_id, name, description, color, start_date, course_ids AS courses
FROM meta.curricula_with_courses
WHERE curriculum_id = ?

-- name: clear_curriculum_courses
-- Forget the course lists of the saved and the deleted curricula (the saved ones' lists are
-- written again from the staged rows).
DELETE FROM meta.curriculum_courses
WHERE curriculum_id IN (SELECT curriculum_id FROM temp.staged_curricula)
   OR curriculum_id IN (SELECT curriculum_id FROM temp.staged_deleted_curricula)

-- name: delete_curricula
DELETE FROM meta.curricula
WHERE curriculum_id IN (SELECT curriculum_id FROM temp.staged_deleted_curricula)

-- name: update_curricula
UPDATE meta.curricula AS k
SET name = s.name, description = s.description, color = s.color, start_date = s.start_date,
    updated_at = now()
FROM temp.staged_curricula AS s
WHERE k.curriculum_id = s.curriculum_id AND NOT s.is_new
  AND (k.name IS DISTINCT FROM s.name OR k.description IS DISTINCT FROM s.description
       OR k.color IS DISTINCT FROM s.color OR k.start_date IS DISTINCT FROM s.start_date)

-- name: insert_curricula
INSERT INTO meta.curricula (curriculum_id, name, description, color, start_date)
SELECT curriculum_id, name, description, color, start_date
FROM temp.staged_curricula
WHERE is_new

-- name: insert_curriculum_courses
INSERT INTO meta.curriculum_courses (curriculum_id, course_id)
SELECT curriculum_id, course_id
FROM temp.staged_curriculum_courses

-- name: insert_note
-- Parameters: $note_id, $student_id, $body.
INSERT INTO meta.student_notes (note_id, student_id, body)
VALUES ($note_id, $student_id, $body)

-- name: count_note
-- Parameter: the note id as text.
SELECT count(*) FROM meta.student_notes WHERE note_id::VARCHAR = ?

-- name: delete_note
-- Parameter: the note id as text.
DELETE FROM meta.student_notes WHERE note_id::VARCHAR = ?

-- name: untracked_course_ids
-- Courses a teacher switched off: listed by a sync, never fetched further.
SELECT course_id FROM meta.course_metadata WHERE NOT tracking_enabled

-- name: delete_flag_rule
-- A rule's setting, before it is set again. Parameter: the rule.
DELETE FROM meta.flag_rules WHERE rule = ?

-- name: insert_flag_rule
INSERT INTO meta.flag_rules (rule, enabled, threshold, days)
VALUES ($rule, $enabled, $threshold, $days)

-- name: insert_flag_decision
-- One decision about one flag (the table is append-only: decisions are its history).
INSERT INTO meta.flag_decisions (decision_id, course_id, student_id, rule, facts, action, note)
VALUES ($decision_id, $course_id, $student_id, $rule, $facts, $action, $note)
