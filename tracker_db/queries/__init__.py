"""Read-only queries that pages and reports use; each returns a polars DataFrame."""
