"""A temporary account home that the real ssh believes in, for in-process config tests.

`use_home` points the LD_PRELOAD user-database shim (sandbox.userdb) at a temporary home for
every ssh this process starts, sets $HOME (glibc's glob expands `~` in an `Include` from it),
and makes bootstrap.locations agree. `ssh_g` then asks the real `ssh -G`, reading the home's
~/.ssh/config exactly as a user's ssh would; `config_step` runs init's ssh config step there.
The `ssh_home` fixture (tests/conftest.py) gives one in a test's tmp_path.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bootstrap.ssh import config_plan, locations
from sandbox.userdb import home_env

HOST = "git-codecommit.us-east-1.amazonaws.com"
PATTERN = "git-codecommit.*.amazonaws.com"


@dataclass(frozen=True)
class SshHome:
    home: Path
    env: dict[str, str]

    @property
    def ssh_dir(self) -> Path:
        return self.home / ".ssh"

    @property
    def config(self) -> Path:
        return self.ssh_dir / "config"

    @property
    def key_path(self) -> Path:
        return self.ssh_dir / "codecommit_rsa"

    def write_config(self, data: bytes, mode: int = 0o600) -> None:
        self.config.write_bytes(data)
        os.chmod(self.config, mode)

    def ssh_g(self, host: str = HOST, *extra: str) -> subprocess.CompletedProcess[str]:
        """The real `ssh -G HOST` as this home's account would run it."""
        return subprocess.run(
            ["ssh", *extra, "-G", host],
            env={**os.environ, **self.env},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
        )

    def resolved(self, host: str = HOST) -> tuple[str | None, str | None]:
        """(user, first identityfile) that the real ssh picks for host."""
        done = self.ssh_g(host)
        assert done.returncode == 0, done.stderr
        user = identity = None
        for line in done.stdout.splitlines():
            key, _, value = line.partition(" ")
            if key == "user" and user is None:
                user = value
            if key == "identityfile" and identity is None:
                identity = value
        return user, identity

    def config_step(
        self, key_id: str, path: Path | None = None, **options: Any
    ) -> tuple[config_plan.ConfigPlan, str]:
        """One `init` ssh config step, as init's look/act run it: plan our block for `key_id`
        in `path` (default: ~/.ssh/config), prove it with ssh -G, write it, verify it. Returns
        the plan and the action; `options` (host=, keychain=) go to config_plan.plan."""
        path = path or self.config
        plan = config_plan.plan(path, path == self.config, PATTERN, self.key_path, **options)
        plan = config_plan.prove_candidate(plan, HOST, self.key_path)
        action = config_plan.write(plan, key_id)
        config_plan.verify_written(plan, HOST, key_id, self.key_path)
        return plan, action


def use_home(monkeypatch: pytest.MonkeyPatch, home: Path) -> SshHome:
    (home / ".ssh").mkdir(mode=0o700, parents=True, exist_ok=True)
    env = home_env(home) | {"HOME": str(home)}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(locations, "ssh_home", lambda: home)
    return SshHome(home, env)
