-- Stored course metadata.
SELECT course_id, notes, tags, color, course_hours, tracking_enabled
FROM meta.course_metadata
ORDER BY course_id
