-- Metadata editor: write changed assignment metadata rows from the staged, validated rows
-- (temp.staged_assignment_metadata).
UPDATE meta.assignment_metadata AS m
SET notes = s.notes, tags = s.tags, difficulty = s.difficulty,
    estimated_hours = s.estimated_hours, updated_at = now()
FROM temp.staged_assignment_metadata AS s
WHERE m.assignment_id = s.assignment_id
  AND (m.notes IS DISTINCT FROM s.notes OR m.tags IS DISTINCT FROM s.tags
       OR m.difficulty IS DISTINCT FROM s.difficulty
       OR m.estimated_hours IS DISTINCT FROM s.estimated_hours)
