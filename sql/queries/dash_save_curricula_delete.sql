-- Metadata editor: forget the course lists of the edited and deleted curricula (they are
-- written again from the staged rows), then the deleted curricula themselves.
DELETE FROM meta.curriculum_courses
WHERE curriculum_id IN (SELECT curriculum_id FROM temp.staged_curricula)
   OR curriculum_id IN (SELECT curriculum_id FROM temp.staged_deleted_curricula)
