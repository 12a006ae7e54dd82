"""`bootstrap rotate` on a terminal asks once before changing anything; no means no change. A
key with a passphrase gets its successor's asked for, never silently dropped."""

from __future__ import annotations

import subprocess

import pytest
from terminal import finish, spawn

from sandbox.case import SandboxCase

pytestmark = pytest.mark.e2e


def test_answering_no_changes_nothing(sandbox: SandboxCase) -> None:
    repo = sandbox.ready()
    assert sandbox.init("--repo", repo).returncode == 0
    before, keys_before = sandbox.snapshot(), sandbox.iam_keys()
    [key] = keys_before
    child = spawn(sandbox, "rotate", "--region", sandbox.region, "--repo", repo)
    child.expect_exact(f"Replace {key['SSHPublicKeyId']} with a new key")
    child.send("n")
    assert finish(child) == 130, child.logfile_read.getvalue()
    assert sandbox.snapshot() == before
    assert sandbox.iam_keys() == keys_before


def test_a_key_with_a_passphrase_gets_a_new_passphrase_asked_for(sandbox: SandboxCase) -> None:
    repo = sandbox.ready()
    sandbox.env["OLD_PASSPHRASE"] = "old horse battery"
    assert sandbox.init("--repo", repo, "--passphrase-env", "OLD_PASSPHRASE").returncode == 0
    child = spawn(
        sandbox, "rotate", "--region", sandbox.region, "--repo", repo, "--key-bits", "2048"
    )
    child.expect_exact("Passphrase for the new key (the old key has one")
    child.sendline("new staple battery")
    child.expect_exact("The same passphrase again")
    child.sendline("new staple battery")
    child.expect_exact("with a new key")
    child.send("y")
    assert finish(child) == 0, child.logfile_read.getvalue()
    assert "new staple" not in child.logfile_read.getvalue()
    read = ["ssh-keygen", "-y", "-f", str(sandbox.ssh_dir / "codecommit_rsa")]
    assert subprocess.run([*read, "-P", ""], capture_output=True).returncode != 0
    assert subprocess.run([*read, "-P", "new staple battery"], capture_output=True).returncode == 0
