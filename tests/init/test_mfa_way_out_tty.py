"""At a terminal, SSH git under a deny-unless-MFA policy: the wizard names both ways out, asks
which, and for the one that keeps the policy goes on over HTTPS with an MFA session."""

from __future__ import annotations

import json
from typing import Any

import pytest
from terminal import finish, spawn

from sandbox.case import SandboxCase
from sandbox.policies import MFA_POLICY

pytestmark = pytest.mark.e2e

ENTER, DOWN = "\r", "\x1b[B"


def answer(child: Any, prompt: str, keys: str = ENTER) -> None:
    child.expect_exact(prompt)
    child.send(keys)


def ssh_setup_refused(case: SandboxCase) -> tuple[Any, str]:
    """Run the wizard with the repository given, through to SSH git's refusal."""
    repo = case.ready()
    case.trust_host_key()
    case.enable_mfa()
    case.put_user_policy(MFA_POLICY, "mfa")
    child = spawn(
        case, "init", "--region", case.region, "--repo", repo, "--key-bits", "2048",
        "--clone-dir", str(case.home / "clone"), NO_COLOR="1",
    )  # fmt: skip
    answer(child, "Set up SSH access for IAM user")
    answer(child, "Passphrase for the new key")
    answer(child, "Go ahead?")
    child.expect_exact("SSH git is refused")
    child.expect_exact("Which way?")
    return child, repo


def test_keeping_the_policy_goes_on_over_https_with_one_mfa_code(
    mfa_sandbox: SandboxCase,
) -> None:
    case = mfa_sandbox
    child, repo = ssh_setup_refused(case)
    before = case.iam.client("iam").get_user_policy(UserName=case.user_name, PolicyName="mfa")
    child.send(ENTER)  # the first, recommended way: HTTPS with an MFA session
    answer(child, f"MFA code for {case.mfa_serial}", case.mfa_code() + ENTER)
    answer(child, "Go ahead?")
    assert finish(child) == 0, child.transcript.getvalue()
    transcript = child.transcript.getvalue()
    assert "HTTPS with an MFA session" in transcript
    assert (case.home / "clone" / "README.md").exists()
    after = case.iam.client("iam").get_user_policy(UserName=case.user_name, PolicyName="mfa")
    assert json.dumps(after["PolicyDocument"]) == json.dumps(before["PolicyDocument"])
    # A later plain git clone signs with the cached session and asks nothing.
    cloned = case.git("clone", case.https_url(repo), str(case.home / "again"))
    assert cloned.returncode == 0, cloned.stderr


def test_choosing_the_policy_change_ends_with_the_command_that_makes_it(
    mfa_sandbox: SandboxCase,
) -> None:
    child, _repo = ssh_setup_refused(mfa_sandbox)
    child.send(DOWN + ENTER)
    assert finish(child) == 7, child.transcript.getvalue()
    transcript = child.transcript.getvalue()
    assert "bootstrap policy" in transcript
    assert "MFA code" not in transcript  # no session was started
    assert not (mfa_sandbox.home / ".aws" / "bootstrap" / "mfa").exists()
