-- Metadata editor: add assignment metadata rows for assignments that have none yet, when
-- the teacher set anything.
INSERT INTO meta.assignment_metadata (assignment_id, notes, tags, difficulty, estimated_hours)
SELECT s.assignment_id, s.notes, s.tags, s.difficulty, s.estimated_hours
FROM temp.staged_assignment_metadata AS s
WHERE NOT EXISTS (
        SELECT 1 FROM meta.assignment_metadata AS m WHERE m.assignment_id = s.assignment_id
      )
  AND (s.notes IS NOT NULL OR len(s.tags) > 0 OR s.difficulty IS NOT NULL
       OR s.estimated_hours IS NOT NULL)
