-- Metadata editor: delete the curricula the teacher removed from the table.
DELETE FROM meta.curricula
WHERE curriculum_id IN (SELECT curriculum_id FROM temp.staged_deleted_curricula)
