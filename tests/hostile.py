"""A Canvas that misbehaves on purpose: one loopback HTTP server whose every answer a test
chooses (redirects, oversized or packed bodies, trickled bytes, web pages ...).

    with HostileServer(lambda handler: handler.send_json([...])) as server:
        ...server.url...

Each request is recorded (path and whether it carried a token) so a test can prove what was,
or was not, sent.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Answer = Callable[["Handler"], None]


class Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:  # the http.server name
        self.server.requests.append((self.path, "Authorization" in self.headers))
        self.server.answer(self)

    def send_bytes(self, body: bytes, *, status: int = 200, kind: str = "application/json",
                   headers: dict[str, str] | None = None, length: int | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def send_json(self, value: Any, *, status: int = 200) -> None:
        self.send_bytes(json.dumps(value).encode(), status=status)

    def send_chunked(self, chunks: list[bytes], *, pause: float = 0.0,
                     headers: dict[str, str] | None = None) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        try:
            for chunk in chunks:
                self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                self.wfile.flush()
                time.sleep(pause)
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up, as it should

    def redirect(self, location: str, status: int = 302) -> None:
        self.send_response(status)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, answer: Answer) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.answer = answer
        self.requests: list[tuple[str, bool]] = []


class HostileServer:
    """A server on a free loopback port answering every GET with ``answer(handler)``."""

    def __init__(self, answer: Answer) -> None:
        self._server = _Server(answer)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def requests(self) -> list[tuple[str, bool]]:
        """``(path, carried a token)`` of every request so far."""
        return self._server.requests

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
