"""A throwaway PostgreSQL server for the DuckLake tests: Debian's package, loopback only.

``initdb`` refuses to run as root, so as root the cluster belongs to the ``postgres`` user
(``runuser``); otherwise to the current user. Durability is switched off (a test cluster is
thrown away), which makes it start in well under a second.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from itertools import count
from pathlib import Path


def _bin_dir() -> Path:
    found = shutil.which("pg_ctl")
    candidates = [Path(found).resolve().parent] if found else []
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for folder in candidates:
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    raise RuntimeError(
        "PostgreSQL is not installed (no initdb/pg_ctl): apt-get install postgresql, or run "
        "the tests with --backend file"
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ThrowawayPostgres:
    """A PostgreSQL cluster in a temporary folder, on a free loopback port.

    Use as a context manager; ``new_database()`` makes an empty database for one lake.
    """

    def __init__(self) -> None:
        self.bin = _bin_dir()
        self.root = Path(tempfile.mkdtemp(prefix="tracker-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.user = "postgres" if os.geteuid() == 0 else os.environ.get("USER", "postgres")
        self._names = count(1)

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=False, cwd="/")

    def start(self) -> ThrowawayPostgres:
        """Create and start the cluster; raise with PostgreSQL's output if it fails."""
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
            self.root.chmod(0o700)
        steps = [
            ("initdb", "-D", str(self.data), "-A", "trust", "-U", self.user, "-E", "UTF8",
             "--no-sync"),
            ("pg_ctl", "-D", str(self.data), "-l", str(self.root / "log"), "-w", "start", "-o",
             f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} -c fsync=off "
             "-c synchronous_commit=off -c full_page_writes=off -c max_connections=400"),
        ]
        for step in steps:
            result = self._run(*step)
            if result.returncode != 0:
                log = (self.root / "log").read_text() if (self.root / "log").exists() else ""
                raise RuntimeError(f"{step[0]} failed:\n{result.stdout}{result.stderr}{log}")
        return self

    def stop(self) -> None:
        """Stop the cluster at once and remove its folder."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> ThrowawayPostgres:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def sql(self, statement: str, database: str = "postgres") -> str:
        """Run one statement with psql; return its output."""
        result = self._run("psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user,
                           "-d", database, "-XAtqc", statement)
        if result.returncode != 0:
            raise RuntimeError(f"psql failed: {result.stderr}")
        return result.stdout

    def new_database(self, prefix: str = "lake") -> str:
        """Create an empty database and return its name."""
        name = f"{prefix}_{next(self._names)}"
        self.sql(f'CREATE DATABASE "{name}"')
        return name

    def attach_string(self, database: str) -> str:
        """The ``TRACKER_LAKE`` value of a lake catalogued in ``database``."""
        return (f"ducklake:postgres:dbname={database} host=127.0.0.1 port={self.port} "
                f"user={self.user}")
