"""Benchmark full_canvas_sync at program scale (issue 2 targets).

Usage: python bench/bench_sync.py [--courses 200 --students 100 --assignments 50]

Prints, for a fresh database: the first sync (end to end, shaping, write transaction), an
identical repeat (0 history rows expected), a sync with 1% of scores changed (exactly those
rows expected), and the write after 10 syncs of history are stored.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import build_canvas_api_data, change_scores

from tracker_db.migrate import open_database
from tracker_db.sync.write import full_canvas_sync


def line(label: str, result, expected_rows: int | None = None) -> None:
    check = ""
    if expected_rows is not None:
        ok = result.assignment_score_rows == expected_rows
        check = f"  (expected {expected_rows}: {'OK' if ok else 'MISMATCH'})"
    print(
        f"{label:<34} total {result.duration_seconds:6.2f} s | shape {result.shape_seconds:5.2f} s"
        f" | write {result.write_seconds:5.2f} s | history rows {result.history_rows:>9,}{check}"
    )


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--courses", type=int, default=200)
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--assignments", type=int, default=50)
    args = parser.parse_args()

    t = time.perf_counter()
    data = build_canvas_api_data(args.courses, args.students, args.assignments)
    print(
        f"built {len(data['submissions']):,} submissions, {len(data['enrollments']):,} "
        f"enrollments in {time.perf_counter() - t:.1f} s (not part of the sync)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        manager = open_database(Path(tmp) / "bench.duckdb")
        with manager.session() as cur:
            line("first sync", full_canvas_sync(data, cur=cur))
            line("identical repeat", full_canvas_sync(data, cur=cur), expected_rows=0)
            changed = change_scores(data, 0.01, seed=2)
            line("1% of scores changed", full_canvas_sync(data, cur=cur), expected_rows=changed)
            for i in range(7):
                change_scores(data, 0.01, seed=10 + i)
                full_canvas_sync(data, cur=cur)
            (syncs,) = cur.execute("SELECT count(*) FROM ops.sync_runs").fetchone()
            (rows,) = cur.execute("SELECT count(*) FROM history.assignment_scores").fetchone()
            changed = change_scores(data, 0.01, seed=99)
            result = full_canvas_sync(data, cur=cur)
            line(f"after {syncs} syncs ({rows:,} hist rows)", result, expected_rows=changed)
        manager.close()


if __name__ == "__main__":
    main()
