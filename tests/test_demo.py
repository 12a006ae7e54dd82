"""`make demo`, the newcomer's first command: it must keep working end to end."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox.userdb import REPO_ROOT

pytestmark = pytest.mark.e2e


def test_demo_onboards_clones_and_reruns_unchanged(userdb_shim: Path, tmp_path: Path) -> None:
    home = tmp_path / "demo-home"
    done = subprocess.run(
        [sys.executable, "-m", "sandbox.demo"],
        cwd=REPO_ROOT,
        env={**os.environ, "SANDBOX_DEMO_HOME": str(home)},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    ssh_part, https_part = done.stdout.split("== a role session")
    first, again = ssh_part.split("== the same again")
    assert "✓ key          created: ~/.ssh/codecommit_rsa" in first
    assert "✓ test clone   cloned: ssh://git-codecommit.eu-south-1" in first
    assert "2048-bit key (IAM's smallest) because it is quick to generate" in first
    assert "SSH keys in IAM:\n  APKA" in first and "Active" in first and "[(" not in first
    assert "✓ identity     found: IAM user demo-developer" in again
    assert "created:" not in again and "updated:" not in again  # nothing changed
    assert "this exact setup cloned" in again
    assert "✓ plain git clone worked" in again
    assert (home / "src" / "demo" / "README.md").exists()  # the developer's own plain git clone
    assert (home / ".ssh" / "codecommit_rsa").exists()
    # The other path: a role session gets HTTPS from the same command, and plain git works.
    assert "SSH keys need an IAM user, so HTTPS" in https_part
    assert (
        "✓ git          created: ~/.gitconfig: https://git-codecommit.*.amazonaws.com" in https_part
    )
    assert (home / "sso-developer" / "src" / "demo" / "README.md").exists()
    assert https_part.count("✓ plain git clone worked") == 1
    assert done.stdout.rstrip().endswith("the README says what each command does.")
    assert "bootstrap init" in done.stdout.split("== what next")[1]
    assert not (home / "sso-developer" / ".ssh" / "codecommit_rsa").exists()
