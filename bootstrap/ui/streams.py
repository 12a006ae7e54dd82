"""stdout and stderr that never end a run by themselves.

- A reader that goes away (`bootstrap status | head -1`): the rest of the output has nowhere to
  go, but the run must finish what it does: a BrokenPipe in the middle of `init` would
  otherwise undo a finished setup. Later writes go nowhere, quietly.
- An output encoding that cannot encode ✓ (a non-UTF-8 locale, PYTHONIOENCODING=ascii): plain
  marks instead of an UnicodeEncodeError.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import os
import sys
from typing import Any, TextIO, cast

PLAIN = "bootstrap-plain"
# The few characters bootstrap prints beyond ASCII, as plain text; anything else becomes "?".
_PLAIN_MARKS = {"✓": "+", "✗": "x", "…": "...", "—": "-", "–": "-", "→": "->", "·": ".", "≤": "<="}


def _plain(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    text = error.object[error.start : error.end]
    return "".join(_PLAIN_MARKS.get(char, "?") for char in text), error.end


codecs.register_error(PLAIN, _plain)


class QuietWhenGone:
    """A text stream whose reader may leave: after the first broken pipe every write is
    dropped, and the file descriptor points at /dev/null so the exit's own flush is quiet."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.gone = False

    def write(self, text: str) -> int:
        if not self.gone:
            try:
                return self._stream.write(text)
            except BrokenPipeError:
                self._went_away()
        return len(text)

    def flush(self) -> None:
        if not self.gone:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._went_away()

    def _went_away(self) -> None:
        self.gone = True
        with contextlib.suppress(OSError, ValueError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._stream.fileno())
            os.close(devnull)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def guard() -> None:
    """Make sys.stdout and sys.stderr safe for the whole run (commands call this first)."""
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is None or isinstance(stream, QuietWhenGone):
            continue
        if not _encodes_marks(stream):
            with contextlib.suppress(AttributeError, ValueError, OSError):
                stream.reconfigure(errors=PLAIN)
        setattr(sys, name, cast(TextIO, QuietWhenGone(stream)))


def _encodes_marks(stream: TextIO) -> bool:
    try:
        "✓✗…".encode(stream.encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def is_broken_pipe(error: BaseException) -> bool:
    return isinstance(error, BrokenPipeError) or (
        isinstance(error, OSError) and error.errno == errno.EPIPE
    )
