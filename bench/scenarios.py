"""The three things the benchmark times, each returning seconds per step (wall clock).

(a) `bootstrap init --yes` on a fresh home, (b) the same again, (c) the manual path. The same
key size for (a) and (c). Host keys: (a) fetches the server's key and checks it itself (with
--accept-host-key, since the sandbox's key is not the one AWS publishes for us-east-1); for
(c), the known_hosts line is written before the clock starts, as if the developer had answered
ssh's question (human time no benchmark can measure), so (c) is, if anything, flattered.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.world import Developer

Steps = dict[str, float]  # step name -> seconds, in the order they ran


class RunFailed(RuntimeError):
    pass


def run(command: Sequence[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        list(command),
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    if done.returncode != 0:
        raise RunFailed(
            f"`{' '.join(command)}` exited {done.returncode}:\n{done.stdout}{done.stderr}"
        )
    return done


def timed(
    steps: Steps,
    name: str,
    command: Sequence[str],
    dev: Developer,
    env: dict[str, str] | None = None,
) -> str:
    start = time.perf_counter()
    done = run(command, dev.case.env | (env or {}), dev.home)
    steps[name] = time.perf_counter() - start
    return done.stdout


@dataclass(frozen=True)
class Tool:
    """How to start `bootstrap`: the command, and environment to add (PYTHONPATH for
    --source, to time another checkout with the same interpreter)."""

    command: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict)

    def init(self, dev: Developer, bits: int, *extra: str) -> list[str]:
        """What a developer types (the region comes from their AWS profile, as for the aws
        CLI)."""
        return [
            *self.command,
            "init",
            "--yes",
            "--repo",
            dev.repo,
            "--key-bits",
            str(bits),
            "--accept-host-key",
            dev.case.server.host_key_fingerprint,
            *extra,
        ]


def bootstrap_init(tool: Tool, dev: Developer, bits: int, *extra: str) -> float:
    """Seconds for one `bootstrap init`: (a) on a fresh developer, (b) on one that ran it."""
    steps: Steps = {}
    timed(steps, "bootstrap init", tool.init(dev, bits, *extra), dev, tool.env)
    return steps["bootstrap init"]


CONFIG_BLOCK = """
Host git-codecommit.*.amazonaws.com
    User {key_id}
    IdentityFile ~/.ssh/codecommit_rsa
    IdentitiesOnly yes
"""


def manual(aws: Path, dev: Developer, bits: int) -> Steps:
    """(c) What the CodeCommit user guide has a developer do, one program after another."""
    dev.case.trust_host_key()  # before the clock: see the module docstring
    key = dev.case.ssh_dir / "codecommit_rsa"
    steps: Steps = {}
    keygen = ["ssh-keygen", "-q", "-t", "rsa", "-b", str(bits), "-N", "", "-f", str(key)]
    timed(steps, "ssh-keygen", keygen, dev)
    identity = _json(
        timed(steps, "aws sts get-caller-identity", _aws(aws, "sts", "get-caller-identity"), dev)
    )
    user = str(identity["Arn"]).rsplit("/", 1)[-1]
    timed(
        steps,
        "aws iam list-ssh-public-keys",
        _aws(aws, "iam", "list-ssh-public-keys", "--user-name", user),
        dev,
    )
    uploaded = _json(
        timed(
            steps,
            "aws iam upload-ssh-public-key",
            _aws(
                aws,
                "iam",
                "upload-ssh-public-key",
                "--user-name",
                user,
                "--ssh-public-key-body",
                f"file://{key}.pub",
            ),
            dev,
        )
    )
    start = time.perf_counter()
    key_id = uploaded["SSHPublicKey"]["SSHPublicKeyId"]
    with open(dev.case.ssh_dir / "config", "a", encoding="utf-8") as config:
        config.write(CONFIG_BLOCK.format(key_id=key_id))
    steps["write ssh config"] = time.perf_counter() - start
    clone = ["git", "clone", "--quiet", dev.case.clone_url(dev.repo), str(dev.home / "clone")]
    timed(steps, "git clone", clone, dev)
    return steps


def _aws(aws: Path, *args: str) -> list[str]:
    return [str(aws), *args, "--output", "json"]


def _json(text: str) -> Any:
    return json.loads(text)
