-- One student's course scores at every successful sync since they appeared in a course
-- (layer 2, carried forward between changes), with the class median at the same sync.
-- Parameter: $student_id.
-- A history row holds from its sync until the next row of its key, so the value of a key at
-- sync N is its latest row with sync_id <= N.
WITH syncs AS (
    SELECT sync_id, recorded_at FROM history.sync_times
),
my_courses AS (
    SELECT DISTINCT course_id
    FROM history.grade_history
    WHERE student_id = $student_id
),
course_rows AS (
    SELECT h.course_id, h.student_id, h.sync_id, h.current_score, h.enrollment_state,
           lead(h.sync_id) OVER (
               PARTITION BY h.course_id, h.student_id ORDER BY h.sync_id
           ) AS next_sync_id
    FROM history.grade_history AS h
    SEMI JOIN my_courses USING (course_id)
),
at_sync AS (
    SELECT s.sync_id, s.recorded_at, r.course_id, r.student_id, r.current_score,
           r.enrollment_state
    FROM course_rows AS r
    JOIN syncs AS s
      ON s.sync_id >= r.sync_id AND (r.next_sync_id IS NULL OR s.sync_id < r.next_sync_id)
)
SELECT a.sync_id, a.recorded_at, a.course_id,
       coalesce(c.name, 'course ' || a.course_id) AS course_name,
       coalesce(c.course_code, c.name, 'course ' || a.course_id) AS course_label,
       max(a.current_score) FILTER (WHERE a.student_id = $student_id) AS student_score,
       median(a.current_score) FILTER (
           WHERE a.enrollment_state NOT IN ('deleted', 'invited')
       ) AS class_median,
       count(a.current_score) FILTER (
           WHERE a.enrollment_state NOT IN ('deleted', 'invited')
       ) AS class_size
FROM at_sync AS a
LEFT JOIN canvas.courses AS c USING (course_id)
GROUP BY a.sync_id, a.recorded_at, a.course_id, c.name, c.course_code
HAVING bool_or(a.student_id = $student_id)
ORDER BY course_label, a.course_id, a.sync_id
