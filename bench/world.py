"""The benchmark's world: one moto server, one real sshd, and a fresh developer per run.

It reuses the test sandbox (sandbox/): each developer is a SandboxCase with its own temporary
home, IAM user and repository, and ssh, git and Python all see that home as the account's
(the LD_PRELOAD user-database shim).
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sandbox.case import SandboxCase
from sandbox.iam import MotoIam
from sandbox.sshd import OpenSshCodeCommit, find_sshd
from sandbox.userdb import ShimBuildError, build_shim

REGION = "us-east-1"


class MissingTool(SystemExit):
    """A program the benchmark needs is not installed: say which, and how to get it."""

    def __init__(self, what: str, fix: str) -> None:
        super().__init__(f"bench: {what}\n  fix: {fix}")


def aws_cli() -> Path:
    """The aws CLI of this Python environment if it has one, else the first on PATH."""
    beside = Path(sys.executable).parent / "aws"
    if beside.is_file() and os.access(beside, os.X_OK):
        return beside
    found = shutil.which("aws")
    if found is None:
        raise MissingTool(
            "the manual path needs the aws CLI, and there is none on PATH",
            f"{sys.executable} -m pip install awscli   (or: pip install -e '.[bench]')",
        )
    return Path(found)


def bootstrap_command() -> list[str]:
    """How a developer runs the tool: the installed console script, else `python -m`."""
    script = Path(sys.executable).parent / "bootstrap"
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", "bootstrap"]


def check_programs() -> None:
    for program, package in (
        ("ssh", "openssh-client"),
        ("ssh-keygen", "openssh-client"),
        ("git", "git"),
        ("gcc", "gcc libc6-dev"),
    ):
        if shutil.which(program) is None:
            raise MissingTool(f"`{program}` is not on PATH", f"apt-get install {package}")
    if find_sshd() is None:
        raise MissingTool("OpenSSH's sshd is not installed", "apt-get install openssh-server")
    try:
        build_shim()
    except ShimBuildError as error:
        raise MissingTool(str(error), "apt-get install gcc libc6-dev") from None


def version_of(*command: str, env: dict[str, str] | None = None) -> str:
    """The first line a `--version`-like command prints, or "?"."""
    done = subprocess.run(
        command, capture_output=True, text=True, check=False, env=os.environ | (env or {})
    )
    return (done.stdout or done.stderr).strip().splitlines()[0] if done.returncode == 0 else "?"


@dataclass
class Developer:
    """One run's developer: a fresh home and IAM user, routed to the sshd, with a repo."""

    case: SandboxCase
    repo: str

    @property
    def home(self) -> Path:
        return self.case.home


class World:
    def __init__(self, root: Path, iam: MotoIam, server: OpenSshCodeCommit) -> None:
        self.root = root
        self.iam = iam
        self.server = server
        self._numbers = itertools.count(1)

    def developer(self, label: str) -> Developer:
        home = self.root / f"{label}-{next(self._numbers)}" / "home"
        case = SandboxCase.create(home, self.iam, self.server)
        case.write_routing()  # the sandbox's DNS: the real host name leads to our sshd
        return Developer(case, case.create_repo("bench"))

    def retire(self, dev: Developer) -> None:
        """Delete the developer's IAM user. The sandbox sshd looks a key id up across all
        users, so every user left behind would make later connections slower."""
        iam = self.iam.client("iam")
        user = dev.case.user_name
        for key in iam.list_ssh_public_keys(UserName=user)["SSHPublicKeys"]:
            iam.delete_ssh_public_key(UserName=user, SSHPublicKeyId=key["SSHPublicKeyId"])
        for key in iam.list_access_keys(UserName=user)["AccessKeyMetadata"]:
            iam.delete_access_key(UserName=user, AccessKeyId=key["AccessKeyId"])
        for name in iam.list_user_policies(UserName=user)["PolicyNames"]:
            iam.delete_user_policy(UserName=user, PolicyName=name)
        iam.delete_user(UserName=user)


@contextmanager
def started() -> Iterator[World]:
    """Start the servers once for the whole session; remove every home afterwards."""
    check_programs()
    with (
        tempfile.TemporaryDirectory(prefix="bootstrap-bench-") as root,
        MotoIam() as iam,
        OpenSshCodeCommit(Path(root) / "server", iam, REGION) as server,
    ):
        yield World(Path(root), iam, server)
