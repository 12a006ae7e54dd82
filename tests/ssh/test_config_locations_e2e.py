"""Where the files are, end to end: ssh's home is not $HOME, and a --ssh-config that ssh does
not read by default. Either way the user is told where ssh really looks, and what works."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from sandbox.case import SandboxCase

pytestmark = pytest.mark.e2e


def test_home_env_elsewhere_ssh_files_go_where_ssh_reads_them_and_it_is_said(
    sandbox: SandboxCase,
) -> None:
    sandbox.write_routing()
    elsewhere = sandbox.home.parent / "home-env"
    shutil.copytree(sandbox.home / ".aws", elsewhere / ".aws")  # the AWS SDK reads $HOME
    sandbox.env["HOME"] = str(elsewhere)

    done = sandbox.init("--no-clone")
    assert done.returncode == 0, done.stderr
    assert f"$HOME is {elsewhere} but ssh takes ~ from the user database" in done.stderr
    assert (sandbox.ssh_dir / "codecommit_rsa").exists()
    assert "# >>> bootstrap" in (sandbox.ssh_dir / "config").read_text()
    assert not (elsewhere / ".ssh").exists()
    resolved = subprocess.run(
        ["ssh", "-G", sandbox.server.host], env=sandbox.env, capture_output=True, text=True,
        check=True,
    ).stdout  # fmt: skip
    assert "identityfile ~/.ssh/codecommit_rsa" in resolved and "user APKA" in resolved


def test_ssh_config_that_ssh_does_not_read_is_said_and_the_next_step_uses_it(
    sandbox: SandboxCase,
) -> None:
    other = sandbox.home / "project" / "ssh_config"
    other.parent.mkdir()
    other.write_text(sandbox.server.routing_config(sandbox.region))
    repo = sandbox.create_repo()

    done = sandbox.init("--repo", repo, "--ssh-config", str(other), "--json")
    assert done.returncode == 0, done.stderr
    assert "plain ssh and git will not use this block" in done.stderr
    report = json.loads(done.stdout)
    config = next(step for step in report["steps"] if step["step"] == "ssh config")
    assert f"ssh reads it only with -F {other}" in config["summary"]
    assert config["read_by_default"] is False
    assert any(f"GIT_SSH_COMMAND='ssh -F {other}'" in line for line in report["next"])
    # True on both counts: plain git fails, git with the -F it was told to use works.
    assert sandbox.git("ls-remote", sandbox.clone_url(repo)).returncode != 0
    sandbox.env["GIT_SSH_COMMAND"] = f"ssh -F {other}"
    assert sandbox.git("ls-remote", sandbox.clone_url(repo)).returncode == 0
