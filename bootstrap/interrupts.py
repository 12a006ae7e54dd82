"""Ctrl-C while acting: never lost, and never cutting an undo short.

Python raises KeyboardInterrupt wherever the main thread happens to be. Inside a
garbage-collection callback or a `__del__`, it is printed as "Exception ignored" and dropped,
and the run would go on as if nothing was pressed. So while acting, the SIGINT handler also
notes the press, and `checkpoint()` (between steps) raises it again if it was dropped. While
an undo runs, a second Ctrl-C is held until it has finished: a half-done undo is the
half-configured machine the undo exists to prevent.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

_pressed = threading.Event()


def _note_and_raise(signum: int, frame: FrameType | None) -> None:
    _pressed.set()
    raise KeyboardInterrupt


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def noted() -> Iterator[None]:
    """While acting: Ctrl-C raises as usual, and is remembered for checkpoint()."""
    if not _in_main_thread():
        yield
        return
    _pressed.clear()
    previous = signal.signal(signal.SIGINT, _note_and_raise)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        _pressed.clear()


def checkpoint() -> None:
    """Raise the Ctrl-C that was pressed and then swallowed, if one was."""
    if _pressed.is_set():
        raise KeyboardInterrupt


@contextlib.contextmanager
def held() -> Iterator[None]:
    """Run the block to its end whatever Ctrl-C is pressed meanwhile (an undo: bounded, as
    each of its steps is)."""
    if not _in_main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
