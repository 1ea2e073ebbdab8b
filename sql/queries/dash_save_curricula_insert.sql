-- Metadata editor: add the curricula created in the table.
INSERT INTO meta.curricula (curriculum_id, name, description, color, start_date)
SELECT curriculum_id, name, description, color, start_date
FROM temp.staged_curricula
WHERE is_new
