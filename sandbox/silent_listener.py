"""A listener that accepts TCP connections and never speaks: a hung server, or a middlebox.

`SilentListener()` as a context manager: `.port` on 127.0.0.1 accepts connections (the kernel
completes the handshake), reads and drops whatever the client sends, and never writes a byte
until it stops. With `close_at_once=True` it instead closes each connection as soon as it is
accepted (a server that hangs up: botocore's ConnectionClosedError, ssh's "Connection closed").

`.accepted` counts the connections seen, so a test can wait on "the client got this far".
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading

from sandbox.net import LOCALHOST
from sandbox.serving import Started


class SilentListener(Started):
    def __init__(self, *, close_at_once: bool = False) -> None:
        self.close_at_once = close_at_once
        self.accepted = 0
        self._server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server.bind((LOCALHOST, 0))
        self._server.listen(64)
        self._server.setblocking(False)
        self.port: int = self._server.getsockname()[1]
        self._stop_r, self._stop_w = socket.socketpair()
        self._thread = threading.Thread(target=self._serve, name="silent-listener", daemon=True)

    @property
    def address(self) -> str:
        return f"{LOCALHOST}:{self.port}"

    @property
    def url(self) -> str:
        """As an HTTP endpoint (AWS_ENDPOINT_URL): a server that never answers a request."""
        return f"http://{self.address}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop_w.send(b"x")
        self._thread.join(timeout=5)
        self._server.close()
        self._stop_r.close()
        self._stop_w.close()

    def _serve(self) -> None:
        clients: list[socket.socket] = []
        with selectors.DefaultSelector() as selector:
            selector.register(self._server, selectors.EVENT_READ, "accept")
            selector.register(self._stop_r, selectors.EVENT_READ, "stop")
            try:
                while True:
                    for key, _ in selector.select():
                        if key.data == "stop":
                            return
                        if key.data == "accept":
                            self._accept(selector, clients)
                        else:
                            self._drain(selector, key.fileobj)  # type: ignore[arg-type]
            finally:
                for client in clients:
                    with contextlib.suppress(OSError):
                        client.close()

    def _accept(self, selector: selectors.BaseSelector, clients: list[socket.socket]) -> None:
        try:
            client, _ = self._server.accept()
        except BlockingIOError:
            return
        self.accepted += 1
        if self.close_at_once:
            client.close()
            return
        client.setblocking(False)
        clients.append(client)
        selector.register(client, selectors.EVENT_READ, "client")

    @staticmethod
    def _drain(selector: selectors.BaseSelector, client: socket.socket) -> None:
        """Read and drop what the client sends; never answer. A client that leaves is let go."""
        try:
            data = client.recv(65536)
        except OSError:
            data = b""
        if not data:
            selector.unregister(client)
            client.close()
