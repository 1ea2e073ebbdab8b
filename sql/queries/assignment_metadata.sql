-- Stored assignment metadata.
SELECT assignment_id, notes, tags, difficulty, estimated_hours
FROM meta.assignment_metadata
ORDER BY assignment_id
