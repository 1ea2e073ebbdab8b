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
