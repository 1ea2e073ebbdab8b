-- Metadata editor: write changed course metadata rows from the staged, validated rows
-- (temp.staged_course_metadata, registered by the caller inside its transaction).
UPDATE meta.course_metadata AS m
SET notes = s.notes, tags = s.tags, color = s.color, course_hours = s.course_hours,
    tracking_enabled = s.tracking_enabled, updated_at = now()
FROM temp.staged_course_metadata AS s
WHERE m.course_id = s.course_id
  AND (m.notes IS DISTINCT FROM s.notes OR m.tags IS DISTINCT FROM s.tags
       OR m.color IS DISTINCT FROM s.color OR m.course_hours IS DISTINCT FROM s.course_hours
       OR m.tracking_enabled IS DISTINCT FROM s.tracking_enabled)
