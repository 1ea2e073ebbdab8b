"""Benchmark the Canvas client against the fake Canvas (issue 3 targets).

Usage: python bench/bench_client.py [--skip-program-scale]

1. Latency: 6 courses x 40 students x 20 assignments with 20 ms per request, synced with one
   request in flight and with the default; compared with the floor
   (requests x latency / requests in flight), against a Canvas-default throttle bucket.
2. Program scale: 200 courses x 100 students x 50 assignments (1,000,000 submissions) at zero
   latency. The fake runs in its own process so this process's peak memory is the client's
   and the store's alone.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tracker_db.canvas.client import DEFAULT_MAX_IN_FLIGHT, CanvasClient
from tracker_db.migrate import open_database
from tracker_db.sync.write import full_canvas_sync

TOKEN = "bench-token"
LATENCY = 0.020


def start_fake(*args: str) -> tuple[subprocess.Popen[str], str]:
    """Start the fake Canvas in its own process (as a real Canvas is elsewhere, it must not
    share this process's interpreter lock); return it and its base URL."""
    server = subprocess.Popen(
        [sys.executable, "-m", "tracker_db.fake_canvas", "--token", TOKEN, "--json", *args],
        stdout=subprocess.PIPE, text=True,
    )
    return server, json.loads(server.stdout.readline())["base_url"]


def bench_latency() -> None:
    """Concurrency 1 versus the default, with 20 ms per request, Canvas-default bucket."""
    server, base_url = start_fake(
        "--courses", "6", "--students", "40", "--assignments", "20",
        "--latency", str(LATENCY), "--throttle", "403",
    )
    try:
        timings = {}
        for in_flight in (1, DEFAULT_MAX_IN_FLIGHT):
            with CanvasClient(base_url, TOKEN, max_in_flight=in_flight) as client:
                started = time.perf_counter()
                data = client.fetch_all()
                elapsed = time.perf_counter() - started
                requests_made, throttled = client.requests_made, client.throttled
            floor = requests_made * LATENCY / in_flight
            timings[in_flight] = elapsed
            print(
                f"in flight {in_flight}: {elapsed:6.3f} s for {requests_made} requests "
                f"({data['submissions'].height:,} submissions); floor {floor:.3f} s, "
                f"{elapsed / floor:.2f}x the floor; throttled responses {throttled}"
            )
        speedup = timings[1] / timings[DEFAULT_MAX_IN_FLIGHT]
        print(f"default ({DEFAULT_MAX_IN_FLIGHT} in flight) is {speedup:.2f}x faster than 1")
    finally:
        server.terminate()
        server.wait(timeout=30)


def bench_program_scale(courses: int, students: int, assignments: int) -> None:
    """A program-scale sync at zero latency; wall time, CPU and peak memory of this process."""
    server, base_url = start_fake(
        "--courses", str(courses), "--students", str(students),
        "--assignments", str(assignments),
    )
    try:
        with tempfile.TemporaryDirectory() as tmp:
            manager = open_database(Path(tmp) / "bench.duckdb")
            cpu0 = time.process_time()
            started = time.perf_counter()
            with CanvasClient(base_url, TOKEN) as client:
                data = client.fetch_all()
                fetched = time.perf_counter()
                objects = sum(frame.height for frame in data.values())
                requests_made = client.requests_made
            fetch_cpu = time.process_time() - cpu0
            with manager.session() as cur:
                result = full_canvas_sync(data, source=base_url, cur=cur)
            total = time.perf_counter() - started
            manager.close()
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"program scale: {objects:,} objects in {requests_made:,} requests; fetch "
            f"{fetched - started:.1f} s, write {result.duration_seconds:.1f} s, total "
            f"{total:.1f} s; client CPU {fetch_cpu:.1f} s = "
            f"{1000 * fetch_cpu / objects:.4f} ms per object; peak memory {peak_mb:,.0f} MB"
        )
        print(f"  {result.summary()}")
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    """Run the benchmarks and print their figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-program-scale", action="store_true")
    parser.add_argument("--courses", type=int, default=200)
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--assignments", type=int, default=50)
    args = parser.parse_args()
    bench_latency()
    if not args.skip_program_scale:
        bench_program_scale(args.courses, args.students, args.assignments)


if __name__ == "__main__":
    main()
