"""status, rotate and remove know an HTTPS setup: what init wrote, found again, and taken away
exactly (the git config byte for byte as it was)."""

from __future__ import annotations

import json

import pytest

from sandbox.case import SandboxCase

pytestmark = pytest.mark.e2e


def set_up_https(case: SandboxCase) -> str:
    repo = case.create_repo()
    done = case.run("init", "--yes", "--region", case.region, "--repo", repo, "--protocol", "https")
    assert done.returncode == 0, done.stderr
    return repo


def test_status_shows_the_protocol_the_section_and_that_the_helper_can_sign(
    https_sandbox: SandboxCase,
) -> None:
    case = https_sandbox
    case.use_role_session()
    set_up_https(case)
    done = case.run("status", "--region", case.region, "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["protocol"] == "https" and report["complete"] is True
    sections = {check["step"]: check for check in report["steps"]}
    assert "git-codecommit.*.amazonaws.com" in sections["git config"]["summary"]
    assert "session credentials" in sections["credentials"]["summary"]
    text = case.run("status", "--region", case.region)
    assert "Complete: HTTPS access to CodeCommit is set up." in text.stdout


def test_status_without_credentials_says_the_helper_cannot_sign(
    https_sandbox: SandboxCase,
) -> None:
    case = https_sandbox
    set_up_https(case)
    (case.home / ".aws" / "credentials").unlink()
    done = case.run("status", "--region", case.region, "--json")
    assert done.returncode == 3, done.stderr
    sections = {check["step"]: check for check in json.loads(done.stdout)["steps"]}
    assert sections["credentials"]["status"] == "fail"


def test_rotate_says_there_is_no_key_to_rotate_and_changes_nothing(
    https_sandbox: SandboxCase,
) -> None:
    case = https_sandbox
    repo = set_up_https(case)
    before = case.snapshot()
    done = case.run("rotate", "--yes", "--region", case.region, "--repo", repo)
    assert done.returncode == 0, done.stderr
    assert "no SSH key to rotate" in done.stdout
    assert case.snapshot() == before
    assert case.iam_keys() == []


@pytest.mark.parametrize("had_gitconfig", [False, True], ids=["no gitconfig", "own gitconfig"])
def test_remove_leaves_the_git_config_byte_identical(
    https_sandbox: SandboxCase, had_gitconfig: bool
) -> None:
    case = https_sandbox
    gitconfig = case.home / ".gitconfig"
    own = b'[user]\n\tname = Alice\n[credential "https://github.com"]\n\thelper = store\n'
    if had_gitconfig:
        gitconfig.write_bytes(own)
    set_up_https(case)
    assert b"git-credential" in gitconfig.read_bytes()
    done = case.run("remove", "--yes", "--region", case.region, "--json")
    assert done.returncode == 0, done.stderr
    steps = {step["step"]: step for step in json.loads(done.stdout)["steps"]}
    assert steps["git"]["action"] == "removed"
    if had_gitconfig:
        assert gitconfig.read_bytes() == own
    else:
        assert not gitconfig.exists()
    again = case.run("remove", "--yes", "--region", case.region, "--json")
    assert again.returncode == 0, again.stderr
    assert {s["step"]: s for s in json.loads(again.stdout)["steps"]}["git"]["action"] == "unchanged"
