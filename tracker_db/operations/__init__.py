"""Writes and reads grouped by layer: canvas (1), history (2), metadata (3), and the sync."""
