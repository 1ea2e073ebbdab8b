-- Metadata editor: add student metadata rows for students that have none yet, when the
-- teacher set a tag or a group.
INSERT INTO meta.student_metadata (student_id, tags, custom_group)
SELECT s.student_id, s.tags, s.custom_group
FROM temp.staged_student_metadata AS s
WHERE NOT EXISTS (SELECT 1 FROM meta.student_metadata AS m WHERE m.student_id = s.student_id)
  AND (len(s.tags) > 0 OR s.custom_group IS NOT NULL)
