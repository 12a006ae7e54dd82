"""The way git would take to CodeCommit's port 443, found as git finds it, and a bounded try.

git (http.c, `get_curl_handle`) takes `http.proxy` (best URL match, `http.<url>.proxy`) from its
config; without one, `https_proxy` over `HTTPS_PROXY`, then `all_proxy` over `ALL_PROXY` (the
lower-case one wins when both are set). An empty value means no proxy at all. When there is a
proxy, `no_proxy` over `NO_PROXY` lists the hosts reached directly (curl's rules: `*` for every
host, else names that match the host or a domain it is in). A proxy without a scheme is
`http://`; without a port, curl's 1080 (443 for `https://`).

The try is read-only and bounded: a TCP connect to the host (direct) or to the proxy; for an
`http://` proxy, then `CONNECT host:443` and its status line, which is what git asks first.
"""

from __future__ import annotations

import base64
import os
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from bootstrap.errors import LocalFileError
from bootstrap.https import git_config

CONNECT_TIMEOUT = 5.0  # seconds, to connect (to the host or the proxy)
ANSWER_TIMEOUT = 10.0  # seconds, for the proxy's status line after CONNECT
MAX_ANSWER = 8192  # bytes of the proxy's answer read, at most, looking for its status line
HTTPS_PORT = 443
DEFAULT_PORTS = {"https": 443}  # curl's default proxy port is 1080 for every other scheme
SCHEMES = ("http", "https", "socks4", "socks4a", "socks5", "socks5h")


@dataclass(frozen=True)
class Proxy:
    source: str  # where git finds it: HTTPS_PROXY, https_proxy, ALL_PROXY, `git config http.proxy`
    scheme: str
    host: str
    port: int
    username: str | None = None
    password: str | None = None

    @property
    def shown(self) -> str:
        """The proxy's URL without its user and password."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"

    @property
    def named(self) -> str:
        return f"the proxy {self.shown} ({self.source})"


@dataclass(frozen=True)
class Route:
    """How git would reach the host: through `proxy`, or directly and why."""

    proxy: Proxy | None
    why: str  # for a direct route: "no proxy is set", "NO_PROXY lists it", …


@dataclass(frozen=True)
class Answer:
    status: int
    line: str  # the proxy's status line, e.g. "HTTP/1.1 200 Connection established"


def _git_proxy(url: str, runner: git_config.Runner) -> str | None:
    """`http.proxy` as git matches it for `url` (None: not set)."""
    done = runner(["config", "--get-urlmatch", "http.proxy", url])
    if done.returncode == 1:
        return None
    if done.returncode != 0:
        said = " ".join(done.stderr.decode(errors="replace").split())
        raise LocalFileError(
            f"git cannot read its http.proxy setting: {said or f'exit {done.returncode}'}",
            "fix what git says about your git config, then run again",
        )
    return done.stdout.decode(errors="replace").rstrip("\n")


def _env(environ: Mapping[str, str], *names: str) -> tuple[str, str] | None:
    """The last of `names` that is set (set and empty counts), as git's var_override does."""
    found = None
    for name in names:
        if name in environ:
            found = (environ[name], name)
    return found


def parse(value: str, source: str) -> Proxy:
    """A proxy setting as curl reads it. Raises LocalFileError for one it cannot use."""
    text = value.strip()
    try:
        parts = urlsplit(text if "://" in text else f"http://{text}")
        scheme = parts.scheme.lower()
        host = parts.hostname
        port = parts.port
    except ValueError:
        scheme, host, port = "", None, None
    if scheme not in SCHEMES or not host:
        raise LocalFileError(
            f"the proxy setting {source} is not a proxy URL git can use",
            f"set {source} to http://HOST:PORT (the proxy's address)",
        )
    return Proxy(
        source,
        scheme,
        host,
        port or DEFAULT_PORTS.get(scheme, 1080),
        unquote(parts.username) if parts.username else None,
        unquote(parts.password) if parts.password else None,
    )


def bypassed(host: str, no_proxy: str) -> bool:
    """Whether curl's no_proxy list sends `host` directly."""
    host = host.lower().rstrip(".")
    for entry in no_proxy.replace(" ", ",").split(","):
        name = entry.strip().lower().lstrip(".").rstrip(".")
        if entry.strip() == "*":
            return True
        if name and (host == name or host.endswith(f".{name}")):
            return True
    return False


def route(
    url: str, host: str, runner: git_config.Runner, environ: Mapping[str, str] | None = None
) -> Route:
    """The proxy git would use for `url` (on `host`), or why it goes directly."""
    env = os.environ if environ is None else environ
    configured = _git_proxy(url, runner)
    if configured is not None:
        found: tuple[str, str] | None = (configured, "`git config http.proxy`")
    else:
        found = _env(env, "HTTPS_PROXY", "https_proxy") or _env(env, "ALL_PROXY", "all_proxy")
    if found is None:
        return Route(None, "no proxy is set (HTTPS_PROXY, `git config http.proxy`)")
    value, source = found
    if not value.strip():
        return Route(None, f"{source} is empty, which turns proxying off")
    proxy = parse(value, source)
    skip = _env(env, "NO_PROXY", "no_proxy")
    if skip is not None and bypassed(host, skip[0]):
        return Route(None, f"{skip[1]} lists it, so {proxy.named} is not used")
    return Route(proxy, "")


def connect_direct(host: str, port: int = HTTPS_PORT, timeout: float = CONNECT_TIMEOUT) -> None:
    """A TCP connect to host:port, closed at once. Raises OSError (socket.gaierror: no name)."""
    socket.create_connection((host, port), timeout).close()


def connect_proxy(proxy: Proxy, timeout: float = CONNECT_TIMEOUT) -> socket.socket:
    return socket.create_connection((proxy.host, proxy.port), timeout)


def _request(host: str, port: int, proxy: Proxy) -> bytes:
    lines = [f"CONNECT {host}:{port} HTTP/1.1", f"Host: {host}:{port}"]
    if proxy.username is not None:
        pair = f"{proxy.username}:{proxy.password or ''}".encode()
        lines.append(f"Proxy-Authorization: Basic {base64.b64encode(pair).decode()}")
    lines.append("User-Agent: bootstrap-doctor")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def tunnel(
    proxy: Proxy,
    host: str,
    port: int = HTTPS_PORT,
    timeout: float = CONNECT_TIMEOUT,
    answer_timeout: float = ANSWER_TIMEOUT,
) -> Answer:
    """Ask an http:// proxy to `CONNECT host:port`; its status line. Nothing is sent through
    the tunnel: the connection is closed once the proxy has answered. Raises OSError (and
    ConnectionError when the proxy closes without a status line)."""
    with connect_proxy(proxy, timeout) as sock:
        sock.sendall(_request(host, port, proxy))
        deadline = time.monotonic() + answer_timeout
        data = b""
        while b"\n" not in data and len(data) < MAX_ANSWER:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no answer to CONNECT in {answer_timeout:.0f} s")
            sock.settimeout(left)
            chunk = sock.recv(MAX_ANSWER - len(data))
            if not chunk:
                break
            data += chunk
    line = data.split(b"\n", 1)[0].decode("latin-1").strip()
    words = line.split()
    if len(words) < 2 or not words[0].startswith("HTTP/") or not words[1].isdigit():
        said = f": {line[:80]!r}" if line else ""
        raise ConnectionError(f"the proxy did not answer CONNECT with an HTTP status{said}")
    return Answer(int(words[1]), line)
