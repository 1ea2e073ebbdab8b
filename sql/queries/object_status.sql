-- Layer-0 rows, all or of one object type. Parameter: $object_type (NULL for all).
SELECT *
FROM lifecycle.object_status
WHERE $object_type IS NULL OR object_type = $object_type
ORDER BY object_type, object_id
