"""What git runs for our helper: `bootstrap git-credential [--profile P]`, written as the
program git will find (`bootstrap` on PATH, else the running one's absolute path), and read back
from a config line to tell ours from anyone else's."""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

SUBCOMMAND = "git-credential"


@dataclass(frozen=True)
class HelperCommand:
    """What git runs for our helper: `command` (shell words) + ` git-credential …`."""

    command: str
    on_path: bool  # True: `bootstrap` on PATH is the running program, and is what git runs

    def helper(self, profile: str | None) -> str:
        words = f"!{self.command} {SUBCOMMAND}"
        return f"{words} --profile {shlex.quote(profile)}" if profile else words


def helper_command(
    argv0: str | None = None,
    executable: str | None = None,
    which: Callable[[str], str | None] = shutil.which,
) -> HelperCommand:
    """`bootstrap` if `which("bootstrap")` is the running program, else its absolute path; run
    as `python -m bootstrap`, the interpreter's absolute path and `-m bootstrap`."""
    program = argv0 if argv0 is not None else sys.argv[0]
    if not program or Path(program).name == "__main__.py":
        python = os.path.abspath(executable or sys.executable)
        return HelperCommand(f"{shlex.quote(python)} -m bootstrap", False)
    absolute = os.path.abspath(program)
    found = which("bootstrap")
    if found is not None and os.path.realpath(found) == os.path.realpath(absolute):
        return HelperCommand("bootstrap", True)
    return HelperCommand(shlex.quote(absolute), False)


def parse_helper(value: str | None) -> tuple[str, str | None] | None:
    """(command, profile) if `value` is a helper we write, else None."""
    if not value or not value.startswith("!"):
        return None
    try:
        words = shlex.split(value[1:])
    except ValueError:
        return None
    profile = None
    if len(words) >= 3 and words[-2] == "--profile":
        words, profile = words[:-2], words[-1]
    if not words or words[-1] != SUBCOMMAND:
        return None
    command = words[:-1]
    # One program, or an interpreter running us as a module (see helper_command).
    if len(command) == 1 or (len(command) == 3 and command[1:] == ["-m", "bootstrap"]):
        return shlex.join(command), profile
    return None
