"""`bootstrap rotate` on a terminal asks once before changing anything; no means no change."""

from __future__ import annotations

import io
import sys

import pexpect
import pytest
from test_init_e2e import iam_keys, init, ready, snapshot

from sandbox.case import SandboxCase

pytestmark = pytest.mark.e2e


def test_answering_no_changes_nothing(sandbox: SandboxCase) -> None:
    repo = ready(sandbox)
    assert init(sandbox, "--repo", repo).returncode == 0
    before, keys_before = snapshot(sandbox.home), iam_keys(sandbox)
    [key] = keys_before
    child = pexpect.spawn(
        sys.executable,
        ["-m", "bootstrap", "rotate", "--region", sandbox.region, "--repo", repo],
        env=sandbox.env | {"TERM": "xterm-256color", "PROMPT_TOOLKIT_NO_CPR": "1"},
        cwd=str(sandbox.home),
        encoding="utf-8",
        codec_errors="replace",
        dimensions=(60, 200),
        timeout=90,
    )
    child.logfile_read = io.StringIO()
    child.expect_exact(f"Replace {key['SSHPublicKeyId']} with a new key")
    child.send("n")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130, child.logfile_read.getvalue()
    assert snapshot(sandbox.home) == before
    assert iam_keys(sandbox) == keys_before
