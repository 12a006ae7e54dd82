"""Ports on 127.0.0.1: pick a free one, wait until one accepts (a condition, not a sleep)."""

from __future__ import annotations

import socket
import subprocess
import time

LOCALHOST = "127.0.0.1"


def free_port() -> int:
    """A port that was free a moment ago (the kernel picks it; a tiny race remains)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOCALHOST, 0))
        return int(sock.getsockname()[1])


def port_accepts(port: int, host: str = LOCALHOST) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


class ServerDidNotStart(RuntimeError):
    pass


def wait_for_port(
    port: int,
    *,
    host: str = LOCALHOST,
    proc: subprocess.Popen[bytes] | None = None,
    timeout: float = 15.0,
) -> None:
    """Return once `port` accepts a connection; raise if `proc` exits first or time runs out.

    Between attempts it waits on the process's exit (a condition), so an sshd that dies on a bad
    config is reported at once instead of after the timeout.
    """
    deadline = time.monotonic() + timeout
    while not port_accepts(port, host):
        if proc is not None:
            try:
                code = proc.wait(timeout=0.02)
            except subprocess.TimeoutExpired:
                pass
            else:
                raise ServerDidNotStart(f"server exited with status {code} before port {port}")
        if time.monotonic() > deadline:
            raise ServerDidNotStart(f"port {host}:{port} did not accept within {timeout}s")
