"""An AWS call that is slow to answer, or never does: said while it waits, and named right.

botocore waits up to its read timeout per attempt and tries waits.AWS_ATTEMPTS times; a
permanent stall is therefore a long silence unless we speak. After waits.aws_notice_after()
seconds one line on stderr says what we wait for and for how long at most; the failure itself
is failures.translated's one line (exit 3).
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Iterator

from bootstrap import waits

# The calls bootstrap makes to STS; every other action it names is IAM's.
STS_ACTIONS = frozenset({"GetCallerIdentity", "GetSessionToken", "AssumeRole"})


def label(action: str) -> str:
    """`sts:GetCallerIdentity`, `iam:ListSSHPublicKeys`: the action as IAM policies name it."""
    if ":" in action:
        return action
    return f"{'sts' if action in STS_ACTIONS else 'iam'}:{action}"


def is_sts(action: str) -> bool:
    return label(action).startswith("sts:")


@contextlib.contextmanager
def said_while_waiting(action: str) -> Iterator[None]:
    """Say once, on stderr, when `action` has not answered after a few seconds."""
    after = waits.aws_notice_after()

    def notice() -> None:
        with contextlib.suppress(OSError, ValueError):  # a closed or broken stderr
            sys.stderr.write(
                f"waiting for AWS to answer {label(action)} ({after:.0f} s so far; bootstrap "
                f"gives up after about {waits.aws_total()} s)\n"
            )
            sys.stderr.flush()

    timer = threading.Timer(after, notice)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
