"""A writer in a process of its own, for the tests of many processes on one database.

    python -m tests.lake_worker SIGNALS_DIR [--pause] [--big]

Opens the database the environment names (``TRACKER_LAKE`` / ``TRACKER_DB_PATH``) and writes
one sync of the sample data through the real write path. With ``--pause``, the first attempt
of its write transaction stops just before COMMIT: it creates ``SIGNALS_DIR/paused`` and waits
for ``SIGNALS_DIR/go`` (so a test can read meanwhile, let another writer commit first, or kill
it). It prints one JSON line: the sync id, the history rows appended, and how many times the
transaction ran. ``--big`` syncs 300,000 submissions instead, enough for DuckLake to write
data files before COMMIT.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from tests.sample_data import make_canvas_data
from tracker_db.db import set_default_database
from tracker_db.migrate import open_database
from tracker_db.sync import write as sync_write


def big_canvas_data(students: int = 300, assignments: int = 1000) -> dict[str, list[Any]]:
    """One course with ``students`` x ``assignments`` graded submissions."""
    course = {"id": 1, "name": "Big course", "workflow_state": "available"}
    enrollments = [
        {"id": 10_000 + s, "course_id": 1, "user_id": 20_000 + s, "type": "StudentEnrollment",
         "enrollment_state": "active", "grades": {"current_score": 80.0},
         "user": {"id": 20_000 + s, "name": f"Student {s}"}}
        for s in range(students)
    ]
    tasks = [{"id": 30_000 + a, "course_id": 1, "name": f"Task {a}", "points_possible": 10}
             for a in range(assignments)]
    submissions = [
        {"id": 1_000_000 + a * students + s, "assignment_id": 30_000 + a, "user_id": 20_000 + s,
         "workflow_state": "graded", "score": float((a + s) % 11)}
        for a in range(assignments) for s in range(students)
    ]
    return {"courses": [course], "enrollments": enrollments, "assignments": tasks,
            "submissions": submissions}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("signals", type=Path)
    parser.add_argument("--pause", action="store_true")
    parser.add_argument("--big", action="store_true")
    args = parser.parse_args()
    attempts = []
    real = sync_write._write_layers

    def paused(*a: Any, **k: Any) -> dict[str, Any]:
        result = real(*a, **k)
        attempts.append(result["sync_id"])
        if args.pause and len(attempts) == 1:
            (args.signals / "paused").write_text(str(result["sync_id"]))
            deadline = time.monotonic() + 120
            while not (args.signals / "go").exists() and time.monotonic() < deadline:
                time.sleep(0.05)
        return result

    sync_write._write_layers = paused  # type: ignore[assignment]
    database = open_database()
    set_default_database(database)
    data = big_canvas_data() if args.big else make_canvas_data()
    result = sync_write.full_canvas_sync(data, source="https://canvas.test")
    database.close()
    print(json.dumps({"sync_id": result.sync_id, "history_rows": result.history_rows,
                      "attempts": len(attempts)}), flush=True)


if __name__ == "__main__":
    main()
