-- How the teachers want things shown, and what the data suggests when they have not said.
-- Read models only: nothing here writes.

-- name: stored_time_zone
-- The time zone chosen on the Sync page (no row: none chosen).
SELECT value FROM ops.settings WHERE name = 'display.time_zone'

-- name: course_time_zones
-- The time zones tracked courses keep their dates in, the most common first.
SELECT time_zone, count(*) AS courses
FROM canvas.courses
WHERE time_zone IS NOT NULL AND time_zone <> ''
GROUP BY time_zone
ORDER BY courses DESC, time_zone

-- name: stored_min_group_size
-- The smallest group whose median and spread pages show, chosen on the Sync page (no row:
-- none chosen).
SELECT value FROM ops.settings WHERE name = 'privacy.min_group_size'

-- name: stored_pseudonym_key
-- The secret the pseudonyms are keyed with (no row: none made yet).
SELECT value FROM ops.settings WHERE name = 'privacy.pseudonym_key'
