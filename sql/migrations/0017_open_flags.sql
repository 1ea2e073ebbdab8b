-- The open derived flags, read without a join against every pair. summary.flags is derived
-- from summary.flag_pairs (listed, active pairs layer 0 does not hide) in the transaction that
-- writes summary.course_students, and a permanent delete removes a pair's flags with it; so
-- between derivations a derived flag can only leave those pairs by a hide. Anti joins against
-- the few hidden students and courses then give the same flags as the join, at a third of its
-- cost for a program (a test holds the two equal after hides). The course and curriculum
-- filters are summary.flag_pairs' own; its readers check that summary.flags is current.
CREATE OR REPLACE MACRO summary.open_flags(course_ids, curricula) AS TABLE
    SELECT f.course_id, f.student_id, f.rule
    FROM summary.flags AS f
    ANTI JOIN lifecycle.hidden_students USING (student_id)
    ANTI JOIN lifecycle.hidden_courses USING (course_id)
    LEFT JOIN meta.latest_flag_decisions AS d USING (course_id, student_id, rule)
    WHERE (len(course_ids) = 0 OR list_contains(course_ids, f.course_id))
      AND (len(curricula) = 0 OR f.course_id IN (
               SELECT course_id FROM meta.curriculum_courses
               WHERE list_contains(curricula, curriculum_id)))
      AND NOT coalesce(d.action = 'dismiss' AND d.facts = f.facts, false);

CREATE OR REPLACE MACRO summary.open_flag_students(course_ids, curricula) AS TABLE
    SELECT DISTINCT student_id FROM summary.open_flags(course_ids, curricula);
