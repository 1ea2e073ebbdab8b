-- Every student's tags and group.
SELECT student_id, tags, custom_group FROM meta.student_metadata ORDER BY student_id
