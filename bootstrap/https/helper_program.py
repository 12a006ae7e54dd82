"""What git runs for our helper: `bootstrap git-credential [--profile P] [--mfa]`, written as
the program git will find (`bootstrap` on PATH, else the running one's absolute path), and read
back from a config line to tell ours from anyone else's. Lines written before `--mfa` existed
(`… git-credential [--profile P]`) read back the same as ever."""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

SUBCOMMAND = "git-credential"
MFA_FLAG = "--mfa"


@dataclass(frozen=True)
class HelperCommand:
    """What git runs for our helper: `command` (shell words) + ` git-credential …`."""

    command: str
    on_path: bool  # True: `bootstrap` on PATH is the running program, and is what git runs

    def helper(self, profile: str | None, mfa: bool = False) -> str:
        words = f"!{self.command} {SUBCOMMAND}"
        words = f"{words} --profile {shlex.quote(profile)}" if profile else words
        return f"{words} {MFA_FLAG}" if mfa else words


@dataclass(frozen=True)
class HelperLine:
    """A helper line of ours, read back: the program, the profile, and whether it signs with
    the profile's MFA session (`--mfa`)."""

    command: str
    profile: str | None
    mfa: bool = False


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
    """(command, profile) if `value` is a helper we write, else None (`parse_helper_line`
    also says whether it has --mfa)."""
    line = parse_helper_line(value)
    return (line.command, line.profile) if line is not None else None


def _options(words: list[str]) -> tuple[str | None, bool] | None:
    """`--profile P` and `--mfa`, each at most once, in either order; None for anything else."""
    profile, mfa, rest = None, False, list(words)
    while rest:
        word = rest.pop(0)
        if word == "--profile" and profile is None and rest:
            profile = rest.pop(0)
        elif word == MFA_FLAG and not mfa:
            mfa = True
        else:
            return None
    return profile, mfa


def parse_helper_line(value: str | None) -> HelperLine | None:
    """The helper line if `value` is one we write (any version), else None."""
    if not value or not value.startswith("!"):
        return None
    try:
        words = shlex.split(value[1:])
    except ValueError:
        return None
    # One program, or an interpreter running us as a module (see helper_command).
    for size in (1, 3):
        command, rest = words[:size], words[size:]
        if size == 3 and command[1:] != ["-m", "bootstrap"]:
            continue
        if len(command) == size and rest[:1] == [SUBCOMMAND]:
            options = _options(rest[1:])
            if options is None:
                return None
            return HelperLine(shlex.join(command), *options)
    return None
