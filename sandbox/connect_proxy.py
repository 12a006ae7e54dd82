"""ConnectProxy: an HTTP CONNECT proxy on 127.0.0.1 that plays DNS for the HTTPS double.

git (libcurl) reaches `https://git-codecommit.REGION.amazonaws.com` through the standard proxy
settings (`HTTPS_PROXY=http://127.0.0.1:PORT` or `http.proxy`) and asks `CONNECT HOST:443`; the
proxy connects that name to the HttpsCodeCommit double's 127.0.0.1 port, and the TLS session then
runs end to end between git and the double (the proxy sees only ciphertext). Any other target,
and any request that is not CONNECT, gets 403: it never connects anywhere but 127.0.0.1 ports it
was given. Each CONNECT line is logged to `log_path`.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import socketserver
import threading
from collections.abc import Mapping
from pathlib import Path

from sandbox.gitaccess import append_log
from sandbox.net import LOCALHOST
from sandbox.serving import BackgroundServer, TrackedTCPServer

PROXY_LOG = "proxy.log"
HEADER_TIMEOUT = 10.0  # for the client's CONNECT request, and for connecting to the double
IDLE_TIMEOUT = 60.0  # a relayed connection with no bytes either way for this long is closed
MAX_HEADER = 16 * 1024
CHUNK = 65536
TLS_PORT = 443


def _read_head(conn: socket.socket) -> tuple[bytes, bytes]:
    """(request head up to the blank line, bytes the client sent after it)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            raise ConnectionError("client closed before a full request")
        data += chunk
        if len(data) > MAX_HEADER:
            raise ConnectionError("request head too large")
    head, _, rest = data.partition(b"\r\n\r\n")
    return head, rest


def _relay(client: socket.socket, upstream: socket.socket) -> None:
    """Copy bytes both ways until either side closes or nothing moves for IDLE_TIMEOUT."""
    peers = {client: upstream, upstream: client}
    open_reads = {client, upstream}
    with selectors.DefaultSelector() as selector:
        for sock in peers:
            selector.register(sock, selectors.EVENT_READ)
        while open_reads:
            events = selector.select(timeout=IDLE_TIMEOUT)
            if not events:
                return  # idle: give up rather than hold threads forever
            for key, _mask in events:
                source: socket.socket = key.fileobj  # type: ignore[assignment]
                data = source.recv(CHUNK)
                if data:
                    peers[source].sendall(data)
                    continue
                # EOF one way: pass it on, keep the other direction open until it ends too.
                selector.unregister(source)
                open_reads.discard(source)
                with contextlib.suppress(OSError):
                    peers[source].shutdown(socket.SHUT_WR)


class _Handler(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        conn: socket.socket = self.request
        conn.settimeout(HEADER_TIMEOUT)
        proxy = self.server.proxy
        try:
            head, early = _read_head(conn)
        except (OSError, ConnectionError) as error:
            proxy.log(f"{self.client_address[0]} bad request: {error}")
            return
        line = head.split(b"\r\n", 1)[0].decode("latin-1")
        port = proxy.target_port(line)
        if port is None:
            proxy.log(f"{line!r} refused 403")
            with contextlib.suppress(OSError):
                conn.sendall(
                    b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                )
            return
        try:
            upstream = socket.create_connection((LOCALHOST, port), timeout=HEADER_TIMEOUT)
        except OSError as error:
            proxy.log(f"{line!r} -> {LOCALHOST}:{port} failed: {error}")
            with contextlib.suppress(OSError):
                conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            return
        proxy.log(f"{line!r} -> {LOCALHOST}:{port}")
        with upstream:
            proxy.open_sockets.add(upstream)
            try:
                conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                if early:
                    upstream.sendall(early)
                conn.settimeout(IDLE_TIMEOUT)
                upstream.settimeout(IDLE_TIMEOUT)
                _relay(conn, upstream)
            except OSError:
                pass  # either side reset: the relay is over
            finally:
                proxy.open_sockets.discard(upstream)


class _Server(TrackedTCPServer):
    def __init__(self, proxy: ConnectProxy) -> None:
        self.proxy = proxy
        super().__init__(_Handler, proxy.open_sockets)  # relays' sockets too, see _Handler


class ConnectProxy(BackgroundServer):
    """CONNECT proxy on 127.0.0.1:`port` (`url` for HTTPS_PROXY); `routes`: host -> local port.

    Only `CONNECT HOST:443` for a routed HOST is relayed, to 127.0.0.1:routes[HOST].
    """

    def __init__(self, workdir: Path, routes: Mapping[str, int] | None = None) -> None:
        super().__init__()
        self.workdir = Path(workdir).resolve()
        self.log_path = self.workdir / PROXY_LOG
        self.routes: dict[str, int] = {host.lower(): port for host, port in (routes or {}).items()}
        self._log_lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://{LOCALHOST}:{self.port}"

    def route(self, host: str, port: int) -> None:
        """Relay `CONNECT host:443` to 127.0.0.1:`port` from now on."""
        self.routes[host.lower()] = port

    def target_port(self, request_line: str) -> int | None:
        """The local port for `CONNECT HOST:443 HTTP/1.x`, or None (refuse)."""
        words = request_line.split()
        if len(words) != 3 or words[0] != "CONNECT" or not words[2].startswith("HTTP/"):
            return None
        host, sep, port = words[1].rpartition(":")
        if not sep or port != str(TLS_PORT):
            return None
        return self.routes.get(host.lower())

    def log(self, line: str) -> None:
        with self._log_lock:
            append_log(self.workdir, PROXY_LOG, line)

    def log_text(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""

    def _listen(self) -> _Server:
        self.workdir.mkdir(parents=True, exist_ok=True)
        return _Server(self)
