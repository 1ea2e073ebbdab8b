-- Per-assignment statistics over the tracked students' submissions: score mean, median,
-- quartiles, range, and the share of students who submitted (excused ones left out).
-- Parameter: $course_id (NULL for every course).
SELECT a.assignment_id, a.course_id, a.name, a.points_possible, a.due_at, a.position,
       count(s.student_id) FILTER (WHERE NOT coalesce(s.excused, false)) AS students,
       count(s.student_id) FILTER (
           WHERE NOT coalesce(s.excused, false)
             AND (s.submitted_at IS NOT NULL OR s.workflow_state IN ('submitted', 'graded',
                                                                    'pending_review'))
       ) AS submitted,
       count(s.score) FILTER (WHERE NOT coalesce(s.excused, false)) AS graded,
       CASE WHEN count(s.student_id) FILTER (WHERE NOT coalesce(s.excused, false)) > 0
            THEN count(s.student_id) FILTER (
                     WHERE NOT coalesce(s.excused, false)
                       AND (s.submitted_at IS NOT NULL
                            OR s.workflow_state IN ('submitted', 'graded', 'pending_review'))
                 ) / count(s.student_id) FILTER (WHERE NOT coalesce(s.excused, false))
       END AS submitted_share,
       avg(s.score) FILTER (WHERE NOT coalesce(s.excused, false)) AS mean_score,
       median(s.score) FILTER (WHERE NOT coalesce(s.excused, false)) AS median_score,
       quantile_cont(s.score, 0.25) FILTER (WHERE NOT coalesce(s.excused, false)) AS q1_score,
       quantile_cont(s.score, 0.75) FILTER (WHERE NOT coalesce(s.excused, false)) AS q3_score,
       min(s.score) FILTER (WHERE NOT coalesce(s.excused, false)) AS min_score,
       max(s.score) FILTER (WHERE NOT coalesce(s.excused, false)) AS max_score,
       count(*) FILTER (WHERE s.missing AND NOT coalesce(s.excused, false)) AS missing_count,
       count(*) FILTER (WHERE s.late AND NOT coalesce(s.excused, false)) AS late_count
FROM canvas.assignments AS a
LEFT JOIN canvas.submissions AS s USING (assignment_id)
WHERE $course_id IS NULL OR a.course_id = $course_id
GROUP BY ALL
ORDER BY a.course_id, a.position NULLS LAST, a.assignment_id
