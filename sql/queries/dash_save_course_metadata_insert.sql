-- Metadata editor: add course metadata rows for courses that have none yet, when the teacher
-- set anything other than the defaults (so untouched courses get no row).
INSERT INTO meta.course_metadata (course_id, notes, tags, color, course_hours,
                                  tracking_enabled)
SELECT s.course_id, s.notes, s.tags, s.color, s.course_hours, s.tracking_enabled
FROM temp.staged_course_metadata AS s
WHERE NOT EXISTS (SELECT 1 FROM meta.course_metadata AS m WHERE m.course_id = s.course_id)
  AND (s.notes IS NOT NULL OR len(s.tags) > 0 OR s.color IS NOT NULL
       OR s.course_hours IS NOT NULL OR NOT s.tracking_enabled)
