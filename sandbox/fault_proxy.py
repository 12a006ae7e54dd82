"""FaultProxy: an HTTP proxy in front of the moto IAM/STS server that breaks chosen requests.

The tool reaches it through `AWS_ENDPOINT_URL_IAM` (and `_STS`), see `use_for`. Each request's
`Action` (the query form botocore sends for IAM and STS) is matched against the faults queued
with `inject(action, kind, count)`; a matched request gets the fault, every other one goes to
moto unchanged. The kinds:

- `500`: an InternalFailure answer, and IAM never sees the request;
- `throttle`: 400 `Throttling` (botocore retries it), IAM never sees the request;
- `reset`: the connection is reset (RST) before IAM sees the request;
- `truncate`: IAM acts; its answer is cut in half (a consistent Content-Length, so botocore
  reads an unparseable body and does not retry);
- `lost`: IAM acts; the connection is then closed with no answer;
- `stall`: IAM acts (`forward=False`: it does not); the answer is held `hold` seconds, longer
  than the client's read timeout, then sent if anyone still listens.

`when(action, callback)` calls `callback(action)` in the proxy's thread as a matching request
arrives, before any fault or forwarding (`acted=True`: once IAM has acted, before its answer
goes back): a test stops the tool there (SIGKILL before IAM acts, Ctrl-C while the answer is
held after it acted).

IAM rules moto does not keep (FACTS.md, "Test doubles") are applied in front of it:
`DuplicateSSHPublicKey` for key material the user already has, `LimitExceeded` at 5 keys. A
retried upload then meets what it would meet in IAM.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import socketserver
import struct
import threading
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sandbox.aws import REGION, admin_client
from sandbox.gitaccess import append_log
from sandbox.net import LOCALHOST
from sandbox.serving import BackgroundServer, TrackedTCPServer

FAULT_LOG = "faults.log"
KINDS = ("500", "throttle", "reset", "truncate", "lost", "stall")
HEADER_TIMEOUT = 30.0
IAM_KEY_LIMIT = 5
IAM_NS = "https://iam.amazonaws.com/doc/2010-05-08/"


@dataclass
class Fault:
    action: str
    kind: str
    count: int
    hold: float = 30.0  # stall: seconds the answer is held
    forward: bool = True  # stall: IAM acts before the answer is held


def error_xml(code: str, message: str, kind: str = "Sender") -> bytes:
    return (
        f'<ErrorResponse xmlns="{IAM_NS}"><Error><Type>{kind}</Type><Code>{code}</Code>'
        f"<Message>{message}</Message></Error><RequestId>fault-proxy</RequestId></ErrorResponse>"
    ).encode()


def _material(body: str) -> str:
    words = body.split()
    return " ".join(words[:2])


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def handle(self) -> None:
        self.connection.settimeout(HEADER_TIMEOUT)
        with contextlib.suppress(OSError, ConnectionError, ValueError):
            while self._one_request():
                pass

    def _one_request(self) -> bool:
        """Serve one request; False when the connection is over."""
        request_line = self.rfile.readline(65537)
        if not request_line.strip():
            return False
        method, target, _version = request_line.decode("latin-1").split()
        headers: list[tuple[str, str]] = []
        while True:
            line = self.rfile.readline(65537).decode("latin-1")
            if line in ("\r\n", "\n", ""):
                break
            name, _, value = line.partition(":")
            headers.append((name.strip(), value.strip()))
        length = int(next((v for n, v in headers if n.lower() == "content-length"), "0"))
        body = self.rfile.read(length) if length else b""
        params = urllib.parse.parse_qs(body.decode("latin-1"))
        params.update(urllib.parse.parse_qs(urllib.parse.urlsplit(target).query))
        action = (params.get("Action") or [""])[0]
        proxy = self.server.proxy
        proxy.arrived(action)
        fault = proxy.take(action)
        proxy.log(f"{action} {fault.kind if fault else 'forwarded'}")
        if fault is None:
            answer = proxy.upstream(method, target, headers, body, params)
            proxy.call_back(action, acted=True)
            self._send(*answer)
            return True
        if fault.kind == "500":
            self._send(500, [], error_xml("InternalFailure", "injected 500", "Receiver"))
            return True
        if fault.kind == "throttle":
            self._send(400, [], error_xml("Throttling", "Rate exceeded"))
            return True
        if fault.kind == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            return False
        if fault.kind == "stall" and not fault.forward:
            proxy.stopping.wait(fault.hold)
            return False
        answer = proxy.upstream(method, target, headers, body, params)
        proxy.call_back(action, acted=True)
        if fault.kind == "truncate":
            status, answer_headers, data = answer
            self._send(status, answer_headers, data[: len(data) // 2])
            return False
        if fault.kind == "lost":
            return False
        proxy.stopping.wait(fault.hold)  # stall: the client has given up by now
        if not proxy.stopping.is_set():
            self._send(*answer)
        return False

    def _send(self, status: int, headers: list[tuple[str, str]], data: bytes) -> None:
        reason = http.client.responses.get(status, "")
        lines = [f"HTTP/1.1 {status} {reason}"]
        skip = {"content-length", "transfer-encoding", "connection"}
        lines += [f"{name}: {value}" for name, value in headers if name.lower() not in skip]
        if not any(name.lower() == "content-type" for name, _ in headers):
            lines.append("Content-Type: text/xml")
        lines.append(f"Content-Length: {len(data)}")
        self.wfile.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + data)
        self.wfile.flush()


class _Server(TrackedTCPServer):
    def __init__(self, proxy: FaultProxy) -> None:
        self.proxy = proxy
        super().__init__(_Handler, proxy.open_sockets)


class FaultProxy(BackgroundServer):
    """The proxy on 127.0.0.1:`port` (`endpoint` for AWS_ENDPOINT_URL_IAM) in front of
    `upstream_endpoint` (a MotoIam's `endpoint`)."""

    def __init__(self, workdir: Path, upstream_endpoint: str, *, iam_rules: bool = True) -> None:
        super().__init__()  # `stopping`: set by stop(), it releases held (stalled) answers
        self.workdir = Path(workdir).resolve()
        self.log_path = self.workdir / FAULT_LOG
        split = urllib.parse.urlsplit(upstream_endpoint)
        self.upstream_endpoint = upstream_endpoint
        self._upstream = (split.hostname or LOCALHOST, split.port or 80)
        self.iam_rules = iam_rules
        self._faults: list[Fault] = []
        self._callbacks: dict[tuple[str, bool], list[Callable[[str], None]]] = {}
        self._seen: dict[str, int] = {}
        self._lock = threading.Lock()
        self._rules_lock = threading.Lock()  # one upload judged at a time, as IAM does
        self._admin: Any = None

    @property
    def endpoint(self) -> str:
        return f"http://{LOCALHOST}:{self.port}"

    def use_for(self, env: dict[str, str], *, sts: bool = True) -> dict[str, str]:
        """`env` with the tool's IAM (and STS) calls sent through the proxy."""
        env["AWS_ENDPOINT_URL_IAM"] = self.endpoint
        if sts:
            env["AWS_ENDPOINT_URL_STS"] = self.endpoint
        return env

    # --- what tests ask for -------------------------------------------------------------------

    def inject(
        self, action: str, kind: str, count: int = 1, *, hold: float = 30.0, forward: bool = True
    ) -> None:
        """The next `count` requests for `action` get `kind` (one of KINDS)."""
        if kind not in KINDS:
            raise ValueError(f"unknown fault {kind!r}: one of {', '.join(KINDS)}")
        with self._lock:
            self._faults.append(Fault(action, kind, count, hold, forward))

    def when(self, action: str, callback: Callable[[str], None], *, acted: bool = False) -> None:
        """Call `callback(action)` each time a request for `action` arrives (`acted`: once
        IAM has answered it, before the answer, or the fault, goes back)."""
        with self._lock:
            self._callbacks.setdefault((action, acted), []).append(callback)

    def seen(self, action: str) -> int:
        """How many requests for `action` arrived."""
        with self._lock:
            return self._seen.get(action, 0)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
            self._callbacks.clear()

    def log_text(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""

    # --- the handler's side ---------------------------------------------------------------

    def arrived(self, action: str) -> None:
        with self._lock:
            self._seen[action] = self._seen.get(action, 0) + 1
        self.call_back(action, acted=False)

    def call_back(self, action: str, *, acted: bool) -> None:
        with self._lock:
            callbacks = list(self._callbacks.get((action, acted), []))
        for callback in callbacks:
            callback(action)

    def take(self, action: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.action == action and fault.count > 0:
                    fault.count -= 1
                    return fault
        return None

    def log(self, line: str) -> None:
        with self._lock:
            append_log(self.workdir, FAULT_LOG, line)

    def upstream(
        self, method: str, target: str, headers: list[tuple[str, str]], body: bytes,
        params: dict[str, list[str]],
    ) -> tuple[int, list[tuple[str, str]], bytes]:  # fmt: skip
        """What IAM answers: its rules moto lacks, else moto's own answer."""
        if self.iam_rules and params.get("Action") == ["UploadSSHPublicKey"]:
            with self._rules_lock:
                refused = self._refused_upload(params)
                if refused is not None:
                    return 400, [], refused
                return self._forward(method, target, headers, body)
        return self._forward(method, target, headers, body)

    def _forward(
        self, method: str, target: str, headers: list[tuple[str, str]], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        conn = http.client.HTTPConnection(*self._upstream, timeout=HEADER_TIMEOUT)
        try:
            conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
            for name, value in headers:
                if name.lower() != "connection":
                    conn.putheader(name, value)
            conn.endheaders(body)
            reply = conn.getresponse()
            return reply.status, list(reply.getheaders()), reply.read()
        finally:
            conn.close()

    def _refused_upload(self, params: dict[str, list[str]]) -> bytes | None:
        user = (params.get("UserName") or [""])[0]
        body = (params.get("SSHPublicKeyBody") or [""])[0]
        if self._admin is None:
            self._admin = admin_client("iam", self.upstream_endpoint, REGION)
        try:
            listed = self._admin.list_ssh_public_keys(UserName=user)["SSHPublicKeys"]
        except Exception:  # no such user: moto answers that itself
            return None
        for key in listed:
            got = self._admin.get_ssh_public_key(
                UserName=user, SSHPublicKeyId=key["SSHPublicKeyId"], Encoding="SSH"
            )["SSHPublicKey"]
            if _material(got["SSHPublicKeyBody"]) == _material(body):
                return error_xml("DuplicateSSHPublicKey", "The SSH public key is a duplicate.")
        if len(listed) >= IAM_KEY_LIMIT:
            return error_xml("LimitExceeded", "Cannot exceed quota for PublicKeysPerUser: 5")
        return None

    # --- lifecycle ----------------------------------------------------------------------------

    def _listen(self) -> _Server:
        self.workdir.mkdir(parents=True, exist_ok=True)
        return _Server(self)
