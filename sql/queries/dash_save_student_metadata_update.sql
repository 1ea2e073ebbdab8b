-- Metadata editor: write changed student tags and groups from the staged, validated rows
-- (temp.staged_student_metadata).
UPDATE meta.student_metadata AS m
SET tags = s.tags, custom_group = s.custom_group, updated_at = now()
FROM temp.staged_student_metadata AS s
WHERE m.student_id = s.student_id
  AND (m.tags IS DISTINCT FROM s.tags OR m.custom_group IS DISTINCT FROM s.custom_group)
