"""`bootstrap remove` on a terminal: it asks before deleting the key from IAM.

pexpect drives the real command in a pseudo-terminal, waiting on the question's text.
"""

from __future__ import annotations

import io
import sys
from typing import Any

import pexpect
import pytest
from test_init_e2e import iam_keys, init, ready

from sandbox.case import SandboxCase

pytestmark = pytest.mark.e2e


def spawn_remove(case: SandboxCase) -> Any:
    child = pexpect.spawn(
        sys.executable,
        ["-m", "bootstrap", "remove", "--region", case.region],
        env=case.env | {"TERM": "xterm-256color", "PROMPT_TOOLKIT_NO_CPR": "1"},
        cwd=str(case.home),
        encoding="utf-8",
        codec_errors="replace",
        dimensions=(60, 200),
        timeout=90,
    )
    child.logfile_read = io.StringIO()
    return child


def finish(child: Any) -> int:
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus is not None, child.logfile_read.getvalue()
    return int(child.exitstatus)


@pytest.mark.parametrize("reply", ["n", "y"])
def test_it_asks_before_deleting_the_key_from_iam(sandbox: SandboxCase, reply: str) -> None:
    repo = ready(sandbox)
    config = sandbox.ssh_dir / "config"
    before = config.read_bytes()
    assert init(sandbox, "--repo", repo).returncode == 0
    [key] = iam_keys(sandbox)

    child = spawn_remove(sandbox)
    child.expect_exact(f"Delete SSH key {key['SSHPublicKeyId']} from IAM user {sandbox.user_name}?")
    child.send(reply)

    assert finish(child) == 0, child.logfile_read.getvalue()
    assert iam_keys(sandbox) == ([] if reply == "y" else [key])
    assert config.read_bytes() == before  # the local part is removed either way
