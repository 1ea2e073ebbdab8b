-- One schema for both backends, the DuckDB file and DuckLake. DuckLake has no list defaults,
-- so the three tags columns lose theirs (every write names its tags, an empty list included).
-- And a table for the settings the app keeps in the database (the sync schedule), readable
-- by every process that shares it.
ALTER TABLE meta.student_metadata ALTER COLUMN tags DROP DEFAULT;
ALTER TABLE meta.course_metadata ALTER COLUMN tags DROP DEFAULT;
ALTER TABLE meta.assignment_metadata ALTER COLUMN tags DROP DEFAULT;

-- One row per setting: its name (e.g. 'schedule.every_hours') and its value as text.
CREATE TABLE ops.settings (
    name VARCHAR NOT NULL,
    value VARCHAR,
    updated_at TIMESTAMPTZ NOT NULL
);
