-- Layer 2 (history schema): the statements only tracker_db.store.history runs.

-- name: append_assignment_scores
-- Append one assignment_scores row per (assignment, student) whose values differ
-- from the latest row recorded for it (all of them on the first sync).
-- Runs BEFORE layer 1 is replaced: `incoming_submissions` is this sync's shaped frame and
-- canvas.submissions still holds the previous sync's rows. Parameters: $sync_id, $recorded_at.
--
-- Why compare with layer 1 first: for every key layer 1 holds, its latest history row has the
-- same values (the same transaction writes both, and deleting an object's history deletes its
-- layer-1 rows too). So only keys that changed or are new to layer 1 need a look at history,
-- which keeps this step independent of how much history has piled up.
INSERT INTO history.assignment_scores BY NAME
-- Not materialized: read twice, it would otherwise be held whole, a copy of every
-- changed row (on a program's first sync, 1,000,000 rows: some 20 to 40 MB of the peak);
-- computed twice instead, it costs no measurable time (bench/bench_sync.py).
WITH changed AS NOT MATERIALIZED (
    SELECT n.*
    FROM incoming_submissions AS n
    LEFT JOIN canvas.submissions AS p USING (assignment_id, student_id)
    WHERE p.assignment_id IS NULL
       OR ROW(n.score, n.grade, n.workflow_state, n.late, n.missing, n.excused,
              n.submitted_at, n.graded_at)
          IS DISTINCT FROM ROW(p.score, p.grade, p.workflow_state, p.late, p.missing,
                               p.excused, p.submitted_at, p.graded_at)
),
any_history AS (
    SELECT count(*) > 0 AS any_rows
    FROM (SELECT 1 FROM history.assignment_scores LIMIT 1)
),
latest AS (
    SELECT h.*
    FROM history.assignment_scores AS h
    -- On the first sync every key is new: an empty key set spares hashing a million of them.
    SEMI JOIN (
        SELECT assignment_id, student_id FROM changed WHERE (SELECT any_rows FROM any_history)
    ) AS c USING (assignment_id, student_id)
    QUALIFY row_number() OVER (
        PARTITION BY h.assignment_id, h.student_id ORDER BY h.sync_id DESC
    ) = 1
)
SELECT $sync_id AS sync_id, $recorded_at AS recorded_at,
       s.course_id, s.assignment_id, s.student_id, s.score, s.grade, s.workflow_state,
       s.late, s.missing, s.excused, s.submitted_at, s.graded_at
FROM changed AS s
LEFT JOIN latest AS l USING (assignment_id, student_id)
WHERE l.sync_id IS NULL
   OR ROW(l.score, l.grade, l.workflow_state, l.late, l.missing, l.excused, l.submitted_at,
          l.graded_at)
      IS DISTINCT FROM ROW(s.score, s.grade, s.workflow_state, s.late, s.missing, s.excused,
                           s.submitted_at, s.graded_at)

-- name: append_grade_history
-- Append one grade_history row per (course, student) whose values differ from the
-- latest row recorded for it (all of them on the first sync). Reads the layer-1 enrollments
-- this sync has just written. Parameters: $sync_id, $recorded_at.
-- canvas.course_students picks one enrollment for a student in two sections.
INSERT INTO history.grade_history BY NAME
-- A row recorded before the section was kept (NULL) counts as unchanged in that respect.
WITH current_grades AS (
    SELECT course_id, student_id, enrollment_state,
           current_score, final_score, current_grade, final_grade, section_id
    FROM canvas.course_students
),
latest AS (
    SELECT course_id, student_id,
           arg_max(
               ROW(enrollment_state, current_score, final_score, current_grade, final_grade),
               sync_id
           ) AS v,
           arg_max(section_id, sync_id) AS section_id
    FROM history.grade_history
    GROUP BY course_id, student_id
)
SELECT $sync_id AS sync_id, $recorded_at AS recorded_at, c.*
FROM current_grades AS c
LEFT JOIN latest AS l USING (course_id, student_id)
WHERE l.v IS NULL
   OR l.v IS DISTINCT FROM ROW(c.enrollment_state, c.current_score, c.final_score,
                               c.current_grade, c.final_grade)
   OR (l.section_id IS NOT NULL AND l.section_id IS DISTINCT FROM c.section_id)

-- name: scored_assignments
-- The assignments one student's score history is about. Parameter: the student id.
SELECT DISTINCT assignment_id FROM history.assignment_scores WHERE student_id = ?
