-- ops.settings: the statements only tracker_db.store.settings runs.

-- name: read_settings
-- Every setting stored, as (name, value).
SELECT name, value FROM ops.settings

-- name: delete_setting
-- Parameter: the name.
DELETE FROM ops.settings WHERE name = ?

-- name: insert_setting
-- Parameters: the name and the value.
INSERT INTO ops.settings (name, value, updated_at) VALUES (?, ?, now())
