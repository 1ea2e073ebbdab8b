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

-- Fill them for the syncs already stored (nothing happens on a new database): what
-- sql/queries/summary_*.sql compute, written out here with the last sync looked up.
INSERT INTO summary.course_students BY NAME
WITH last_sync AS (
    SELECT max(sync_id) AS sync_id FROM ops.sync_runs WHERE status = 'succeeded'
),
work AS (
    SELECT course_id, student_id,
           count(*) FILTER (WHERE missing) AS missing_count,
           count(*) FILTER (WHERE late) AS late_count
    FROM canvas.submissions
    WHERE (missing OR late) AND NOT coalesce(excused, false)
    GROUP BY course_id, student_id
),
changed AS (
    SELECT course_id, student_id FROM history.grade_history
    WHERE sync_id = (SELECT sync_id FROM last_sync)
),
before AS (
    SELECT h.course_id, h.student_id, arg_max_null(h.current_score, h.sync_id) AS score
    FROM history.grade_history AS h
    SEMI JOIN changed USING (course_id, student_id)
    WHERE h.sync_id < (SELECT sync_id FROM last_sync)
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
SELECT (SELECT sync_id FROM last_sync) AS sync_id, s.course_id, s.student_id,
       true AS listed, s.enrollment_id, s.section_id, s.enrollment_state, s.current_score,
       coalesce(w.missing_count, 0) AS missing_count,
       coalesce(w.late_count, 0) AS late_count,
       ch.student_id IS NOT NULL AS grade_changed,
       CASE WHEN ch.student_id IS NULL THEN s.current_score ELSE b.score END AS previous_score
FROM canvas.course_students AS s
LEFT JOIN work AS w USING (course_id, student_id)
LEFT JOIN changed AS ch USING (course_id, student_id)
LEFT JOIN before AS b USING (course_id, student_id)
WHERE (SELECT sync_id FROM last_sync) IS NOT NULL
UNION ALL BY NAME
SELECT (SELECT sync_id FROM last_sync) AS sync_id, course_id, student_id,
       false AS listed, NULL AS enrollment_id, NULL AS section_id,
       'removed' AS enrollment_state, score AS current_score,
       0 AS missing_count, 0 AS late_count, false AS grade_changed, NULL AS previous_score
FROM removed
WHERE (SELECT sync_id FROM last_sync) IS NOT NULL;

INSERT INTO summary.students BY NAME
WITH shown AS (
    SELECT s.*
    FROM summary.course_students AS s
    WHERE s.course_id NOT IN (
        SELECT object_id FROM lifecycle.hidden_objects WHERE object_type = 'course'
    )
      AND s.enrollment_state IS DISTINCT FROM 'deleted'
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

INSERT INTO summary.submission_changes BY NAME
WITH deltas AS (
    SELECT sync_id, course_id, assignment_id,
           counted - coalesce(lag(counted) OVER w, 0) AS counted_change,
           submitted - coalesce(lag(submitted) OVER w, 0) AS submitted_change
    FROM summary.submission_states
    WINDOW w AS (PARTITION BY assignment_id, student_id ORDER BY sync_id)
)
SELECT sync_id, course_id, assignment_id,
       sum(counted_change)::BIGINT AS counted_change,
       sum(submitted_change)::BIGINT AS submitted_change
FROM deltas
GROUP BY sync_id, course_id, assignment_id
HAVING sum(counted_change) <> 0 OR sum(submitted_change) <> 0;

INSERT INTO summary.hidden_submission_changes BY NAME
WITH deltas AS (
    SELECT sync_id, course_id, assignment_id,
           counted - coalesce(lag(counted) OVER w, 0) AS counted_change,
           submitted - coalesce(lag(submitted) OVER w, 0) AS submitted_change
    FROM summary.submission_states
    WHERE student_id IN (
        SELECT object_id FROM lifecycle.hidden_objects WHERE object_type = 'student'
    )
    WINDOW w AS (PARTITION BY assignment_id, student_id ORDER BY sync_id)
)
SELECT sync_id, course_id, assignment_id,
       sum(counted_change)::BIGINT AS counted_change,
       sum(submitted_change)::BIGINT AS submitted_change
FROM deltas
GROUP BY sync_id, course_id, assignment_id
HAVING sum(counted_change) <> 0 OR sum(submitted_change) <> 0;
