-- One student: who they are (layer 1, or the last known name once Canvas dropped them), the
-- teacher's tags and group, and their layer-0 status. Parameter: $student_id.
-- No row when the tracker has never seen the id.
SELECT k.student_id,
       coalesce(s.name, o.last_known_name) AS name,
       s.sortable_name, s.login_id, s.sis_user_id,
       s.student_id IS NOT NULL AS in_canvas,
       coalesce(m.tags, []) AS tags,
       m.custom_group,
       coalesce(o.active, true) AS active,
       coalesce(o.archived, false) AS archived,
       o.removal_reason
FROM (SELECT $student_id::BIGINT AS student_id) AS k
LEFT JOIN canvas.students AS s USING (student_id)
LEFT JOIN meta.student_metadata AS m USING (student_id)
LEFT JOIN lifecycle.object_status AS o
       ON o.object_type = 'student' AND o.object_id = k.student_id
WHERE s.student_id IS NOT NULL OR o.object_id IS NOT NULL
   OR EXISTS (SELECT 1 FROM history.grade_history AS h WHERE h.student_id = k.student_id)
