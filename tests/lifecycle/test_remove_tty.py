"""`bootstrap remove` on a terminal: it asks before deleting the key from IAM.

pexpect drives the real command in a pseudo-terminal, waiting on the question's text.
"""

from __future__ import annotations

import pytest
from terminal import finish, spawn

from sandbox.case import SandboxCase

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("reply", ["n", "y"])
def test_it_asks_before_deleting_the_key_from_iam(sandbox: SandboxCase, reply: str) -> None:
    repo = sandbox.ready()
    config = sandbox.ssh_dir / "config"
    before = config.read_bytes()
    assert sandbox.init("--repo", repo).returncode == 0
    [key] = sandbox.iam_keys()

    after_init = config.read_bytes()

    child = spawn(sandbox, "remove", "--region", sandbox.region)
    child.expect_exact(f"Delete SSH key {key['SSHPublicKeyId']} from IAM user {sandbox.user_name}")
    child.expect_exact("no keeps both (--keep-iam-key: only the setup)")
    child.send(reply)

    if reply == "y":
        assert finish(child) == 0, child.logfile_read.getvalue()
        assert sandbox.iam_keys() == []
        assert config.read_bytes() == before
    else:  # no keeps what the question says it keeps
        assert finish(child) == 130, child.logfile_read.getvalue()
        assert "nothing was changed" in child.logfile_read.getvalue()
        assert sandbox.iam_keys() == [key]
        assert config.read_bytes() == after_init
