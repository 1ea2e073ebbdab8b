-- Flags: the students the teachers' rules say need them, each with the reason in words.
-- Read models only: the rules and decisions are written by tracker_db.store.teacher_data.

-- name: flags
-- One row per flag a rule raises as of the latest successful sync: (course, student, rule),
-- the reason in words, the facts it stands on (a dismissal holds while they stay the same)
-- and the teacher's latest decision about it. Active enrollments only, in courses and of
-- students layer 0 does not hide.
-- Parameters: for each rule of tracker_db.read_models.flags.RULES, $<rule>_on BOOLEAN and
-- $<rule>_threshold DOUBLE; $drop_days INTEGER (the period of score_drop_days);
-- $course_ids BIGINT[], $curricula VARCHAR[] (courses of any of them) and $student_ids BIGINT[]
-- (empty: all); $precomputed BOOLEAN (read summary.flags instead of applying the rules);
-- $limit BIGINT: at most this many open and this many dismissed flags, the
-- first by student (NULL: all).
WITH as_of AS (
    -- "N days" counts back from the latest sync, so a flag means the same whenever it is read
    SELECT max(recorded_at) AS synced_at
    FROM history.sync_times
    WHERE sync_id = (SELECT max(sync_id) FROM ops.sync_runs WHERE status = 'succeeded')
),
course_pairs AS MATERIALIZED (
    SELECT * FROM summary.flag_pairs($course_ids::BIGINT[], $curricula::VARCHAR[])
),
medians AS (
    -- over the whole course, whichever students are asked about
    SELECT course_id, median(current_score) AS course_median
    FROM course_pairs
    WHERE $below_median_on
    GROUP BY course_id
),
shown AS MATERIALIZED (
    SELECT *
    FROM course_pairs
    WHERE len($student_ids::BIGINT[]) = 0
       -- a hash join on the ids (list_contains would scan the list once per pair)
       OR student_id IN (SELECT unnest($student_ids::BIGINT[]))
),
score_then AS (
    -- each pair's score as it stood $drop_days days before the latest sync
    SELECT h.course_id, h.student_id, arg_max_null(h.current_score, h.sync_id) AS score
    FROM history.grade_history AS h
    SEMI JOIN shown USING (course_id, student_id)
    WHERE $score_drop_days_on
      AND h.recorded_at <= (SELECT synced_at FROM as_of) - to_days($drop_days::INTEGER)
    GROUP BY h.course_id, h.student_id
),
raised AS (
    -- the flags derived at the latest sync under today's rules, when they are ($precomputed:
    -- every $<rule>_on is then false, so the rules below read nothing)
    SELECT f.course_id, f.student_id, f.rule, f.value, f.facts, f.reason
    FROM summary.flags AS f
    SEMI JOIN shown USING (course_id, student_id)
    WHERE $precomputed
    UNION ALL
    SELECT course_id, student_id, 'missing_work' AS rule, missing_count::DOUBLE AS value,
           missing_assignments AS facts,
           format('{} missing {} (the rule: {:.0f} or more)', missing_count,
                  CASE WHEN missing_count = 1 THEN 'submission' ELSE 'submissions' END,
                  $missing_work_threshold::DOUBLE) AS reason
    FROM shown
    WHERE $missing_work_on AND missing_count >= $missing_work_threshold::DOUBLE
    UNION ALL
    SELECT course_id, student_id, 'missing_streak', missing_streak, missing_assignments,
           format('the last {} {} due {} missing (the rule: {:.0f} in a row)', missing_streak,
                  CASE WHEN missing_streak = 1 THEN 'assignment' ELSE 'assignments' END,
                  CASE WHEN missing_streak = 1 THEN 'is' ELSE 'are' END,
                  $missing_streak_threshold::DOUBLE)
    FROM shown
    WHERE $missing_streak_on AND missing_streak >= $missing_streak_threshold::DOUBLE
    UNION ALL
    SELECT course_id, student_id, 'low_score', current_score,
           format('{:.1f}', current_score),
           format('current score {:.1f}%, below {:.0f}%', current_score,
                  $low_score_threshold::DOUBLE)
    FROM shown
    WHERE $low_score_on AND current_score < $low_score_threshold::DOUBLE
    UNION ALL
    SELECT s.course_id, s.student_id, 'below_median', s.current_score,
           format('{:.1f}', s.current_score),
           format('current score {:.1f}%, {:.1f} points below the course median of {:.1f}%',
                  s.current_score, m.course_median - s.current_score, m.course_median)
    FROM shown AS s
    JOIN medians AS m USING (course_id)
    WHERE $below_median_on
      AND s.current_score <= m.course_median - $below_median_threshold::DOUBLE
    UNION ALL
    SELECT course_id, student_id, 'score_drop', current_score - previous_score,
           format('{:.1f} to {:.1f}', previous_score, current_score),
           format('fell {:.1f} points since the previous sync ({:.1f}% to {:.1f}%)',
                  previous_score - current_score, previous_score, current_score)
    FROM shown
    WHERE $score_drop_on AND grade_changed
      AND previous_score - current_score >= $score_drop_threshold::DOUBLE
    UNION ALL
    SELECT s.course_id, s.student_id, 'score_drop_days', s.current_score - t.score,
           format('{:.1f}', s.current_score),
           format('fell {:.1f} points in the {} days before the latest sync ({:.1f}% to {:.1f}%)',
                  t.score - s.current_score, $drop_days::INTEGER, t.score, s.current_score)
    FROM shown AS s
    JOIN score_then AS t USING (course_id, student_id)
    WHERE t.score - s.current_score >= $score_drop_days_threshold::DOUBLE
    UNION ALL
    SELECT s.course_id, s.student_id, 'inactive',
           date_diff('day', s.last_activity_at, a.synced_at)::DOUBLE,
           coalesce(strftime(s.last_activity_at, '%Y-%m-%dT%H:%M:%S'), 'never'),
           CASE WHEN s.last_activity_at IS NULL THEN 'no activity in Canvas yet'
                ELSE format('no activity in Canvas for {} days before the latest sync '
                            '(the rule: {:.0f})',
                            date_diff('day', s.last_activity_at, a.synced_at),
                            $inactive_threshold::DOUBLE) END
    FROM shown AS s, as_of AS a
    WHERE $inactive_on
      AND (s.last_activity_at IS NULL
           OR s.last_activity_at <= a.synced_at - to_days($inactive_threshold::INTEGER))
    UNION ALL
    SELECT course_id, student_id, 'late_streak', late_streak, late_streak_assignments,
           format('the last {} {} handed in late (the rule: {:.0f} in a row)', late_streak,
                  CASE WHEN late_streak = 1 THEN 'piece of work was' ELSE 'were all' END,
                  $late_streak_threshold::DOUBLE)
    FROM shown
    WHERE $late_streak_on AND late_streak >= $late_streak_threshold::DOUBLE
),
latest_decision AS (
    SELECT * FROM meta.latest_flag_decisions SEMI JOIN raised USING (course_id, student_id, rule)
),
listed AS MATERIALIZED (
    SELECT r.course_id,
           coalesce(c.course_code, c.name, 'course ' || r.course_id) AS course_name,
           r.student_id, coalesce(st.name, 'student ' || r.student_id) AS student_name,
           r.rule, r.value, r.reason, r.facts,
           coalesce(d.action = 'dismiss' AND d.facts = r.facts, false) AS dismissed,
           CASE WHEN d.action = 'dismiss' AND d.facts = r.facts THEN d.note END
               AS dismissed_note,
           CASE WHEN d.action = 'dismiss' AND d.facts = r.facts THEN d.decided_at END
               AS dismissed_at,
           st.sort_key
    FROM raised AS r
    LEFT JOIN latest_decision AS d USING (course_id, student_id, rule)
    LEFT JOIN canvas.courses AS c USING (course_id)
    LEFT JOIN summary.students AS st USING (student_id)
),
totals AS (
    -- how many open (and dismissed) flags there are in all, for a list cut at $limit
    SELECT dismissed, count(*) AS listed_total FROM listed GROUP BY dismissed
),
cut AS (
    -- each part's first $limit by student: a top-N each, cheaper than ranking every flag
    (SELECT * FROM listed WHERE NOT dismissed
     ORDER BY sort_key, student_id, course_name, course_id, rule
     LIMIT coalesce($limit::BIGINT, 9223372036854775807))
    UNION ALL
    (SELECT * FROM listed WHERE dismissed
     ORDER BY sort_key, student_id, course_name, course_id, rule
     LIMIT coalesce($limit::BIGINT, 9223372036854775807))
)
SELECT cut.* EXCLUDE (sort_key), t.listed_total
FROM cut
JOIN totals AS t USING (dismissed)
ORDER BY cut.sort_key, cut.student_id, cut.course_name, cut.course_id, cut.rule

-- name: stored_rules
-- The rules a teacher has set (the latest row per rule; others keep their defaults).
SELECT rule, arg_max(enabled, updated_at) AS enabled, arg_max(threshold, updated_at) AS threshold,
       arg_max(days, updated_at) AS days
FROM meta.flag_rules
GROUP BY rule

-- name: decisions_of_student
-- Every decision about one student's flags, newest first. Parameter: the student id.
SELECT d.decided_at, d.course_id,
       coalesce(c.course_code, c.name, 'course ' || d.course_id) AS course_name,
       d.rule, d.action, d.note, d.facts
FROM meta.flag_decisions AS d
LEFT JOIN canvas.courses AS c USING (course_id)
WHERE d.student_id = ?
ORDER BY d.decided_at DESC

-- name: flag_state
-- What summary.flags was derived from, and the latest successful sync (no row: never).
SELECT sync_id, rules_key,
       (SELECT max(sync_id) FROM ops.sync_runs WHERE status = 'succeeded') AS latest_sync_id
FROM summary.flag_state

-- name: open_flag_students
-- The students with a flag not dismissed, from summary.flags (the caller checks that it is
-- current), of the pairs summary.flag_pairs gives for $course_ids and $curricula.
SELECT student_id FROM summary.open_flag_students($course_ids::BIGINT[], $curricula::VARCHAR[])

-- name: open_flags_of_students
-- The flags not dismissed of some students, from summary.flags (the caller checks that it is
-- current), of the pairs summary.flag_pairs gives for $course_ids and $curricula, with each
-- course's name as the flags list names it; $student_ids BIGINT[]. By student, then as listed.
SELECT f.student_id, f.rule,
       coalesce(c.course_code, c.name, 'course ' || f.course_id) AS course_name
FROM summary.open_flags($course_ids::BIGINT[], $curricula::VARCHAR[]) AS f
-- a hash join on the ids (list_contains would scan the list once per flag)
SEMI JOIN (SELECT unnest($student_ids::BIGINT[]) AS student_id) USING (student_id)
LEFT JOIN canvas.courses AS c USING (course_id)
ORDER BY f.student_id, course_name, f.course_id, f.rule
