"""Benchmark an incremental sync against a full one (issue 12 targets).

Usage: python bench/bench_incremental.py [--courses 5 --students 150 --assignments 40
                                          --latency 0.1 --changed 0.01]

The fake Canvas answers every request after ``--latency`` seconds (100 ms by default, a
far-away Canvas). After a first full sync, ``--changed`` of the scores are regraded; the
same change is then synced twice, once incrementally into one database and once fully into
a copy, and the two are printed side by side: requests, wall time, history rows. The layers
the two leave behind are compared too, since a fast incremental that stores something else
is worthless. Target: at least 5x fewer requests and 4x less time.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tracker_db.fake_canvas.generators import build_synthetic_dataset
from tracker_db.fake_canvas.server import FakeCanvas
from tracker_db.migrate import open_database
from tracker_db.sync.from_canvas import sync_from_canvas
from tracker_db.sync.write import SyncResult

TOKEN = "bench-token"


def _sync(fake: FakeCanvas, path: Path, *, incremental: bool) -> tuple[SyncResult, int, float]:
    """Sync ``path`` from the fake; return the result, requests made and wall seconds."""
    db = open_database(path)
    try:
        fake.reset_log()
        started = time.perf_counter()
        with db.session() as cur:
            result = sync_from_canvas(fake.base_url, TOKEN, cur=cur, incremental=incremental)
        return result, fake.request_count(), time.perf_counter() - started
    finally:
        db.close()


def _layers(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Layers 1 and 2 by value (history rows without their sync's id and time)."""
    db = open_database(path)
    try:
        with db.session() as cur:
            tables = {}
            for schema in ("canvas", "history"):
                names = cur.execute(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = ?",
                    [schema],
                ).fetchall()
                for (name,) in names:
                    frame = cur.execute(f"SELECT * FROM {schema}.{name}").pl()
                    stamps = [c for c in ("sync_id", "recorded_at") if c in frame.columns]
                    frame = frame.drop(stamps)
                    tables[f"{schema}.{name}"] = sorted(frame.rows(), key=repr)
            return tables
    finally:
        db.close()


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--courses", type=int, default=5)
    parser.add_argument("--students", type=int, default=150)
    parser.add_argument("--assignments", type=int, default=40)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--changed", type=float, default=0.01)
    args = parser.parse_args()

    dataset = build_synthetic_dataset(args.courses, args.students, args.assignments)
    with tempfile.TemporaryDirectory() as tmp, FakeCanvas(
        dataset, token=TOKEN, latency=args.latency
    ) as fake:
        incremental_db, full_db = Path(tmp) / "incremental.duckdb", Path(tmp) / "full.duckdb"
        first, first_requests, first_seconds = _sync(fake, incremental_db, incremental=False)
        print(f"first full sync: {first_requests} requests, {first_seconds:.2f} s; "
              f"{first.summary()}")
        shutil.copy(incremental_db, full_db)
        # The watermark is the last sync's start less an overlap; regrade after it.
        time.sleep(1.1)
        changed = dataset.change_scores(args.changed, seed=2)
        print(f"regraded {changed} of {args.courses * args.students * args.assignments:,} "
              f"scores ({args.changed:.0%}), latency {1000 * args.latency:.0f} ms per request")

        inc, inc_requests, inc_seconds = _sync(fake, incremental_db, incremental=True)
        full, full_requests, full_seconds = _sync(fake, full_db, incremental=False)
        print(f"{'':<12}{'requests':>10}{'wall s':>10}{'history rows':>14}")
        for label, result, requests, seconds in (
            ("incremental", inc, inc_requests, inc_seconds),
            ("full", full, full_requests, full_seconds),
        ):
            print(f"{label:<12}{requests:>10}{seconds:>10.2f}{result.history_rows:>14,}")
        print(f"incremental: {full_requests / inc_requests:.1f}x fewer requests "
              f"(target 5x), {full_seconds / inc_seconds:.1f}x less time (target 4x)")
        same = _layers(incremental_db) == _layers(full_db)
        print(f"layers 1 and 2 after each: {'identical' if same else 'DIFFERENT'}")
        print(f"  {inc.summary()}")


if __name__ == "__main__":
    main()
