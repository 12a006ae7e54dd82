"""Wait on a condition (a process that appears, a lock that is waited on), not on a guess."""

from __future__ import annotations

import time
from collections.abc import Callable

INTERVAL = 0.02  # between looks at the condition


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    """Return as soon as `condition()` holds; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(INTERVAL)
