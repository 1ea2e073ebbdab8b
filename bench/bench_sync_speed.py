"""Sync speed against the network floor, in one run (issue 14's targets).

Usage: python bench/bench_sync_speed.py [--skip-program-scale] [--runs 3]
       [--canvasapi-python PYTHON]

Every figure comes from this run, against the fake Canvas in a process of its own (so it
does not share the client's interpreter lock), on loopback:

1. The fetch (``CanvasClient.fetch_all``) of 6 courses x 40 students x 20 assignments at
   20 ms and at 100 ms per request, against Canvas's default throttle bucket, compared with
   its floor: requests x latency / requests in flight.
2. ``canvas-tracker sync`` end to end, as a teacher runs it (a new process: imports,
   migrations, fetch, write), into a new file and again into that file, at both latencies;
   compared with 2x the floor + 0.5 s and 1.5x the floor + 0.3 s. The median of ``--runs``.
3. The same fetch by a sequential canvasapi script (``sequential_like_canvasapi.py``) on the
   same server at 20 ms, and how many times faster the command is. The project does not
   depend on canvasapi: the script emulates it, and with ``--canvasapi-python`` (an
   interpreter that has it, e.g. ``python3 -m venv /tmp/canvasapi && /tmp/canvasapi/bin/pip
   install canvasapi``) the real canvasapi runs too.
4. Migrations on a new file, in a fresh process (``open_database`` alone).
5. Whether the command imports pandas (``-X importtime``).
6. A tighter throttle bucket (room for 2 requests in flight where the client sends 4): the
   sync must not fail; the client's throttled answers and the lowest concurrency it chose.
7. Program scale (200 courses x 100 students x 50 assignments: 1,000,000 submissions) at zero
   latency: ``canvas-tracker sync`` into a new file, wall time and the command's peak memory.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tracker_db.canvas.client import DEFAULT_MAX_IN_FLIGHT, CanvasClient  # noqa: E402

TOKEN = "bench-token"
SMALL = ("--courses", "6", "--students", "40", "--assignments", "20")
CLI = [sys.executable, "-m", "tracker_db.cli"]


@contextmanager
def fake_canvas(*args: str) -> Iterator[str]:
    """Run the fake Canvas in its own process; yield its base URL."""
    server = subprocess.Popen(
        [sys.executable, "-m", "tracker_db.fake_canvas", "--token", TOKEN, "--json", *args],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT,
    )
    try:
        assert server.stdout is not None
        yield json.loads(server.stdout.readline())["base_url"]
    finally:
        server.terminate()
        server.wait(timeout=30)


def run_command(args: list[str], base_url: str) -> tuple[float, float]:
    """Run a command to its end; return (wall seconds, its peak memory in MB).

    Raises:
        SystemExit: The command failed (its stderr is shown).
    """
    env = {**os.environ, "CANVAS_TOKEN": TOKEN, "CANVAS_BASE_URL": base_url}
    started = time.perf_counter()
    process = subprocess.Popen(args, env=env, cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    _pid, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    assert process.stdout is not None and process.stderr is not None
    stdout, stderr = process.stdout.read(), process.stderr.read()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{stderr[-2000:]}{stdout[-500:]}")
    return wall, usage.ru_maxrss / 1024


def fetch_figures(base_url: str, latency: float, runs: int) -> float:
    """Fetch ``runs`` times in this process; print the median's figures, return the floor."""
    with CanvasClient(base_url, TOKEN) as client:
        client.fetch_all()  # warm: imports and connections, so the figure is the fetch's
        times = []
        client.requests_made = client.throttled = 0
        for _ in range(runs):
            started = time.perf_counter()
            client.fetch_all()
            times.append(time.perf_counter() - started)
        made, throttled = client.requests_made // runs, client.throttled
    elapsed = statistics.median(times)
    floor = made * latency / DEFAULT_MAX_IN_FLIGHT
    verdict = "OK" if elapsed <= 1.3 * floor else "MISSED"
    print(f"  fetch: {elapsed:.3f} s (runs {_list(times)}) for {made} requests, floor "
          f"{floor:.3f} s: {elapsed / floor:.2f}x the floor (target 1.3x: {verdict}); "
          f"throttled answers {throttled}")
    return floor


def command_figures(base_url: str, floor: float, runs: int) -> float:
    """``canvas-tracker sync`` into new files and again into one; returns the new-file median."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = [
            run_command([*CLI, "--db", str(Path(tmp) / f"new{i}.duckdb"), "sync"], base_url)[0]
            for i in range(runs)
        ]
        again = [
            run_command([*CLI, "--db", str(Path(tmp) / "new0.duckdb"), "sync"], base_url)[0]
            for _ in range(runs)
        ]
    new, repeat = statistics.median(fresh), statistics.median(again)
    new_target, repeat_target = 2 * floor + 0.5, 1.5 * floor + 0.3
    print(f"  canvas-tracker sync, new file: {new:.2f} s (runs {_list(fresh)}); target "
          f"{new_target:.2f} s: {'OK' if new <= new_target else 'MISSED'}")
    print(f"  canvas-tracker sync, existing file: {repeat:.2f} s (runs {_list(again)}); "
          f"target {repeat_target:.2f} s: {'OK' if repeat <= repeat_target else 'MISSED'}")
    return new


def _list(values: list[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


def migrations_figure() -> None:
    """``open_database`` on a new file, in a fresh process (imports not counted)."""
    code = (
        "import sys, time; from tracker_db import cli; cli._keep_out('sync')\n"
        "from tracker_db.migrate import open_database\n"
        "t = time.perf_counter(); db = open_database(sys.argv[1]); "
        "print(time.perf_counter() - t); db.close()"
    )
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run([sys.executable, "-c", code, str(Path(tmp) / "m.duckdb")],
                             cwd=ROOT, check=True, capture_output=True, text=True).stdout
    seconds = float(out.strip())
    print(f"migrations on a new file: {seconds:.3f} s (target 0.15 s: "
          f"{'OK' if seconds < 0.15 else 'MISSED'})")


# The console script ends with os._exit: this says what it loaded as it exits.
_AS_THE_CONSOLE_SCRIPT = """
import os, sys
exit_now = os._exit

def say_what_was_loaded_and_exit(status):
    loaded = {m.split(".")[0] for m, module in sys.modules.items() if module is not None}
    print("LOADED", *sorted(loaded), file=sys.stderr)
    sys.stderr.flush()
    exit_now(status)

os._exit = say_what_was_loaded_and_exit
from tracker_db import cli
cli.run()
"""


def pandas_figure(base_url: str) -> None:
    """Whether ``canvas-tracker sync`` loads pandas, and what its imports cost (``-X
    importtime``, cumulative). The command keeps pyarrow out of a sync as it keeps pandas
    out."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "CANVAS_TOKEN": TOKEN, "CANVAS_BASE_URL": base_url}
        stderr = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", _AS_THE_CONSOLE_SCRIPT, "--db",
             str(Path(tmp) / "i.duckdb"), "sync"],
            env=env, cwd=ROOT, check=True, capture_output=True, text=True,
        ).stderr
    cumulative: dict[str, int] = {}
    for line in stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            _self, total, name = line[len("import time:"):].split("|")
            if name.strip() in ("numpy", "polars", "duckdb", "requests", "tracker_db.cli"):
                cumulative[name.strip()] = int(total)
    loaded = stderr.rsplit("LOADED", 1)[1].split()
    print(f"pandas on the sync path: {'LOADED' if 'pandas' in loaded else 'not loaded'} "
          f"(pyarrow {'loaded' if 'pyarrow' in loaded else 'not loaded'}); imports: "
          + ", ".join(f"{name} {us / 1000:.0f} ms" for name, us in sorted(cumulative.items())))


def tight_bucket_figure() -> None:
    """A bucket with room for 2 requests in flight, where the client sends 4."""
    with fake_canvas(*SMALL, "--latency", "0.02", "--high-water", "150") as base_url:
        with CanvasClient(base_url, TOKEN) as client:
            started = time.perf_counter()
            data = client.fetch_all()
            elapsed = time.perf_counter() - started
        print(f"tighter bucket (high water 150: 2 in flight fit): the fetch succeeded with "
              f"{data['submissions'].height:,} submissions in {elapsed:.2f} s; "
              f"{client.throttled} throttled answers, settled at "
              f"{client.lowest_in_flight} in flight, {client.requests_made} requests")


def program_scale_figure() -> None:
    """1,000,000 submissions at zero latency, ``canvas-tracker sync`` into a new file."""
    with fake_canvas("--courses", "200", "--students", "100", "--assignments", "50",
                     "--throttle", "off") as base_url, tempfile.TemporaryDirectory() as tmp:
        wall, peak = run_command([*CLI, "--db", str(Path(tmp) / "p.duckdb"), "sync"],
                                 base_url)
    print(f"program scale (1,000,000 submissions, zero latency): canvas-tracker sync "
          f"{wall:.1f} s (target 20 s: {'OK' if wall < 20 else 'MISSED'}), peak memory "
          f"{peak:,.0f} MB (target 700 MB: {'OK' if peak < 700 else 'MISSED'})")


def sequential_figure(python: str, base_url: str, command_seconds: float) -> None:
    """The sequential script under ``python`` (the real canvasapi where it has it)."""
    out = subprocess.run(
        [python, "-W", "ignore", str(ROOT / "bench" / "sequential_like_canvasapi.py"),
         base_url, TOKEN], check=True, capture_output=True, text=True,
    ).stdout
    sequential = json.loads(out)
    made = f"{sequential['requests']} requests" if sequential["requests"] >= 0 else (
        f"{sequential['objects']:,} objects")
    print(f"  {sequential['kind']}: {sequential['seconds']:.2f} s, {made}; canvas-tracker "
          f"sync into a new file is {sequential['seconds'] / command_seconds:.1f}x faster")


def main() -> None:
    """Run every part and print its figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-program-scale", action="store_true")
    parser.add_argument("--runs", type=int, default=3, help="command runs per figure")
    parser.add_argument("--canvasapi-python", help="a Python with canvasapi installed")
    args = parser.parse_args()
    for latency in (0.020, 0.100):
        with fake_canvas(*SMALL, "--latency", str(latency)) as base_url:
            print(f"{latency * 1000:.0f} ms per request, {DEFAULT_MAX_IN_FLIGHT} in flight, "
                  "Canvas's default bucket:")
            floor = fetch_figures(base_url, latency, args.runs)
            new = command_figures(base_url, floor, args.runs)
            if latency == 0.020:
                for python in (sys.executable, args.canvasapi_python):
                    if python is not None:
                        sequential_figure(python, base_url, new)
                pandas_figure(base_url)
    migrations_figure()
    tight_bucket_figure()
    if not args.skip_program_scale:
        program_scale_figure()
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"(this script's own peak memory: {own:,.0f} MB)")


if __name__ == "__main__":
    main()
