-- The section each (course, student) pair's grades were recorded in, so a past state knows
-- it for a pair Canvas no longer lists (tracker_db.past_state). A sync appends a row when a
-- student moves section, as for any other change of their enrollment. Rows recorded before
-- this migration have none (NULL: not known then).
ALTER TABLE history.grade_history ADD COLUMN section_id BIGINT;
