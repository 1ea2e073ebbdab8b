-- Courses a teacher switched off: listed by a sync, never fetched further.
SELECT course_id FROM meta.course_metadata WHERE NOT tracking_enabled
