"""Benchmark the two backends side by side: a DuckDB file and DuckLake on PostgreSQL.

Usage: python bench/bench_backends.py [--program bench/out/program.duckdb] [--skip-write]
       [--skip-pages] [--repeat 5]

Starts a throwaway PostgreSQL (Debian's package, loopback only) for the lake, then prints:

1. The write transaction of a 1,000,000-submission sync (200 courses x 100 students x 50
   assignments): a first sync, an identical repeat and 1% of scores changed, on each backend,
   with the lake's time as a multiple of the file's (target: within 1.5x).
2. Every page query at program scale (2,000 courses, 100,000 students, 12.7 M history rows;
   the file ``bench/build_program_db.py`` builds, copied whole into a lake): the median of
   ``--repeat`` warm calls on each backend (target on the lake: under 150 ms).
3. A page's queries while a 1M-submission sync shapes and commits, against the same
   queries idle: the dashboard must never wait for a sync. On the file the sync runs in the
   dashboard's own process (its runner thread, another cursor); on the lake in a connection
   of its own, as another process's would. The sync's input is raw frames, as the Canvas
   client delivers them (a million Python dicts would hold the GIL while they are read).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_pages import page_queries, program_database  # noqa: E402
from synthetic import build_canvas_api_data, change_scores  # noqa: E402

from tests.postgres import ThrowawayPostgres  # noqa: E402
from tracker_db.canvas.shaping import raw_frame  # noqa: E402
from tracker_db.config import Settings  # noqa: E402
from tracker_db.db import Database, set_default_database  # noqa: E402
from tracker_db.migrate import open_database  # noqa: E402
from tracker_db.read_models import courses, roster  # noqa: E402
from tracker_db.sync.write import full_canvas_sync  # noqa: E402


def lake_settings(server: ThrowawayPostgres, folder: Path, name: str) -> Settings:
    database = server.new_database(name)
    return Settings(db_path="", lake=server.attach_string(database),
                    lake_data=str(folder / f"{name}-data") + "/")


def bench_write(server: ThrowawayPostgres, folder: Path) -> None:
    print("\n1. write transaction, 1,000,000 submissions (seconds)")
    print(f"  {'sync':<22} {'file':>8} {'lake':>8} {'lake/file':>10}")
    backends = {"file": Settings(db_path=str(folder / "write.duckdb")),
                "lake": lake_settings(server, folder, "write")}
    figures: dict[str, list[float]] = {}
    for name, settings in backends.items():
        data = build_canvas_api_data(200, 100, 50)  # the same data, moved the same way
        database = open_database(settings)
        with database.session() as cur:
            times = [full_canvas_sync(data, cur=cur).write_seconds,
                     full_canvas_sync(data, cur=cur).write_seconds]
            change_scores(data, 0.01, seed=2)
            times.append(full_canvas_sync(data, cur=cur).write_seconds)
        database.close()
        figures[name] = times
    for index, label in enumerate(("first sync", "identical repeat", "1% changed")):
        file_s, lake_s = figures["file"][index], figures["lake"][index]
        flag = "" if lake_s <= 1.5 * file_s else "  OVER 1.5x"
        print(f"  {label:<22} {file_s:8.2f} {lake_s:8.2f} {lake_s / file_s:9.2f}x{flag}")


def copy_into_lake(source: Path, target: Settings) -> float:
    started = time.perf_counter()
    open_database(source).close()  # brings the file to the newest migration first
    empty = Database(target)
    cur = empty.cursor()
    cur.execute(f"ATTACH '{source}' AS program (READ_ONLY)")
    cur.execute("COPY FROM DATABASE program TO lake")
    cur.execute("DETACH program")
    cur.close()
    empty.close()
    return time.perf_counter() - started


def _median_ms(function: Callable[[], Any], repeat: int) -> float:
    function()  # warm: the columns are loaded once per process
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def bench_pages(server: ThrowawayPostgres, folder: Path, program: Path, repeat: int) -> None:
    path, scope = program_database(program)
    lake = lake_settings(server, folder, "program")
    print(f"\ncopying {path.name} into a lake ... ", end="", flush=True)
    print(f"{copy_into_lake(path, lake):.1f} s")
    results: dict[str, dict[tuple[str, str], float]] = {}
    for name, settings in (("file", Settings(db_path=str(path))), ("lake", lake)):
        database = open_database(settings)
        set_default_database(database)
        results[name] = {
            (page, query): _median_ms(function, repeat)
            for page, queries in page_queries(scope).items() for query, function in queries
        }
        set_default_database(None)
        database.close()
    print(f"\n2. page queries at program scale (median ms of {repeat}; lake target 150 ms)")
    print(f"  {'page':<11} {'query':<40} {'file':>8} {'lake':>8}")
    for key, file_ms in results["file"].items():
        lake_ms = results["lake"][key]
        flag = "" if lake_ms < 150 else "  OVER"
        print(f"  {key[0]:<11} {key[1]:<40} {file_ms:8.1f} {lake_ms:8.1f}{flag}")
    print(f"  slowest: file {max(results['file'].values()):.1f} ms, "
          f"lake {max(results['lake'].values()):.1f} ms")


def _page(cur: Any) -> None:
    """What the Overview and Students pages read."""
    courses.get_course_overview(cur=cur)
    roster.get_students_table(cur=cur)


def _during(dashboard: Database, writer: Database, data: dict[str, Any]) -> tuple[
    list[float], float
]:
    """Run ``_page`` on the dashboard in a loop while ``writer`` syncs ``data``."""
    done = threading.Event()
    written: list[float] = []

    def sync() -> None:
        with writer.session() as c:
            written.append(full_canvas_sync(data, cur=c).write_seconds)
        done.set()

    during: list[float] = []
    with dashboard.session() as cur:
        thread = threading.Thread(target=sync)
        thread.start()
        while not done.is_set():
            started = time.perf_counter()
            _page(cur)
            during.append((time.perf_counter() - started) * 1000)
        thread.join()
    return during, written[0]


def bench_page_during_sync(server: ThrowawayPostgres, folder: Path) -> None:
    print("\n3. a page's queries while a 1M-submission sync shapes and commits (ms)")
    print(f"  {'backend':<8} {'idle median':>12} {'during: median':>15} {'slowest':>9} "
          f"{'runs during':>12} {'sync write s':>13}")
    for name, settings in (("file", Settings(db_path=str(folder / "during.duckdb"))),
                           ("lake", lake_settings(server, folder, "during"))):
        data = build_canvas_api_data(200, 100, 50)
        dashboard = open_database(settings)
        with dashboard.session() as cur:
            full_canvas_sync(data, cur=cur)
            idle = _median_ms(lambda c=cur: _page(c), 5)
        change_scores(data, 0.01, seed=5)
        # As the Canvas client delivers them: raw frames, not a million Python dicts.
        frames = {resource: raw_frame(resource, rows) for resource, rows in data.items()}
        # The sync: the dashboard's own runner thread on a file; elsewhere on a lake.
        writer = dashboard if name == "file" else open_database(settings)
        during, write_seconds = _during(dashboard, writer, frames)
        if writer is not dashboard:
            writer.close()
        dashboard.close()
        print(f"  {name:<8} {idle:12.1f} {statistics.median(during):15.1f} "
              f"{max(during):9.1f} {len(during):12d} {write_seconds:13.2f}")


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--program", type=Path, default=ROOT / "bench" / "out" / "program.duckdb")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--skip-write", action="store_true")
    parser.add_argument("--skip-pages", action="store_true")
    args = parser.parse_args()
    import os

    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    with ThrowawayPostgres() as server, tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if not args.skip_write:
            bench_write(server, folder)
            bench_page_during_sync(server, folder)
        if not args.skip_pages:
            bench_pages(server, folder, args.program, args.repeat)


if __name__ == "__main__":
    main()
