"""Run the real ssh client: `ssh -G` for what a config means, and the ssh command git runs.

Nothing here ever waits on a prompt: BatchMode, or a passphrase from askpass.
"""

from __future__ import annotations

import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path

from bootstrap import git, waits
from bootstrap.errors import LocalFileError
from bootstrap.ssh import refusals


@dataclass(frozen=True)
class EffectiveOptions:
    """What `ssh -G HOST` says ssh would use: option name (lower case) → values in order."""

    values: dict[str, list[str]]

    def first(self, option: str) -> str | None:
        found = self.values.get(option)
        return found[0] if found else None

    def all(self, option: str) -> list[str]:
        return self.values.get(option, [])


def ssh_args(config: Path | None) -> list[str]:
    """`ssh`, pointed at `config` when it is not the file ssh reads by default."""
    return ["ssh", "-F", str(config)] if config is not None else ["ssh"]


def run(*args: str, config: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`ssh ARGS` for what ssh says about itself (`-G`, `-Q`, `-V`), never for a connection.

    stdin is closed, so ssh cannot stop on a question; the output is kept for the caller, who
    judges the exit status. A missing ssh raises FileNotFoundError: each caller says it its way.
    """
    return subprocess.run(
        [*ssh_args(config), *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def effective_options(host: str, config: Path | None = None) -> EffectiveOptions:
    try:
        done = run("-G", host, config=config)
    except FileNotFoundError:
        raise LocalFileError(
            "the ssh client is not installed (no `ssh` on PATH)",
            "install OpenSSH (e.g. apt install openssh-client), then run again",
        ) from None
    if done.returncode != 0:
        if bad := refusals.bad_lines(done.stderr):
            raise LocalFileError(*refusals.summary(bad))
        where = config or "your ssh config"
        message = done.stderr.strip().splitlines()[-1:] or ["ssh -G failed"]
        raise LocalFileError(
            f"ssh cannot read {where}: {message[0]}", f"fix {where}, then run again"
        )
    values: dict[str, list[str]] = {}
    for line in done.stdout.splitlines():
        key, _, value = line.partition(" ")
        if key:
            values.setdefault(key.lower(), []).extend(
                value.split(" ") if key.lower().endswith("knownhostsfile") else [value]
            )
    return EffectiveOptions(values)


def bounded_waits() -> list[str]:
    """ssh options that end a connection to a server that never answers, or stops answering:
    no banner within ConnectTimeout, or no reply to ServerAliveCountMax keep-alives."""
    return [
        "-o",
        f"ConnectTimeout={waits.connect()}",
        "-o",
        f"ServerAliveInterval={waits.server_alive_interval()}",
        "-o",
        f"ServerAliveCountMax={waits.ALIVE_COUNT}",
    ]


def git_env(config: Path | None, askpass: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for git: our ssh config, strict host-key checking, and no prompts.

    BatchMode stops every prompt; a key with a passphrase instead gets it from `askpass`
    (see askpass.py), since BatchMode would make ssh skip that key.
    """
    env = git.no_prompt_env()
    command = [*ssh_args(config), "-o", "StrictHostKeyChecking=yes", *bounded_waits()]
    if askpass:
        env.update(askpass)
    else:
        command += ["-o", "BatchMode=yes"]
    env["GIT_SSH_COMMAND"] = shlex.join(command)
    return env
