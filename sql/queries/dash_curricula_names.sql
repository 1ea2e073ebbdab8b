-- Metadata editor: every curriculum's id and name (to check ids and unique names on save).
SELECT curriculum_id, name FROM meta.curricula
