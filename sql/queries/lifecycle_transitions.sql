-- How many objects the pending layer-0 state (temp table next_object_status) removes or
-- brings back, compared with the stored one.
SELECT count(*) FILTER (WHERE o.active AND NOT n.active) AS removed,
       count(*) FILTER (WHERE NOT o.active AND n.active) AS reactivated
FROM next_object_status AS n
JOIN lifecycle.object_status AS o USING (object_type, object_id)
