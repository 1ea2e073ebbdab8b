-- What default views leave out: objects layer 0 holds as inactive (gone from Canvas, or no
-- longer active there) or that a teacher archived. One definition for every page query;
-- "include inactive" toggles skip it.
CREATE VIEW lifecycle.hidden_objects AS
SELECT object_type, object_id
FROM lifecycle.object_status
WHERE NOT active OR archived;
