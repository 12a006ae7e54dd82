"""The block the AWS guide has people write by hand, with a key id gone stale since: `init`
comments out its User/IdentityFile lines so that exactly one block decides, says so (a warning
and the step's summary/JSON), and git works through our block."""

from __future__ import annotations

import json
import subprocess

import pytest

from bootstrap.ssh import managed_block
from sandbox.case import SandboxCase

pytestmark = pytest.mark.e2e

GUIDE_BLOCK = (
    "Host git-codecommit.*.amazonaws.com\n"
    "  User APKAEIBAERJR2EXAMPLE\n"
    "  IdentityFile ~/.ssh/codecommit_rsa\n"
)


def test_stale_hand_written_block_is_disabled_said_and_git_works(sandbox: SandboxCase) -> None:
    sandbox.write_ssh_config(GUIDE_BLOCK)
    sandbox.write_routing()
    repo = sandbox.create_repo()
    before = (sandbox.ssh_dir / "config").read_text()

    done = sandbox.run(
        "init", "--yes", "--json", "--region", sandbox.region, "--key-bits", "2048",
        "--repo", repo, "--accept-host-key", sandbox.server.host_key_fingerprint,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "hand-written CodeCommit section (lines 2, 3" in done.stderr
    assert "`bootstrap remove` puts them back" in done.stderr
    steps = {step["step"]: step for step in json.loads(done.stdout)["steps"]}
    config = steps["ssh config"]
    assert "hand-written CodeCommit lines 2, 3 commented out" in config["summary"]
    assert [line["text"] for line in config["disabled_lines"]] == [
        "User APKAEIBAERJR2EXAMPLE",
        "IdentityFile ~/.ssh/codecommit_rsa",
    ]

    after = (sandbox.ssh_dir / "config").read_text()
    assert f"{managed_block.DISABLED}  User APKAEIBAERJR2EXAMPLE" in after
    assert managed_block.remove_block(after) == before  # what `bootstrap remove` gives back
    resolved = subprocess.run(
        ["ssh", "-G", sandbox.server.host], env=sandbox.env, capture_output=True, text=True,
        check=True,
    ).stdout  # fmt: skip
    assert f"user {config['key_id']}" in resolved and "APKAEIBAERJR2EXAMPLE" not in resolved
    assert sandbox.git("ls-remote", sandbox.clone_url(repo)).returncode == 0
