-- Layer 0: which Canvas objects are active, gone, or back again. Updated in the same
-- transaction as every sync (a failed sync leaves it untouched). Like layers 1 and 2 it has
-- no keys: the sync rewrites it whole from the previous state and what Canvas sent.

CREATE SCHEMA IF NOT EXISTS lifecycle;

CREATE TABLE lifecycle.object_status (
    object_type VARCHAR NOT NULL,      -- 'course', 'student' or 'assignment'
    object_id BIGINT NOT NULL,
    active BOOLEAN NOT NULL,
    first_seen_sync BIGINT NOT NULL,
    last_seen_sync BIGINT NOT NULL,    -- the last sync whose Canvas data contained it
    removed_at TIMESTAMPTZ,            -- when it stopped being active (NULL while active)
    removal_reason VARCHAR,            -- 'absent', 'enrollment inactive', 'course deleted' ...
    pending_review BOOLEAN NOT NULL,   -- removed while carrying teacher data or history
    archived BOOLEAN NOT NULL,         -- a teacher chose to hide it from default views
    reviewed_at TIMESTAMPTZ,
    reactivated_at TIMESTAMPTZ,        -- when it last came back
    course_id BIGINT,                  -- assignments: their course
    last_known_name VARCHAR            -- kept so a removed object can still be named
);

CREATE TABLE lifecycle.enrollment_status (
    course_id BIGINT NOT NULL,
    student_id BIGINT NOT NULL,
    active BOOLEAN NOT NULL,
    first_seen_sync BIGINT NOT NULL,
    last_seen_sync BIGINT NOT NULL,
    removed_at TIMESTAMPTZ,
    removal_reason VARCHAR
);
