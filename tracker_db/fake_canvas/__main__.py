"""Run a fake Canvas from the command line until Ctrl-C.

python -m tracker_db.fake_canvas                      # the demo dataset
python -m tracker_db.fake_canvas --courses 6 --students 40 --assignments 15
python -m tracker_db.fake_canvas --port 8765 --latency 0.05 --throttle 429 --json
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from collections.abc import Sequence
from datetime import UTC, datetime

from tracker_db.fake_canvas.generators import build_demo_dataset, build_synthetic_dataset
from tracker_db.fake_canvas.server import FakeCanvas, ThrottleConfig


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tracker_db.fake_canvas",
        description="Serve a fake Canvas LMS on 127.0.0.1 until interrupted.",
    )
    parser.add_argument("--port", type=int, default=0, help="port (0: a free one)")
    parser.add_argument("--token", default="demo-token", help="accepted bearer token")
    parser.add_argument(
        "--dataset",
        choices=("demo", "synthetic"),
        help="demo (default) or synthetic (default when --courses is given)",
    )
    parser.add_argument("--courses", type=int, help="synthetic: number of courses")
    parser.add_argument("--students", type=int, default=100, help="synthetic: per course")
    parser.add_argument("--assignments", type=int, default=50, help="synthetic: per course")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--live-dates",
        action="store_true",
        help="place due dates around the real current time instead of a fixed date",
    )
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per request")
    parser.add_argument("--throttle", choices=("off", "403", "429"), default="403")
    parser.add_argument(
        "--high-water", type=float, default=ThrottleConfig.high_water,
        help="throttle bucket: the level at which requests are refused (Canvas: 600)",
    )
    parser.add_argument(
        "--request-cost", type=float, default=None,
        help="throttle bucket: units each request costs when it ends (default: its own "
             "service seconds, as Canvas charges CPU and database time)",
    )
    parser.add_argument("--per-page-cap", type=int, default=100)
    parser.add_argument("--link-header", choices=("Link", "link", "random"), default="Link")
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Build a dataset, serve it and block until Ctrl-C.

    Args:
        argv: Arguments (``sys.argv[1:]`` when None).

    Returns:
        The process exit status.
    """
    args = _parser().parse_args(argv)
    now = datetime.now(UTC) if args.live_dates else None
    kind = args.dataset or ("synthetic" if args.courses else "demo")
    if kind == "synthetic":
        dataset = build_synthetic_dataset(
            courses=args.courses or 200,
            students_per_course=args.students,
            assignments_per_course=args.assignments,
            seed=args.seed,
            now=now,
        )
    else:
        dataset = build_demo_dataset(seed=args.seed, now=now)
    fake = FakeCanvas(
        dataset,
        token=args.token,
        latency=args.latency,
        per_page_cap=args.per_page_cap,
        throttle=args.throttle,
        bucket=ThrottleConfig(high_water=args.high_water, request_cost=args.request_cost),
        link_header=args.link_header,
        port=args.port,
    )
    fake.start()
    counts = dataset.expected_counts()
    if args.json:
        print(json.dumps({"base_url": fake.base_url, "token": fake.token, **counts}), flush=True)
    else:
        print(f"Fake Canvas ({kind} dataset: {counts}) serving at {fake.base_url}")
        print(f"base_url={fake.base_url}")
        print(f"token={fake.token}")
        print("Press Ctrl-C to stop.", flush=True)
    stop = threading.Event()
    try:
        while not stop.wait(3600):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()
        print(f"stopped after {fake.request_count()} requests", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
