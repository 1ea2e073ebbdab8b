-- Exports, backups and restores (tracker_db.archive). {table} is one of
-- tracker_db.archive.EXPORTED_TABLES; {path} a quoted string literal (EXPORT and IMPORT
-- DATABASE take no parameters).

-- name: whole_table
-- One table of the state, whole, for an export.
SELECT * FROM {table}

-- name: export_database
-- The whole database: a schema.sql and a load.sql that rebuild it, and a Parquet file per
-- table.
EXPORT DATABASE {path} (FORMAT parquet)

-- name: backup_version
-- The schema version a backup was taken at, from its copy of the ledger. Parameter: $path.
SELECT max(version) FROM read_parquet($path)

-- name: stored_tables
-- The tables of the new database, to load from a backup.
SELECT table_schema || '.' || table_name AS name FROM information_schema.tables
WHERE table_catalog = current_database() AND table_type = 'BASE TABLE'

-- name: load_backup_table
-- One table's rows from its backup file, by column name. {table} is one of the new
-- database's own tables (stored_tables). Parameter: $path.
INSERT INTO {table} BY NAME SELECT * FROM read_parquet($path)

-- name: checkpoint
-- Write everything into the database file before it is moved into place.
CHECKPOINT
