-- A student's notes, newest first. Parameter: $student_id.
SELECT note_id::VARCHAR AS note_id, student_id, body, created_at
FROM meta.student_notes
WHERE student_id = $student_id
ORDER BY created_at DESC, note_id
