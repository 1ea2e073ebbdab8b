-- The students with a flag not dismissed, read from summary.flags (its readers check that it
-- is current), of the pairs summary.flag_pairs gives for course_ids and curricula. One
-- definition for the flags' read model and the Students table's "Flagged only", which reads
-- it inside its own query rather than passing a program's worth of ids back in.
CREATE OR REPLACE MACRO summary.open_flag_students(course_ids, curricula) AS TABLE
    SELECT DISTINCT f.student_id
    FROM summary.flags AS f
    SEMI JOIN summary.flag_pairs(course_ids, curricula) USING (course_id, student_id)
    LEFT JOIN meta.latest_flag_decisions AS d USING (course_id, student_id, rule)
    WHERE NOT coalesce(d.action = 'dismiss' AND d.facts = f.facts, false);
