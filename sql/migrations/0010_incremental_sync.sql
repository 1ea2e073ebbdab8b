-- Incremental syncs: which kind of sync each run was, and from when it asked Canvas for
-- changed submissions.
--
-- An incremental sync fetches only the submissions graded or submitted after a watermark
-- (the start of the latest successful sync, less a safety overlap) and keeps the rest from
-- layer 1; a full sync fetches everything. The next incremental's watermark is read from the
-- latest successful run, so a failed attempt never moves it. NULL mode on runs recorded
-- before this migration: they were all full syncs.
ALTER TABLE ops.sync_runs ADD COLUMN mode VARCHAR;            -- 'full' or 'incremental'
ALTER TABLE ops.sync_runs ADD COLUMN changes_since TIMESTAMPTZ; -- an incremental's watermark
