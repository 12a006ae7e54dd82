"""What ssh and git say when the connection itself fails: a wait that ran out, a server that
hung up before SSH started, and the port it was on (the one ssh used, not an assumed 22).

Pure, like rules.py: the bounds come from waits (the environment, read when explaining).
"""

from __future__ import annotations

import re

from bootstrap import waits
from bootstrap.aws import endpoints
from bootstrap.diagnosis.context import Context, Finding

_CONNECTION_AT = re.compile(r"Connection (?:to|closed by|reset by) (\S+) port (\d+)")
_NOT_RESPONDING = re.compile(r"Timeout, server (\S+) not responding")
_GIT_BOUND = re.compile(r"bootstrap: git had not finished after (\d+) s")


def explain(stderr: str, context: Context) -> Finding | None:
    """A Finding for a connection that failed by a wait or a hang-up; None for anything else."""
    at = _CONNECTION_AT.search(stderr)
    host, port = (at.group(1), at.group(2)) if at else ("the CodeCommit host", "22")
    if "timed out during banner exchange" in stderr:
        return Finding(
            f"{host} port {port} accepted the connection but sent nothing within "
            f"{waits.connect()} s (ssh's ConnectTimeout): a firewall or proxy holds the port "
            "open and passes nothing, or the server hangs",
            _network_fix(port, context),
            "timeout",
        )
    if match := _NOT_RESPONDING.search(stderr):
        interval = waits.server_alive_interval()
        return Finding(
            f"{match.group(1)} stopped answering in the middle of the connection: no reply to "
            f"{waits.ALIVE_COUNT} keep-alives sent {interval} s apart (ServerAliveInterval)",
            "check your network, then run again",
            "timeout",
        )
    if "kex_exchange_identification" in stderr or "banner exchange" in stderr:
        return unreachable(host, port, "closed before SSH started", context)
    if match := _GIT_BOUND.search(stderr):
        return Finding(
            f"git had not finished after {match.group(1)} s, and was stopped: the server or the "
            "network stalled",
            f"check your network, then run again; on a slow link, set {waits.GIT_ENV} to "
            "more seconds",
            "timeout",
        )
    return None


def unreachable(host: str, port: str, reason: str, context: Context) -> Finding:
    return Finding(
        f"cannot connect to {host} port {port} ({reason}): outbound SSH is blocked or the host "
        "is unreachable",
        _network_fix(port, context),
        "unreachable",
    )


def _network_fix(port: str, context: Context) -> str:
    url = endpoints.https_url(context.region or "REGION", context.profile, context.repo or "REPO")
    return (
        f"ask for outbound port {port}, or use HTTPS instead: pip install git-remote-codecommit "
        f"&& git clone {url}"
    )
