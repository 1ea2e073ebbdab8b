-- The flags the rules raise, derived once per sync and once per change of the rules, so the
-- Overview and Students read them instead of applying eight rules to every enrollment on
-- every view. Derived from layers 0-2 and the rules, never a source of truth; a teacher's
-- decisions about flags stay in meta.flag_decisions, joined when read.

-- One row per flag raised as of the latest successful sync: (course, student, rule), the
-- rule's value, the facts a dismissal holds on and the reason in words.
CREATE TABLE summary.flags (
    course_id BIGINT NOT NULL,
    student_id BIGINT NOT NULL,
    rule VARCHAR NOT NULL,
    value DOUBLE,
    facts VARCHAR,
    reason VARCHAR NOT NULL
);

-- What summary.flags was derived from: the sync and the rules as set (tracker_db.read_models
-- .flags.rules_key). While they are the latest sync and the rules now, readers use it; else
-- they apply the rules themselves. No row: never derived (a database from before this
-- migration, until its next sync or change of the rules).
CREATE TABLE summary.flag_state (
    sync_id BIGINT NOT NULL,
    rules_key VARCHAR NOT NULL
);
