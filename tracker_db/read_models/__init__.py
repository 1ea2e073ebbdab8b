"""Read models: what the dashboard pages (and the CLI, and analysts) read, one module per
subject. Every function returns plain data (polars frames or frozen dataclasses) ready to
show, so a page only reads widgets, calls these, and renders. Nothing here writes.

| module | what it answers | pages |
|---|---|---|
| ``sync_status`` | where the database stands with syncs; past runs | sidebar, Sync |
| ``courses`` | each course as it stands now | Overview |
| ``flags`` | who the flag rules flag, and why; dismissed flags | Overview, Students, Student |
| ``roster`` | finding students: filters, the table, a name search | Students, Student |
| ``student_record`` | one student: courses, scores over time, work, notes | Student |
| ``trends`` | a course or curriculum over time; how scores spread | Progress |
| ``teacher_data`` | the teachers' own data beside the objects it describes | Metadata |
| ``removals`` | objects that left Canvas and what they still carry | Review removals |
| ``reporting`` | summaries and the stored layers, for analysts and scripts | (none) |

Default views show only active, non-archived objects (layer 0; objects without a row count
as active); functions that can show others take ``include_inactive``.
"""
