-- Metadata editor: write the course lists of the edited curricula.
INSERT INTO meta.curriculum_courses (curriculum_id, course_id)
SELECT curriculum_id, course_id
FROM temp.staged_curriculum_courses
