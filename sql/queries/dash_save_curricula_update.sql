-- Metadata editor: write changed curricula from the staged, validated rows.
UPDATE meta.curricula AS k
SET name = s.name, description = s.description, color = s.color, start_date = s.start_date,
    updated_at = now()
FROM temp.staged_curricula AS s
WHERE k.curriculum_id = s.curriculum_id AND NOT s.is_new
  AND (k.name IS DISTINCT FROM s.name OR k.description IS DISTINCT FROM s.description
       OR k.color IS DISTINCT FROM s.color OR k.start_date IS DISTINCT FROM s.start_date)
