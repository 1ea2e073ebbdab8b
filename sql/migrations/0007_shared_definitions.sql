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
