"""What the sandbox's servers share: start/stop as a context manager, a socketserver in a thread.

- `Started`: `with Server(...) as server` calls `start()`, then `stop()` on the way out.
- `BackgroundServer`: a socketserver on 127.0.0.1 served from a daemon thread. `stop()` sets
  `stopping` (handlers that hold an answer wait on it), shuts the server down, and shuts down
  the sockets in `open_sockets`, so a handler blocked reading one sees EOF and ends.
- `TrackedTCPServer`: a thread per connection, each connection's socket in `open_sockets`
  while its handler runs.
- `RequestHandler`: an HTTP handler that serves GET and POST alike, reads a bounded body and
  sends an answer with its Content-Length.
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any

from sandbox.net import LOCALHOST

if TYPE_CHECKING:
    from typing_extensions import Self

POLL_INTERVAL = 0.05  # how soon serve_forever sees shutdown()
JOIN_TIMEOUT = 5.0


class Started:
    """A context manager over `start()` and `stop()` (what `start()` returns is the server's)."""

    def start(self) -> object:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()  # whether or not the block raised; never swallows its exception


class OpenSockets:
    """Sockets handlers hold open, for `stop()` to shut down (never closed here: their owner
    closes them)."""

    def __init__(self) -> None:
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()

    def add(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.add(sock)

    def discard(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.discard(sock)

    def shut_down_all(self) -> None:
        with self._lock:
            sockets, self._sockets = list(self._sockets), set()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class TrackedTCPServer(socketserver.ThreadingTCPServer):
    """A thread per connection on 127.0.0.1 (a free port), each connection's socket in
    `open_sockets` while its handler runs."""

    daemon_threads = True  # stop() must not wait for a client that keeps its connection open
    allow_reuse_address = True

    def __init__(
        self, handler: type[socketserver.BaseRequestHandler], open_sockets: OpenSockets
    ) -> None:
        self.open_sockets = open_sockets
        super().__init__((LOCALHOST, 0), handler)

    def process_request(self, request: socket.socket, client_address: object) -> None:  # type: ignore[override]
        self.open_sockets.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: socket.socket) -> None:  # type: ignore[override]
        self.open_sockets.discard(request)
        super().shutdown_request(request)


class BackgroundServer(Started):
    """A socketserver served from a daemon thread; `port` is its port once started.

    A subclass says how to make the server (`_listen`: bound and listening when it returns, so
    no wait is needed), and keeps the sockets its handlers may block on in `open_sockets`.
    """

    def __init__(self) -> None:
        self.port = 0
        self.stopping = threading.Event()  # set first in stop(): held answers are released
        self.open_sockets = OpenSockets()
        self._server: socketserver.TCPServer | None = None
        self._thread: threading.Thread | None = None

    def _listen(self) -> socketserver.TCPServer:
        """Whatever the server needs first (folders, certificates), then the server itself."""
        raise NotImplementedError

    def start(self) -> Self:
        server = self._listen()
        self.stopping.clear()
        self._server = server
        self.port = int(server.server_address[1])
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": POLL_INTERVAL}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        self.stopping.set()
        server.shutdown()  # returns within one poll interval
        server.server_close()
        self.open_sockets.shut_down_all()
        if self._thread is not None:
            self._thread.join(timeout=JOIN_TIMEOUT)
            self._thread = None


class BodyTooLarge(OSError):
    """A request body longer than the double accepts (or a negative Content-Length)."""


class RequestHandler(BaseHTTPRequestHandler):
    """GET and POST both go to `serve()`; bodies are bounded; answers carry Content-Length."""

    sys_version = ""

    def do_GET(self) -> None:
        self.serve()

    def do_POST(self) -> None:
        self.serve()

    def serve(self) -> None:
        raise NotImplementedError

    def read_body(self, limit: int) -> bytes:
        """The body its Content-Length announces (none without one); BodyTooLarge past `limit`."""
        length = int(self.headers.get("Content-Length") or 0)
        if not 0 <= length <= limit:
            raise BodyTooLarge(f"request body of {length} bytes")
        return self.rfile.read(length)

    def send(self, status: int, body: bytes, headers: Mapping[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # each double writes its own log line per request
