"""What ssh and git say when the trouble is on this machine: the ssh config that ssh refuses,
a ControlPath folder that does not exist, a full disk; and, for what nothing explains, git's
own last lines. Pure, like rules.py.
"""

from __future__ import annotations

import posixpath
import re

from bootstrap.diagnosis.context import Finding
from bootstrap.ssh import refusals

# ssh appends a random suffix to the ControlPath while it binds: `PATH.AbCd…` (16 characters).
_CONTROL_PATH = re.compile(r"unix_listener: cannot bind to path (.+?): (No such file or directory)")
_CONTROL_PATH_LONG = re.compile(r"ControlPath too long \('([^']+)' >= (\d+) bytes\)")
_DISK_FULL = "No space left on device"
_DISK_FULL_AT = re.compile(r"(?:'|\")([^'\"]+)(?:'|\")[^\n]*No space left on device")
_NOISE = (
    "Cloning into",
    "warning:",
    "fatal: Could not read from remote repository",
    "Please make sure you have",
    "and the repository exists",
)
LAST_LINES = 3  # of what git said, when nothing explains it


def explain(stderr: str) -> Finding | None:
    if bad := refusals.bad_lines(stderr):
        cause, fix = refusals.summary(bad)
        return Finding(cause, fix, "ssh-config")
    if match := _CONTROL_PATH.search(stderr):
        socket_path = match.group(1)
        folder = posixpath.dirname(socket_path) or "."
        return Finding(
            f"ssh cannot create its connection-sharing socket {socket_path}: the folder "
            f"{folder} (from a ControlPath line in your ssh config) does not exist",
            f"mkdir -p {folder} (or remove the ControlMaster/ControlPath lines that apply to "
            "the CodeCommit hosts); then run again",
            "control-path",
        )
    if match := _CONTROL_PATH_LONG.search(stderr):
        return Finding(
            f"the ControlPath in your ssh config makes a socket path of more than "
            f"{int(match.group(2)) - 1} bytes, the most a Unix socket allows ({match.group(1)})",
            "use a shorter ControlPath for the CodeCommit hosts, e.g. `ControlPath ~/.ssh/cm-%C` "
            "(%C is a short hash of the connection)",
            "control-path",
        )
    ours = "\n".join(line for line in stderr.splitlines() if not line.startswith("remote:"))
    if _DISK_FULL in ours:
        at = _DISK_FULL_AT.search(ours)
        where = f" ({at.group(1)})" if at else ""
        return Finding(
            f"the disk is full where git was writing{where}: {_DISK_FULL}. This is this "
            "machine's disk, not the network or CodeCommit",
            "free some space there (a throw-away test clone goes to $TMPDIR; point TMPDIR at a "
            "disk with room), then run again",
            "disk-full",
        )
    return None


def unexplained(stderr: str) -> Finding:
    """git's last few meaningful lines, for a failure no rule knows."""
    said = last_lines(stderr)
    return Finding(
        f"git failed: {said}",
        "if that does not say enough, run again with --debug (it shows all of git's output)",
        "unknown",
    )


def last_lines(stderr: str, count: int = LAST_LINES) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    meaningful = [line for line in lines if not line.startswith(_NOISE)]
    return " | ".join((meaningful or lines or ["nothing (git failed without a message)"])[-count:])


def first_message(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    meaningful = [line for line in lines if not line.startswith(_NOISE)]
    return (meaningful or lines or ["git failed without a message"])[0]
