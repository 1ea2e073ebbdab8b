-- The whole schema as of migration 0015, in one file: a new database (on either backend)
-- starts here, in one transaction, and records migrations 0001-0015 as applied; an existing
-- one applies the migrations it lacks. It is the 0013 baseline followed by migrations 0014
-- and 0015 as they are (their backfills find nothing to copy in a new database), so a new
-- database takes one transaction instead of three (a new DuckDB file opens in a third of
-- the time). tests/test_backends.py proves this file and the migrations give the same
-- schema, on a DuckDB file and on DuckLake. Like the migrations, never edited: later
-- changes are new migrations, applied on top.

-- 0001: the layered store.
-- Layer 1 (canvas) and layer 2 (history) carry no keys or indexes on purpose: DuckDB blocks
-- ALTER TABLE on indexed tables and DuckLake has none, and a full sync rewrites layer 1 whole.
-- References between layers are soft (plain ids): a student who leaves Canvas keeps notes.

CREATE SCHEMA IF NOT EXISTS canvas;
CREATE SCHEMA IF NOT EXISTS history;
CREATE SCHEMA IF NOT EXISTS meta;
CREATE SCHEMA IF NOT EXISTS ops;

-- Layer 1: what Canvas says now. Replaced by every full sync.
CREATE TABLE canvas.courses (
    course_id BIGINT NOT NULL,
    name VARCHAR,
    course_code VARCHAR,
    workflow_state VARCHAR,
    account_id BIGINT,
    term_id BIGINT,
    term_name VARCHAR,
    start_at TIMESTAMPTZ,
    end_at TIMESTAMPTZ,
    time_zone VARCHAR,
    total_students INTEGER,
    apply_assignment_group_weights BOOLEAN
);

CREATE TABLE canvas.sections (
    section_id BIGINT NOT NULL,
    course_id BIGINT NOT NULL,
    name VARCHAR,
    sis_section_id VARCHAR,
    nonxlist_course_id BIGINT
);

CREATE TABLE canvas.students (
    student_id BIGINT NOT NULL,  -- the Canvas user id
    name VARCHAR,
    sortable_name VARCHAR,
    short_name VARCHAR,
    login_id VARCHAR,
    sis_user_id VARCHAR
);

CREATE TABLE canvas.enrollments (
    enrollment_id BIGINT NOT NULL,
    course_id BIGINT NOT NULL,
    section_id BIGINT,
    student_id BIGINT NOT NULL,
    enrollment_state VARCHAR,
    current_score DOUBLE,
    final_score DOUBLE,
    current_grade VARCHAR,
    final_grade VARCHAR,
    last_activity_at TIMESTAMPTZ,
    total_activity_time BIGINT
);

CREATE TABLE canvas.assignment_groups (
    assignment_group_id BIGINT NOT NULL,
    course_id BIGINT NOT NULL,
    name VARCHAR,
    position INTEGER,
    group_weight DOUBLE
);

CREATE TABLE canvas.assignments (
    assignment_id BIGINT NOT NULL,
    course_id BIGINT NOT NULL,
    assignment_group_id BIGINT,
    name VARCHAR,
    points_possible DOUBLE,
    due_at TIMESTAMPTZ,
    published BOOLEAN,
    grading_type VARCHAR,
    omit_from_final_grade BOOLEAN,
    position INTEGER
);

CREATE TABLE canvas.submissions (
    submission_id BIGINT NOT NULL,
    assignment_id BIGINT NOT NULL,
    course_id BIGINT NOT NULL,
    student_id BIGINT NOT NULL,
    workflow_state VARCHAR,
    score DOUBLE,
    grade VARCHAR,
    submitted_at TIMESTAMPTZ,
    graded_at TIMESTAMPTZ,
    late BOOLEAN,
    missing BOOLEAN,
    excused BOOLEAN,
    seconds_late DOUBLE,
    attempt INTEGER,
    late_policy_status VARCHAR
);

-- Layer 2: append-only. A sync adds a row only where the values differ from the latest row
-- of the same key; rows are never updated or deleted by a sync.
CREATE TABLE history.grade_history (
    sync_id BIGINT NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    course_id BIGINT NOT NULL,
    student_id BIGINT NOT NULL,
    enrollment_state VARCHAR,
    current_score DOUBLE,
    final_score DOUBLE,
    current_grade VARCHAR,
    final_grade VARCHAR
);

CREATE TABLE history.assignment_scores (
    sync_id BIGINT NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    course_id BIGINT NOT NULL,
    assignment_id BIGINT NOT NULL,
    student_id BIGINT NOT NULL,
    score DOUBLE,
    grade VARCHAR,
    workflow_state VARCHAR,
    late BOOLEAN,
    missing BOOLEAN,
    excused BOOLEAN,
    submitted_at TIMESTAMPTZ,
    graded_at TIMESTAMPTZ
);

-- Layer 3: the teachers' own data. No sync ever writes here. Uniqueness is kept by the
-- metadata operations (one transaction each), not by key constraints, so these tables can
-- move to DuckLake unchanged.
CREATE TABLE meta.curricula (
    curriculum_id VARCHAR NOT NULL,  -- a slug, e.g. 'year-9-science'
    name VARCHAR NOT NULL,
    description VARCHAR,
    color VARCHAR,                   -- '#RRGGBB'
    start_date DATE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE meta.curriculum_courses (
    curriculum_id VARCHAR NOT NULL,
    course_id BIGINT NOT NULL
);

CREATE TABLE meta.student_metadata (
    student_id BIGINT NOT NULL,
    tags VARCHAR[] NOT NULL,
    custom_group VARCHAR,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE meta.student_notes (
    note_id UUID NOT NULL,
    student_id BIGINT NOT NULL,
    body VARCHAR NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE meta.course_metadata (
    course_id BIGINT NOT NULL,
    notes VARCHAR,
    tags VARCHAR[] NOT NULL,
    color VARCHAR,
    course_hours DOUBLE,
    tracking_enabled BOOLEAN NOT NULL DEFAULT true,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE meta.assignment_metadata (
    assignment_id BIGINT NOT NULL,
    notes VARCHAR,
    tags VARCHAR[] NOT NULL,
    difficulty INTEGER,              -- 1 (easy) to 5 (hard)
    estimated_hours DOUBLE,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Operations: one row per sync attempt, failed ones included.
CREATE TABLE ops.sync_runs (
    sync_id BIGINT NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    status VARCHAR NOT NULL,         -- 'succeeded' or 'failed'
    source VARCHAR,                  -- where the data came from, e.g. a Canvas base URL
    courses INTEGER,
    sections INTEGER,
    students INTEGER,
    enrollments INTEGER,
    assignment_groups INTEGER,
    assignments INTEGER,
    submissions INTEGER,
    grade_history_rows INTEGER,
    assignment_score_rows INTEGER,
    duration_seconds DOUBLE,
    error VARCHAR
);

-- 0002
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

-- 0003
-- One row per (course, student) Canvas lists, for every query that speaks of a student's
-- grade in a course: a student in two sections has two enrollments carrying the same course
-- grade, and the active one speaks for the pair (then any non-deleted one, then the lowest
-- enrollment id). A view, not a table: it is always what layer 1 says.
CREATE VIEW canvas.course_students AS
SELECT course_id, student_id, enrollment_id, section_id, enrollment_state,
       current_score, final_score, current_grade, final_grade, last_activity_at
FROM canvas.enrollments
QUALIFY row_number() OVER (
    PARTITION BY course_id, student_id
    ORDER BY enrollment_state IS DISTINCT FROM 'active',
             enrollment_state IS NOT DISTINCT FROM 'deleted',
             enrollment_id
) = 1;

-- 0004
-- When each successful sync happened, as its history rows record it: the recorded_at stamped
-- on its rows (the demo backdates them), else the run's start (a sync that changed nothing
-- has no rows). Charts put syncs on a time axis with it.
CREATE VIEW history.sync_times AS
SELECT r.sync_id, coalesce(g.recorded_at, r.started_at) AS recorded_at
FROM ops.sync_runs AS r
LEFT JOIN (
    SELECT sync_id, min(recorded_at) AS recorded_at
    FROM history.grade_history
    GROUP BY sync_id
) AS g USING (sync_id)
WHERE r.status = 'succeeded';

-- 0005
-- What default views leave out: objects layer 0 holds as inactive (gone from Canvas, or no
-- longer active there) or that a teacher archived. One definition for every page query;
-- "include inactive" toggles skip it.
CREATE VIEW lifecycle.hidden_objects AS
SELECT object_type, object_id
FROM lifecycle.object_status
WHERE NOT active OR archived;

-- 0006 (without its backfill: a new database has nothing to fill)
-- The summary schema: read models the dashboard pages use instead of aggregating millions of
-- layer-1 and layer-2 rows on every view. Nothing here is a source of truth: every table is
-- derived from layers 0, 1 and 2, rewritten (or, for submission changes, appended to) by each
-- sync in its own transaction, kept true by permanent deletes, and rebuildable from scratch
-- (tracker_db.operations.summary_ops). This migration fills them for a database that already
-- holds syncs. Like layers 1 and 2, no keys or indexes.
CREATE SCHEMA IF NOT EXISTS summary;

-- One row per (course, student) a page can show: each pair Canvas lists now (listed; the
-- enrollment canvas.course_students picks speaks for it) and each pair it no longer lists
-- that layer 0 holds as removed and history knows (state 'removed', last recorded score).
-- Missing and late count the pair's flagged, not excused submissions (layer-1 submissions
-- belong to assignments Canvas lists, which layer 0 always holds as active).
CREATE TABLE summary.course_students (
    sync_id BIGINT NOT NULL,           -- the sync that wrote the row (the latest successful)
    course_id BIGINT NOT NULL,
    student_id BIGINT NOT NULL,
    listed BOOLEAN NOT NULL,           -- Canvas lists the pair now
    enrollment_id BIGINT,              -- NULL when not listed
    section_id BIGINT,
    enrollment_state VARCHAR,          -- 'removed' when not listed
    current_score DOUBLE,              -- not listed: the last score history recorded
    missing_count BIGINT NOT NULL,
    late_count BIGINT NOT NULL,
    grade_changed BOOLEAN NOT NULL,    -- the sync appended a grade_history row for the pair
    previous_score DOUBLE              -- current_score as of the sync before (NULL: unknown)
);

-- One row per student with a pair in a course layer 0 does not hide: the name to show and
-- sort by (Canvas's, else the last known), and over the courses default views show (listed,
-- enrollment not deleted) their number and the missing and late work in them.
CREATE TABLE summary.students (
    student_id BIGINT NOT NULL,
    name VARCHAR,
    sortable_name VARCHAR,
    sort_key VARCHAR,                  -- lower(sortable_name): the Students page order
    login_id VARCHAR,
    sis_user_id VARCHAR,
    search_text VARCHAR,               -- lower-cased names, login and SIS id: the name search
    course_count BIGINT NOT NULL,      -- courses default views show
    removed_count BIGINT NOT NULL,     -- pairs Canvas no longer lists
    missing_count BIGINT NOT NULL,
    missing_courses BIGINT NOT NULL,   -- courses with missing work
    late_count BIGINT NOT NULL
);

-- The two facts the submission charts read from each assignment_scores row. A pair counts
-- when it is not excused; it is submitted when it counts and Canvas holds a submission (a
-- time, or a state that only a submission reaches).
CREATE VIEW summary.submission_states AS
SELECT sync_id, course_id, assignment_id, student_id,
       (NOT coalesce(excused, false))::INTEGER AS counted,
       (NOT coalesce(excused, false)
        AND (submitted_at IS NOT NULL
             OR workflow_state IN ('submitted', 'graded', 'pending_review')))::INTEGER
           AS submitted
FROM history.assignment_scores;

-- Per sync and assignment, how much its rows moved the numbers of counted and submitted
-- pairs, over every student; each sync appends its own. Running sums over syncs give an
-- assignment's counts at any sync. Zero rows are left out.
CREATE TABLE summary.submission_changes (
    sync_id BIGINT NOT NULL,
    course_id BIGINT NOT NULL,
    assignment_id BIGINT NOT NULL,
    counted_change BIGINT NOT NULL,
    submitted_change BIGINT NOT NULL
);

-- The part of those changes that comes from students layer 0 hides now, which charts take
-- back out. Rewritten with layer 0.
CREATE TABLE summary.hidden_submission_changes (
    sync_id BIGINT NOT NULL,
    course_id BIGINT NOT NULL,
    assignment_id BIGINT NOT NULL,
    counted_change BIGINT NOT NULL,
    submitted_change BIGINT NOT NULL
);

-- 0007
-- Definitions that several statements share, created once so that each is written in one
-- place: what layer 0 hides, per object type; curricula with their courses; the courses a
-- page's scope covers; the enrollments and work that reports count; and how the summary
-- tables are derived.
-- Migration 0006 wrote its backfill out in full; the sync's statements (sql/store/) and any
-- later migration that needs to derive a summary call the macros below instead, so that
-- copy never grows. Views and macros hold no data: a later migration changes one with
-- CREATE OR REPLACE.

-- What default views leave out, one view per object type with the id named as elsewhere.
CREATE VIEW lifecycle.hidden_students AS
SELECT object_id AS student_id FROM lifecycle.hidden_objects WHERE object_type = 'student';

CREATE VIEW lifecycle.hidden_courses AS
SELECT object_id AS course_id FROM lifecycle.hidden_objects WHERE object_type = 'course';

CREATE VIEW lifecycle.hidden_assignments AS
SELECT object_id AS assignment_id FROM lifecycle.hidden_objects WHERE object_type = 'assignment';

-- Every curriculum with the ids of its courses, in order (an empty list for none).
CREATE VIEW meta.curricula_with_courses AS
SELECT k.curriculum_id, k.name, k.description, k.color, k.start_date,
       coalesce(
           list(cc.course_id ORDER BY cc.course_id) FILTER (WHERE cc.course_id IS NOT NULL), []
       ) AS course_ids
FROM meta.curricula AS k
LEFT JOIN meta.curriculum_courses AS cc USING (curriculum_id)
GROUP BY k.curriculum_id, k.name, k.description, k.color, k.start_date;

-- The courses a page looks at: the ones chosen, and those of the chosen curriculum (NULL for
-- none).
CREATE MACRO meta.scope_courses(chosen_course_ids, chosen_curriculum_id) AS TABLE
SELECT unnest(chosen_course_ids::BIGINT[]) AS course_id
UNION
SELECT course_id FROM meta.curriculum_courses WHERE curriculum_id = chosen_curriculum_id;

-- The (course, student) enrollments reports count: by default active or invited ones of
-- students a teacher has not archived; with include_inactive every non-deleted one.
CREATE MACRO canvas.reported_course_students(include_inactive) AS TABLE
SELECT *
FROM canvas.course_students
WHERE enrollment_state IS DISTINCT FROM 'deleted'
  AND (include_inactive
       OR (enrollment_state IN ('active', 'invited')
           AND student_id NOT IN (
               SELECT object_id FROM lifecycle.object_status
               WHERE object_type = 'student' AND archived
           )));

-- Missing and late submissions per course of those enrollments (excused ones left out).
CREATE MACRO canvas.reported_course_work(include_inactive) AS TABLE
SELECT s.course_id,
       count(*) FILTER (WHERE s.missing AND NOT coalesce(s.excused, false)) AS missing_count,
       count(*) FILTER (WHERE s.late AND NOT coalesce(s.excused, false)) AS late_count
FROM canvas.submissions AS s
SEMI JOIN canvas.reported_course_students(include_inactive) AS e USING (course_id, student_id)
GROUP BY s.course_id;

-- summary.course_students as of a sync: every pair Canvas lists, and every pair layer 0 holds
-- as removed that history knows (state 'removed', last recorded score). Read after layer 1
-- is replaced, grade_history appended and layer 0 rewritten. previous_score is a listed
-- pair's score as of the sync before: its current score when the sync appended no grade row
-- for it (nothing changed), else the latest earlier row's.
CREATE MACRO summary.derive_course_students(for_sync_id) AS TABLE
WITH work AS (
    -- Missing and late flags are rare: filtering on them first skips most submissions.
    SELECT course_id, student_id,
           count(*) FILTER (WHERE missing) AS missing_count,
           count(*) FILTER (WHERE late) AS late_count
    FROM canvas.submissions
    WHERE (missing OR late) AND NOT coalesce(excused, false)
    GROUP BY course_id, student_id
),
changed AS (
    SELECT course_id, student_id FROM history.grade_history WHERE sync_id = for_sync_id
),
before AS (
    SELECT h.course_id, h.student_id, arg_max_null(h.current_score, h.sync_id) AS score
    FROM history.grade_history AS h
    SEMI JOIN changed USING (course_id, student_id)
    WHERE h.sync_id < for_sync_id
    GROUP BY h.course_id, h.student_id
),
removed AS (
    SELECT es.course_id, es.student_id, arg_max(g.current_score, g.sync_id) AS score
    FROM lifecycle.enrollment_status AS es
    JOIN history.grade_history AS g USING (course_id, student_id)
    ANTI JOIN canvas.enrollments AS e USING (course_id, student_id)
    WHERE NOT es.active
    GROUP BY es.course_id, es.student_id
)
SELECT for_sync_id::BIGINT AS sync_id, s.course_id, s.student_id,
       true AS listed, s.enrollment_id, s.section_id, s.enrollment_state, s.current_score,
       coalesce(w.missing_count, 0) AS missing_count,
       coalesce(w.late_count, 0) AS late_count,
       ch.student_id IS NOT NULL AS grade_changed,
       CASE WHEN ch.student_id IS NULL THEN s.current_score ELSE b.score END AS previous_score
FROM canvas.course_students AS s
LEFT JOIN work AS w USING (course_id, student_id)
LEFT JOIN changed AS ch USING (course_id, student_id)
LEFT JOIN before AS b USING (course_id, student_id)
UNION ALL BY NAME
SELECT for_sync_id::BIGINT AS sync_id, course_id, student_id,
       false AS listed, NULL AS enrollment_id, NULL AS section_id,
       'removed' AS enrollment_state, score AS current_score,
       0 AS missing_count, 0 AS late_count, false AS grade_changed, NULL AS previous_score
FROM removed;

-- summary.students from summary.course_students and layer 0: one row per student with a pair
-- in a course layer 0 does not hide.
CREATE MACRO summary.derive_students() AS TABLE
WITH shown AS (
    SELECT s.*
    FROM summary.course_students AS s
    ANTI JOIN lifecycle.hidden_courses USING (course_id)
    WHERE s.enrollment_state IS DISTINCT FROM 'deleted'
),
per_student AS (
    SELECT student_id,
           count(*) FILTER (WHERE listed) AS course_count,
           count(*) FILTER (WHERE NOT listed) AS removed_count,
           sum(missing_count)::BIGINT AS missing_count,
           count(*) FILTER (WHERE missing_count > 0) AS missing_courses,
           sum(late_count)::BIGINT AS late_count
    FROM shown
    GROUP BY student_id
),
known AS (
    -- Canvas's names, else (a student Canvas no longer lists) the last name seen
    SELECT student_id, name, sortable_name, login_id, sis_user_id FROM canvas.students
    UNION ALL BY NAME
    SELECT o.object_id AS student_id, o.last_known_name AS name,
           o.last_known_name AS sortable_name
    FROM lifecycle.object_status AS o
    ANTI JOIN canvas.students AS s ON s.student_id = o.object_id
    WHERE o.object_type = 'student'
)
SELECT p.*, k.name, k.sortable_name, lower(k.sortable_name) AS sort_key, k.login_id,
       k.sis_user_id,
       lower(concat_ws(chr(31), k.name, k.sortable_name, k.login_id, k.sis_user_id))
           AS search_text
FROM per_student AS p
LEFT JOIN known AS k USING (student_id);

-- Per sync and assignment, how much the assignment_scores rows moved the numbers of counted
-- and submitted (assignment, student) pairs: each row moves its pair from the state of the
-- pair's previous row (none: nothing counted) to its own. Zero rows are left out.
-- assignment_ids: only these assignments (empty: every one); hidden_students_only: only
-- students layer 0 hides (what charts take back out). Fills summary.submission_changes
-- (rebuilt after a permanent delete) and summary.hidden_submission_changes (rewritten with
-- layer 0).
CREATE MACRO summary.derive_submission_changes(assignment_ids, hidden_students_only) AS TABLE
WITH chosen AS NOT MATERIALIZED (
    SELECT *
    FROM summary.submission_states
    WHERE len(assignment_ids::BIGINT[]) = 0
       OR list_contains(assignment_ids::BIGINT[], assignment_id)
),
rows_ AS (
    -- one branch runs: the argument folds the other away (an OR would test every row)
    SELECT * FROM chosen WHERE NOT hidden_students_only
    UNION ALL
    SELECT * FROM chosen SEMI JOIN lifecycle.hidden_students USING (student_id)
    WHERE hidden_students_only
),
deltas AS (
    SELECT sync_id, course_id, assignment_id,
           counted - coalesce(lag(counted) OVER w, 0) AS counted_change,
           submitted - coalesce(lag(submitted) OVER w, 0) AS submitted_change
    FROM rows_
    WINDOW w AS (PARTITION BY assignment_id, student_id ORDER BY sync_id)
)
SELECT sync_id, course_id, assignment_id,
       sum(counted_change)::BIGINT AS counted_change,
       sum(submitted_change)::BIGINT AS submitted_change
FROM deltas
GROUP BY sync_id, course_id, assignment_id
HAVING sum(counted_change) <> 0 OR sum(submitted_change) <> 0;

-- 0008 (the tags columns above were created without list defaults)
-- One row per setting: its name (e.g. 'schedule.every_hours') and its value as text.
CREATE TABLE ops.settings (
    name VARCHAR NOT NULL,
    value VARCHAR,
    updated_at TIMESTAMPTZ NOT NULL
);

-- 0009_sync_attempts.sql
-- A trace of syncs that never finished, and which attempt each run record belongs to.
--
-- A sync attempt inserts its row here (in a small transaction of its own) before it fetches,
-- and the transaction that records its outcome deletes it: the sync's own transaction when it
-- succeeds, the failed run's record when it fails, a cleanup when it is interrupted. So a row
-- left behind means the process died before it could record anything (SIGKILL, a power cut):
-- `canvas-tracker status` and the Sync page show it, and the next successful sync clears it
-- once its process is known to be gone. Like the other tables, no keys.
CREATE TABLE ops.sync_attempts (
    attempt_id VARCHAR NOT NULL,       -- a uuid4, also stamped on the attempt's run record
    started_at TIMESTAMPTZ NOT NULL,
    kind VARCHAR,                      -- 'canvas' or 'demo'
    trigger VARCHAR,                   -- 'button', 'schedule', 'command line' ...
    pid INTEGER,                       -- the process that runs it ...
    host VARCHAR                       -- ... and its machine
);

-- The attempt a run record belongs to (NULL on runs recorded before this migration): after
-- an interrupt the command asks whether its own attempt committed, and a failure is never
-- recorded for an attempt that did.
ALTER TABLE ops.sync_runs ADD COLUMN attempt_id VARCHAR;

-- 0010_incremental_sync.sql
-- Incremental syncs: which kind of sync each run was, and from when it asked Canvas for
-- changed submissions.
--
-- An incremental sync fetches only the submissions graded or submitted after a watermark
-- (the start of the latest successful sync, less a safety overlap) and keeps the rest from
-- layer 1; a full sync fetches everything. The next incremental's watermark is read from the
-- latest successful run, so a failed attempt never moves it. NULL mode on runs recorded
-- before this migration: they were all full syncs.
ALTER TABLE ops.sync_runs ADD COLUMN mode VARCHAR;            -- 'full' or 'incremental'
ALTER TABLE ops.sync_runs ADD COLUMN changes_since TIMESTAMPTZ; -- an incremental's watermark

-- 0011_change_log.sql
-- What changed between syncs: the two logs the "What changed" page and `canvas-tracker
-- changes` read, so that comparing any two syncs reads the changes between them and never
-- rebuilds either state from the whole history.

-- Layer 0's own log: each (course, student) pair a sync brought in ('added': new, or back
-- after leaving) or took out ('gone', with the reason layer 0 gives). Appended by every sync
-- but the first (before it there is nothing to compare with) in its transaction; layer 0
-- keeps only the present state, so this is the only record of when a student came or went.
CREATE TABLE lifecycle.enrollment_changes (
    sync_id BIGINT NOT NULL,
    course_id BIGINT NOT NULL,
    student_id BIGINT NOT NULL,
    change VARCHAR NOT NULL,           -- 'added' or 'gone'
    reason VARCHAR                     -- for 'gone': 'absent', 'enrollment inactive' ...
);

-- Per history.assignment_scores row that moved a score, the missing flag or the submitted
-- state (as the charts count them: summary.submission_states), the values before and after.
-- "Before" is the key's previous history row; a key with none (a new student, a new
-- assignment) starts from no score, not missing, not submitted. The rows of a course's first
-- sync are left out: all of its work is new to the tracker, not a change. Derived from layer
-- 2, so rebuildable (summary.derive_work_changes) like the rest of the schema.
CREATE TABLE summary.work_changes (
    sync_id BIGINT NOT NULL,
    course_id BIGINT NOT NULL,
    assignment_id BIGINT NOT NULL,
    student_id BIGINT NOT NULL,
    old_score DOUBLE,
    new_score DOUBLE,
    old_missing BOOLEAN NOT NULL,
    new_missing BOOLEAN NOT NULL,
    old_submitted BOOLEAN NOT NULL,
    new_submitted BOOLEAN NOT NULL
);

-- The three facts summary.work_changes follows, per assignment_scores row. Missing work is
-- flagged and not excused (as every count of missing work); submitted is exactly
-- summary.submission_states.submitted (repeated here so a lookup reads one table, not two).
CREATE VIEW summary.work_states AS
SELECT sync_id, course_id, assignment_id, student_id, score,
       coalesce(missing, false) AND NOT coalesce(excused, false) AS missing,
       NOT coalesce(excused, false)
       AND (submitted_at IS NOT NULL
            OR workflow_state IN ('submitted', 'graded', 'pending_review')) AS submitted
FROM history.assignment_scores;

-- summary.work_changes derived from the whole history (a rebuild, and this migration's
-- backfill); each sync appends its own rows the same way, looking up only the keys it touched.
CREATE MACRO summary.derive_work_changes() AS TABLE
WITH states AS (
    SELECT *, min(sync_id) OVER (PARTITION BY course_id) < sync_id AS course_known
    FROM summary.work_states
),
moves AS (
    SELECT sync_id, course_id, assignment_id, student_id, course_known,
           lag(score) OVER w AS old_score, score AS new_score,
           coalesce(lag(missing) OVER w, false) AS old_missing, missing AS new_missing,
           coalesce(lag(submitted) OVER w, false) AS old_submitted, submitted AS new_submitted
    FROM states
    WINDOW w AS (PARTITION BY assignment_id, student_id ORDER BY sync_id)
)
SELECT sync_id, course_id, assignment_id, student_id, old_score, new_score,
       old_missing, new_missing, old_submitted, new_submitted
FROM moves
WHERE course_known
  AND (old_score IS DISTINCT FROM new_score
       OR old_missing <> new_missing
       OR old_submitted <> new_submitted);

INSERT INTO summary.work_changes BY NAME
SELECT * FROM summary.derive_work_changes();

-- The pairs' comings and goings that layer 0 still shows: a pair first seen after the first
-- sync was added then, and a pair inactive now left at the sync stamped with its removal
-- time. (Earlier returns and departures were not recorded before this migration.)
INSERT INTO lifecycle.enrollment_changes BY NAME
WITH first_sync AS (
    SELECT min(sync_id) AS sync_id FROM history.sync_times
)
SELECT es.first_seen_sync AS sync_id, es.course_id, es.student_id, 'added' AS change,
       NULL AS reason
FROM lifecycle.enrollment_status AS es
WHERE es.first_seen_sync > (SELECT sync_id FROM first_sync)
UNION ALL
SELECT t.sync_id, es.course_id, es.student_id, 'gone' AS change, es.removal_reason AS reason
FROM lifecycle.enrollment_status AS es
JOIN (SELECT min(sync_id) AS sync_id, recorded_at FROM history.sync_times GROUP BY recorded_at)
    AS t ON t.recorded_at = es.removed_at
WHERE NOT es.active AND t.sync_id > (SELECT sync_id FROM first_sync);

-- What changed after sync after_sync up to and including sync until_sync, one row per
-- change: kind 'new grade' (no score before, one now), 'regrade' (a score before, another or
-- none now), 'newly missing', 'newly submitted' (per assignment and student), 'student added'
-- and 'student gone' (per course and student). Each key's first logged change in the range
-- gives the state before, its last the state after, so a grade changed and changed back, or
-- a student who left and returned, is no change.
CREATE MACRO summary.changes_between(after_sync, until_sync) AS TABLE
WITH work AS (
    SELECT course_id, assignment_id, student_id,
           arg_min_null(old_score, sync_id) AS old_score,
           arg_max_null(new_score, sync_id) AS new_score,
           arg_min(old_missing, sync_id) AS old_missing,
           arg_max(new_missing, sync_id) AS new_missing,
           arg_min(old_submitted, sync_id) AS old_submitted,
           arg_max(new_submitted, sync_id) AS new_submitted
    FROM summary.work_changes
    WHERE sync_id > after_sync AND sync_id <= until_sync
    GROUP BY course_id, assignment_id, student_id
),
roster AS (
    SELECT course_id, student_id,
           arg_min(change, sync_id) AS first_change,
           arg_max(change, sync_id) AS last_change,
           arg_max_null(reason, sync_id) AS reason
    FROM lifecycle.enrollment_changes
    WHERE sync_id > after_sync AND sync_id <= until_sync
    GROUP BY course_id, student_id
)
SELECT course_id, student_id, assignment_id, 'new grade' AS kind, old_score, new_score,
       NULL::VARCHAR AS reason
FROM work WHERE old_score IS NULL AND new_score IS NOT NULL
UNION ALL
SELECT course_id, student_id, assignment_id, 'regrade', old_score, new_score, NULL
FROM work WHERE old_score IS NOT NULL AND old_score IS DISTINCT FROM new_score
UNION ALL
SELECT course_id, student_id, assignment_id, 'newly missing', old_score, new_score, NULL
FROM work WHERE new_missing AND NOT old_missing
UNION ALL
SELECT course_id, student_id, assignment_id, 'newly submitted', old_score, new_score, NULL
FROM work WHERE new_submitted AND NOT old_submitted
UNION ALL
SELECT course_id, student_id, NULL, 'student added', NULL, NULL, NULL
FROM roster WHERE first_change = 'added' AND last_change = 'added'
UNION ALL
SELECT course_id, student_id, NULL, 'student gone', NULL, NULL, reason
FROM roster WHERE first_change = 'gone' AND last_change = 'gone';

-- 0012_grade_history_sections.sql
-- The section each (course, student) pair's grades were recorded in, so a past state knows
-- it for a pair Canvas no longer lists (tracker_db.past_state). A sync appends a row when a
-- student moves section, as for any other change of their enrollment. Rows recorded before
-- this migration have none (NULL: not known then).
ALTER TABLE history.grade_history ADD COLUMN section_id BIGINT;

-- 0013_submission_status.sql
-- A submission's status in words, the one rule every page uses (the Student page's work, the
-- Assignment page's class list): excused, missing, late (graded or not), graded, submitted,
-- or not submitted.
CREATE MACRO canvas.submission_status(excused, missing, late, score, workflow_state,
                                      submitted_at) AS
CASE WHEN excused THEN 'excused'
     WHEN missing THEN 'missing'
     WHEN late AND score IS NOT NULL THEN 'late, graded'
     WHEN late THEN 'late'
     WHEN workflow_state = 'graded' OR score IS NOT NULL THEN 'graded'
     WHEN submitted_at IS NOT NULL OR workflow_state IN ('submitted', 'pending_review')
         THEN 'submitted'
     ELSE 'not submitted' END;

-- 0014_flags.sql
-- Flags: the teachers' rules for when a student needs them, their decisions about each flag,
-- and the per-pair facts the rules read that only a scan of every submission can give.

-- Layer 3. One row per rule a teacher has set (no row: the rule's defaults, which
-- tracker_db.read_models.flags names); a save replaces the rule's row. threshold is a score
-- in percent, points or a count, as the rule says; days a period, for the rules that have one.
CREATE TABLE meta.flag_rules (
    rule VARCHAR NOT NULL,
    enabled BOOLEAN NOT NULL,
    threshold DOUBLE NOT NULL,
    days INTEGER,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Layer 3, append-only: every dismissal and every "flag again" of one rule's flag for one
-- (course, student) pair, with the facts the flag stood on then. A flag is dismissed while
-- its latest decision is a dismissal of the facts it stands on now: when the facts change,
-- it shows again, and the decisions stay as its history.
CREATE TABLE meta.flag_decisions (
    decision_id UUID NOT NULL,
    course_id BIGINT NOT NULL,
    student_id BIGINT NOT NULL,
    rule VARCHAR NOT NULL,
    facts VARCHAR NOT NULL,
    action VARCHAR NOT NULL,           -- 'dismiss' or 'flag again'
    note VARCHAR,
    decided_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- What the streak and inactivity rules read, per pair, derived once per sync.
ALTER TABLE summary.course_students ADD COLUMN last_activity_at TIMESTAMPTZ;
-- missing, not excused work due after the last work handed in (by due date)
ALTER TABLE summary.course_students ADD COLUMN missing_streak BIGINT;
-- late work handed in, due after the last work handed in on time (by due date)
ALTER TABLE summary.course_students ADD COLUMN late_streak BIGINT;
-- the ids of the pair's missing work, and of its late streak, sorted: the facts a dismissal
-- of those flags is about
ALTER TABLE summary.course_students ADD COLUMN missing_assignments VARCHAR;
ALTER TABLE summary.course_students ADD COLUMN late_streak_assignments VARCHAR;

CREATE OR REPLACE MACRO summary.derive_course_students(for_sync_id) AS TABLE
WITH work AS (
    -- Missing and late flags are rare: filtering on them first skips most submissions.
    SELECT course_id, student_id,
           count(*) FILTER (WHERE missing) AS missing_count,
           count(*) FILTER (WHERE late) AS late_count
    FROM canvas.submissions
    WHERE (missing OR late) AND NOT coalesce(excused, false)
    GROUP BY course_id, student_id
),
dated AS NOT MATERIALIZED (
    SELECT s.course_id, s.student_id, s.assignment_id, a.due_at,
           coalesce(s.missing, false) AS missing, coalesce(s.late, false) AS late,
           (s.submitted_at IS NOT NULL
            OR s.workflow_state IN ('submitted', 'graded', 'pending_review')) AS handed_in
    FROM canvas.submissions AS s
    JOIN canvas.assignments AS a USING (assignment_id)
    WHERE NOT coalesce(s.excused, false) AND a.due_at IS NOT NULL
),
marks AS (
    -- the due date of the last work handed in, and of the last handed in on time
    SELECT course_id, student_id,
           max(due_at) FILTER (WHERE handed_in) AS handed_in_due,
           max(due_at) FILTER (WHERE handed_in AND NOT late) AS on_time_due
    FROM dated
    GROUP BY course_id, student_id
),
streaks AS (
    -- only missing and late rows can be in a streak: the rest are skipped early
    SELECT d.course_id, d.student_id,
           count(*) FILTER (WHERE d.missing AND NOT d.handed_in
                            AND d.due_at > coalesce(m.handed_in_due, '-infinity'))
               AS missing_streak,
           count(*) FILTER (WHERE d.late AND d.handed_in
                            AND d.due_at > coalesce(m.on_time_due, '-infinity'))
               AS late_streak,
           string_agg(d.assignment_id::VARCHAR, ',' ORDER BY d.assignment_id)
               FILTER (WHERE d.late AND d.handed_in
                       AND d.due_at > coalesce(m.on_time_due, '-infinity'))
               AS late_streak_assignments
    FROM dated AS d
    JOIN marks AS m USING (course_id, student_id)
    WHERE d.missing OR d.late
    GROUP BY d.course_id, d.student_id
),
missing_ids AS (
    SELECT course_id, student_id,
           string_agg(assignment_id::VARCHAR, ',' ORDER BY assignment_id) AS missing_assignments
    FROM canvas.submissions
    WHERE missing AND NOT coalesce(excused, false)
    GROUP BY course_id, student_id
),
changed AS (
    SELECT course_id, student_id FROM history.grade_history WHERE sync_id = for_sync_id
),
before AS (
    SELECT h.course_id, h.student_id, arg_max_null(h.current_score, h.sync_id) AS score
    FROM history.grade_history AS h
    SEMI JOIN changed USING (course_id, student_id)
    WHERE h.sync_id < for_sync_id
    GROUP BY h.course_id, h.student_id
),
removed AS (
    SELECT es.course_id, es.student_id, arg_max(g.current_score, g.sync_id) AS score
    FROM lifecycle.enrollment_status AS es
    JOIN history.grade_history AS g USING (course_id, student_id)
    ANTI JOIN canvas.enrollments AS e USING (course_id, student_id)
    WHERE NOT es.active
    GROUP BY es.course_id, es.student_id
)
SELECT for_sync_id::BIGINT AS sync_id, s.course_id, s.student_id,
       true AS listed, s.enrollment_id, s.section_id, s.enrollment_state, s.current_score,
       coalesce(w.missing_count, 0) AS missing_count,
       coalesce(w.late_count, 0) AS late_count,
       ch.student_id IS NOT NULL AS grade_changed,
       CASE WHEN ch.student_id IS NULL THEN s.current_score ELSE b.score END AS previous_score,
       s.last_activity_at,
       coalesce(st.missing_streak, 0) AS missing_streak,
       coalesce(st.late_streak, 0) AS late_streak,
       mi.missing_assignments,
       st.late_streak_assignments
FROM canvas.course_students AS s
LEFT JOIN work AS w USING (course_id, student_id)
LEFT JOIN changed AS ch USING (course_id, student_id)
LEFT JOIN before AS b USING (course_id, student_id)
LEFT JOIN streaks AS st USING (course_id, student_id)
LEFT JOIN missing_ids AS mi USING (course_id, student_id)
UNION ALL BY NAME
SELECT for_sync_id::BIGINT AS sync_id, course_id, student_id,
       false AS listed, NULL AS enrollment_id, NULL AS section_id,
       'removed' AS enrollment_state, score AS current_score,
       0 AS missing_count, 0 AS late_count, false AS grade_changed, NULL AS previous_score,
       NULL AS last_activity_at, 0 AS missing_streak, 0 AS late_streak,
       NULL AS missing_assignments, NULL AS late_streak_assignments
FROM removed;

-- The facts for the databases that already have a sync (the latest successful one).
DELETE FROM summary.course_students;
INSERT INTO summary.course_students BY NAME
SELECT * FROM summary.derive_course_students(
    (SELECT max(sync_id) FROM ops.sync_runs WHERE status = 'succeeded'));

-- 0015_flag_summary.sql
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

-- The (course, student) pairs flags are about, with the facts the rules read: active
-- enrollments Canvas lists, in courses and of students layer 0 does not hide; in the
-- courses of course_ids or of the curricula (empty lists: every course).
CREATE OR REPLACE MACRO summary.flag_pairs(course_ids, curricula) AS TABLE
    SELECT s.course_id, s.student_id, s.current_score, s.previous_score, s.grade_changed,
           s.missing_count, s.missing_streak, s.late_streak, s.missing_assignments,
           s.late_streak_assignments, s.last_activity_at
    FROM summary.course_students AS s
    ANTI JOIN lifecycle.hidden_students USING (student_id)
    ANTI JOIN lifecycle.hidden_courses USING (course_id)
    WHERE s.listed AND s.enrollment_state = 'active'
      AND (len(course_ids) = 0 OR list_contains(course_ids, s.course_id))
      AND (len(curricula) = 0 OR s.course_id IN (
               SELECT course_id FROM meta.curriculum_courses
               WHERE list_contains(curricula, curriculum_id)));

-- A teacher's latest decision about each flag (course, student, rule): a dismissal holds
-- while its facts are the flag's.
CREATE OR REPLACE VIEW meta.latest_flag_decisions AS
SELECT course_id, student_id, rule,
       arg_max(action, decided_at) AS action,
       arg_max(facts, decided_at) AS facts,
       arg_max(note, decided_at) AS note,
       max(decided_at) AS decided_at
FROM meta.flag_decisions
GROUP BY course_id, student_id, rule;
