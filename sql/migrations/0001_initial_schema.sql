-- Canvas Tracker: the layered store.
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
    tags VARCHAR[] NOT NULL DEFAULT [],
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
    tags VARCHAR[] NOT NULL DEFAULT [],
    color VARCHAR,
    course_hours DOUBLE,
    tracking_enabled BOOLEAN NOT NULL DEFAULT true,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE meta.assignment_metadata (
    assignment_id BIGINT NOT NULL,
    notes VARCHAR,
    tags VARCHAR[] NOT NULL DEFAULT [],
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
