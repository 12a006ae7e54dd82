"""What ssh-agent holds: a key it holds is signed with there, and needs no passphrase from us."""

from __future__ import annotations

import os
import subprocess

from bootstrap.ssh.keys import PublicKey

AGENT_WAIT = 10.0  # seconds: an agent answers at once, or is stuck


def public_keys() -> list[str] | None:
    """The agent's keys as `TYPE BASE64` (`ssh-add -L`); None when there is no agent to ask.
    An agent with no keys answers exit 1 ("The agent has no identities"): an empty list."""
    if not os.environ.get("SSH_AUTH_SOCK"):
        return None
    try:
        done = subprocess.run(
            ["ssh-add", "-L"],
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            check=False,
            timeout=AGENT_WAIT,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode == 1:
        return []
    if done.returncode != 0:
        return None  # 2: no agent at that socket
    listed = (line.split(None, 2)[:2] for line in done.stdout.splitlines())
    return [" ".join(parts) for parts in listed if len(parts) == 2]


def holds(public: PublicKey) -> bool:
    return public.material in (public_keys() or [])
