"""`bootstrap rotate` on a terminal asks once before changing anything; no means no change."""

from __future__ import annotations

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
