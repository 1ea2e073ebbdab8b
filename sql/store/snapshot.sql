-- Layer 1 (canvas schema): the statements only tracker_db.store.snapshot runs.
-- {table} is one of tracker_db.store.snapshot.CANVAS_TABLES, {columns} its layer-1 columns
-- (tracker_db.canvas.shaping.TABLE_COLUMNS) and {key} the first of them, the table's id,
-- unique in every shaped frame. The sync's frame is staged as incoming_rows.

-- name: delete_rows_that_differ
-- The rows Canvas no longer sends as they are: changed (deleted here, added again by
-- insert_rows_that_differ) or gone. EXCEPT compares whole rows, nulls equal to nulls.
DELETE FROM {table}
WHERE {key} IN (
    SELECT {key}
    FROM (SELECT {columns} FROM {table} EXCEPT SELECT {columns} FROM incoming_rows)
)

-- name: insert_rows_that_differ
-- After delete_rows_that_differ, every row of the frame that the table does not hold as it
-- is: new or changed.
INSERT INTO {table} BY NAME
SELECT {columns} FROM incoming_rows
EXCEPT
SELECT {columns} FROM {table}

-- name: delete_all_rows
-- Canvas sent none.
DELETE FROM {table}
