"""`init` over HTTPS, end to end: the real git, through a CONNECT proxy with git's own proxy and
CA settings, to the HTTPS double, which checks the signature our helper made."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sandbox.case import SandboxCase
from sandbox.net import free_port
from sandbox.policies import MFA_POLICY

pytestmark = pytest.mark.e2e


def init_https(case: SandboxCase, *extra: str) -> tuple[int, dict[str, Any], str]:
    done = case.run("init", "--yes", "--region", case.region, "--json", *extra)
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, json.loads(done.stdout), done.stderr


def steps(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {step["step"]: step for step in report["steps"]}


def test_a_role_session_gets_https_and_a_plain_git_clone_works(
    https_sandbox: SandboxCase,
) -> None:
    case = https_sandbox
    repo = case.create_repo()
    case.use_role_session()
    code, report, stderr = init_https(case, "--repo", repo)
    assert code == 0, stderr
    found = steps(report)
    assert "SSH keys need an IAM user, so HTTPS" in found["identity"]["summary"]
    assert found["git"]["action"] == "created"
    assert found["test clone"]["url"] == case.https_url(repo)
    assert report["next"] == [f"Next: git clone {case.https_url(repo)}"]
    # What the user types next works with nothing more: git asks our helper.
    cloned = case.git("clone", case.https_url(repo), str(case.home / "work"))
    assert cloned.returncode == 0, cloned.stderr
    assert (case.home / "work" / "README.md").is_file()
    assert not (case.home / ".ssh" / "codecommit_rsa").exists()  # no key for HTTPS


def test_a_second_run_changes_no_byte_of_the_git_config(https_sandbox: SandboxCase) -> None:
    case = https_sandbox
    repo = case.create_repo()
    case.use_role_session()
    assert init_https(case, "--repo", repo)[0] == 0
    before = (case.home / ".gitconfig").read_bytes()
    code, report, stderr = init_https(case, "--repo", repo)
    assert code == 0, stderr
    assert steps(report)["git"]["action"] == "unchanged"
    assert (case.home / ".gitconfig").read_bytes() == before


def test_an_iam_user_chooses_https_with_the_flag_and_a_rerun_keeps_it(
    https_sandbox: SandboxCase,
) -> None:
    case = https_sandbox
    repo = case.create_repo()
    code, report, stderr = init_https(case, "--repo", repo, "--protocol", "https")
    assert code == 0, stderr
    assert steps(report)["git"]["action"] == "created"
    code, report, stderr = init_https(case, "--repo", repo)  # no --protocol: kept
    assert code == 0, stderr
    assert "HTTPS, as set up before" in steps(report)["identity"]["summary"]
    assert "ssh config" not in steps(report)


def test_ssh_for_a_role_names_protocol_https(https_sandbox: SandboxCase) -> None:
    case = https_sandbox
    case.use_role_session()
    code, report, _ = init_https(case, "--repo", case.create_repo(), "--protocol", "ssh")
    assert code == 3
    assert "--protocol https" in report["error"]["fix"]


def test_the_mfa_deny_over_https_without_a_session_is_explained_and_the_setup_kept(
    https_sandbox: SandboxCase,
) -> None:
    case = https_sandbox
    repo = case.create_repo()
    case.put_user_policy(MFA_POLICY, "mfa")
    code, report, stderr = init_https(case, "--repo", repo, "--protocol", "https")
    assert code == 7, stderr
    assert report["error"]["kind"] == "mfa-explicit-deny"
    assert "signed without an MFA session" in report["error"]["cause"]
    assert "BlockMostAccessUnlessSignedInWithMFA" in report["error"]["cause"]
    assert steps(report)["git"]["action"] == "created"  # kept: the setup is right


def test_check_previews_https_and_changes_nothing(https_sandbox: SandboxCase) -> None:
    case = https_sandbox
    case.use_role_session()
    done = case.run(
        "init", "--yes", "--region", case.region, "--repo", case.create_repo(), "--check"
    )
    assert done.returncode == 10, done.stderr
    assert not (case.home / ".gitconfig").exists()


def test_port_22_silent_unattended_fails_naming_protocol_https(sandbox: SandboxCase) -> None:
    case = sandbox
    closed = free_port()  # nothing listens: the SSH port is blocked
    case.write_ssh_config(
        f"Host git-codecommit.*.amazonaws.com\n    HostName 127.0.0.1\n    Port {closed}\n"
    )
    before = case.snapshot()
    done = case.init("--repo", case.create_repo(), "--json")
    assert done.returncode == 6, done.stderr
    error = json.loads(done.stdout)["error"]
    assert f"port {closed}" in error["cause"]
    assert "--protocol https" in error["fix"]
    assert case.snapshot() == before  # refused before anything was written
    assert case.iam_keys() == []


def test_no_such_repository_over_https_is_said(https_sandbox: SandboxCase) -> None:
    case = https_sandbox
    case.use_role_session()
    code, report, stderr = init_https(case, "--repo", "not-there")
    assert code == 7, stderr
    assert report["error"]["kind"] == "no-repository"


def test_a_role_without_a_git_grant_meets_the_implicit_deny(https_sandbox: SandboxCase) -> None:
    case = https_sandbox
    case.use_role_session(grant_git=False)
    code, report, stderr = init_https(case, "--repo", case.create_repo())
    assert code == 7, stderr
    assert report["error"]["kind"] == "implicit-deny"


def test_rejected_credentials_give_the_bare_403_explained(https_sandbox: SandboxCase) -> None:
    case = https_sandbox
    repo = case.create_repo()
    assert init_https(case, "--repo", repo, "--protocol", "https")[0] == 0
    credentials = case.home / ".aws" / "credentials"
    text = credentials.read_text()
    credentials.write_text(text.replace(case.creds.secret_access_key, "not-the-secret"))
    code, report, stderr = init_https(case, "--repo", repo, "--retest")
    assert code == 7, stderr
    assert report["error"]["kind"] == "https-refused"
    assert "clock" in report["error"]["cause"]
