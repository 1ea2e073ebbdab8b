"""What the flag tests define their expectations from, read once for all of them: every
submission with its assignment's due date and whether it was handed in (an independent
definition: a submission time, or a state only a submission reaches)."""

SUBMITTED_WORK_SQL = """
    SELECT s.course_id, s.student_id, s.assignment_id, a.due_at,
           coalesce(s.missing, false) AS missing, coalesce(s.late, false) AS late,
           coalesce(s.excused, false) AS excused,
           s.submitted_at IS NOT NULL
               OR s.workflow_state IN ('submitted', 'graded', 'pending_review') AS handed_in
    FROM canvas.submissions AS s JOIN canvas.assignments AS a USING (assignment_id)
"""
