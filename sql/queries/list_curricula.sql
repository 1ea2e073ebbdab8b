-- Every curriculum with the ids of its courses, by name.
SELECT k.curriculum_id, k.name, k.description, k.color, k.start_date,
       coalesce(
           list(cc.course_id ORDER BY cc.course_id) FILTER (WHERE cc.course_id IS NOT NULL), []
       ) AS course_ids
FROM meta.curricula AS k
LEFT JOIN meta.curriculum_courses AS cc USING (curriculum_id)
GROUP BY k.curriculum_id, k.name, k.description, k.color, k.start_date
ORDER BY lower(k.name), k.curriculum_id
