"""The real tool in a pseudo-terminal, as a developer at a terminal runs it (pexpect).

`spawn(case, *args)` starts `python -m bootstrap ARGS` in the case's home with the case's env;
what it prints is kept in `child.transcript` (also `child.logfile_read`). Tests wait on the
prompts' text (`expect`), never on time; `finish` waits for the end and gives the exit status.
"""

from __future__ import annotations

import io
import sys
from typing import Any

import pexpect

from sandbox.case import SandboxCase


def spawn(case: SandboxCase, *args: str, **env: str) -> Any:
    """`bootstrap ARGS` on a 60x200 terminal; `env` is added to the case's env."""
    child = pexpect.spawn(
        sys.executable,
        ["-m", "bootstrap", *args],
        # No CPR: nothing here answers prompt_toolkit's cursor-position query.
        env=case.env | {"TERM": "xterm-256color", "PROMPT_TOOLKIT_NO_CPR": "1"} | env,
        cwd=str(case.home),
        encoding="utf-8",
        codec_errors="replace",
        dimensions=(60, 200),
        timeout=90,
    )
    child.transcript = io.StringIO()
    child.logfile_read = child.transcript
    return child


def finish(child: Any) -> int:
    """Wait until the tool has exited; its exit status."""
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus is not None, child.transcript.getvalue()
    return int(child.exitstatus)
