"""Stop the tool at a chosen point: a signal when a file appears, or from a proxy callback.

- `when_file_appears(pid, directory, pattern, sig)`: a watcher thread polls `directory` for a
  name matching `pattern` (fnmatch) and sends `sig` (SIGKILL by default) the moment it sees
  one; bounded by `timeout`. `.fired` tells whether it did. `when_true(pid, condition)` does
  the same for any condition (a file's text, say).
- `signal_on(pid, sig)`: a callback for `FaultProxy.when`: the tool gets `sig` while the
  matched request is in flight.

A watched file appears at a known step; the kill lands within a poll interval of it, so a test
asserts what must hold wherever in that window it lands, never the exact instant.
"""

from __future__ import annotations

import contextlib
import fnmatch
import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

POLL = 0.0005  # seconds between looks: the kill lands within about this of the file's birth


class Watcher:
    """Sends `sig` to `pid` the first time `condition()` holds, polling every POLL seconds for
    at most `timeout`; `.fired` is set once it has."""

    def __init__(self, pid: int, condition: Callable[[], bool], sig: int, timeout: float) -> None:
        self.pid, self.condition, self.sig, self.timeout = pid, condition, sig, timeout
        self.fired = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        deadline = time.monotonic() + self.timeout
        while not self._stop.is_set() and time.monotonic() < deadline:
            if self.condition():
                send(self.pid, self.sig)
                self.fired.set()
                return
            time.sleep(POLL)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def when_true(
    pid: int, condition: Callable[[], bool], sig: int = signal.SIGKILL, timeout: float = 60.0
) -> Watcher:
    """Signal `pid` once `condition()` holds (a file's text says a step was reached)."""
    return Watcher(pid, condition, sig, timeout)


def when_file_appears(
    pid: int, directory: Path, pattern: str, sig: int = signal.SIGKILL, timeout: float = 60.0
) -> Watcher:
    """Signal `pid` once a name in `directory` matches `pattern` (fnmatch)."""

    def present() -> bool:
        try:
            names = os.listdir(directory)
        except FileNotFoundError:
            return False
        return any(fnmatch.fnmatch(name, pattern) for name in names)

    return Watcher(pid, present, sig, timeout)


def send(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # already gone
        os.kill(pid, sig)


def signal_on(pid: int, sig: int = signal.SIGINT, once: bool = True) -> Callable[[str], None]:
    """A FaultProxy callback that sends `sig` to `pid` (the first time only, with `once`)."""
    sent = threading.Event()

    def callback(_action: str) -> None:
        if once and sent.is_set():
            return
        sent.set()
        send(pid, sig)

    return callback
