-- A trace of syncs that never finished, and which attempt each run record belongs to.
--
-- A sync attempt inserts its row here (in a small transaction of its own) before it fetches,
-- and the transaction that records its outcome deletes it: the sync's own transaction when it
-- succeeds, the failed run's record when it fails, a cleanup when it is interrupted. So a row
-- left behind means the process died before it could record anything (SIGKILL, a power cut):
-- `canvas-tracker status` and the Sync page show it, and the next successful sync clears it
-- once its process is known to be gone. Like the other tables, no keys.
CREATE TABLE ops.sync_attempts (
    attempt_id VARCHAR NOT NULL,       -- a uuid4, also stamped on the attempt's run record
    started_at TIMESTAMPTZ NOT NULL,
    kind VARCHAR,                      -- 'canvas' or 'demo'
    trigger VARCHAR,                   -- 'button', 'schedule', 'command line' ...
    pid INTEGER,                       -- the process that runs it ...
    host VARCHAR                       -- ... and its machine
);

-- The attempt a run record belongs to (NULL on runs recorded before this migration): after
-- an interrupt the command asks whether its own attempt committed, and a failure is never
-- recorded for an attempt that did.
ALTER TABLE ops.sync_runs ADD COLUMN attempt_id VARCHAR;
