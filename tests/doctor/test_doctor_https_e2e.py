"""`bootstrap doctor` over HTTPS, end to end: moto STS/IAM, the real git through the CONNECT proxy
(HTTPS_PROXY, GIT_SSL_CAINFO) to the HTTPS double, which checks what our helper signed."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sandbox.case import SandboxCase
from sandbox.net import free_port
from sandbox.policies import MFA_POLICY

pytestmark = pytest.mark.e2e

HTTPS_CHECKS = ["credentials", "git config", "credential helper", "port 443"]


def init_https(case: SandboxCase, *extra: str) -> None:
    done = case.run("init", "--yes", "--region", case.region, "--protocol", "https", *extra)
    assert done.returncode == 0, done.stdout + done.stderr


def doctor(case: SandboxCase, *extra: str) -> tuple[int, dict[str, Any]]:
    """`doctor --json`: (exit code, the document), with its checks also by name."""
    done = case.run("doctor", "--region", case.region, "--json", *extra)
    assert "Traceback" not in done.stderr, done.stderr
    report = json.loads(done.stdout)
    assert report["ok"] is (done.returncode == 0)
    report["by_name"] = {check["step"]: check for check in report["steps"]}
    return done.returncode, report


def test_a_role_session_set_up_by_init_is_all_ok_and_doctor_changes_nothing(
    https_sandbox: SandboxCase,
) -> None:
    case = https_sandbox
    repo = case.create_repo()
    case.use_role_session()
    done = case.run("init", "--yes", "--region", case.region, "--repo", repo)
    assert done.returncode == 0, done.stdout + done.stderr
    before = case.snapshot()
    done = case.run("doctor", "--region", case.region, "--repo", repo)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = [line for line in done.stdout.splitlines() if not line.startswith("  fix:")]
    assert [line.split(":")[0] for line in lines] == [
        "✓ credentials",
        "✓ git config",
        "✓ credential helper",
        "✓ port 443",
        "✓ git",
    ]
    assert "role session alice of role dev-role-" in lines[0]
    assert "session credentials (temporary)" in lines[2]
    assert "through the proxy http://127.0.0.1:" in lines[3] and "(HTTPS_PROXY)" in lines[3]
    assert "CONNECT answered `HTTP/1.1 200" in lines[3]
    assert f"git ls-remote {case.https_url(repo)} works" in lines[4]
    assert case.snapshot() == before


def test_an_iam_user_over_https_is_found_without_the_flag_and_the_live_git_passes(
    https_sandbox: SandboxCase,
) -> None:
    case = https_sandbox
    repo = case.create_repo()
    init_https(case, "--repo", repo)
    before = case.snapshot()
    code, report = doctor(case, "--repo", repo)
    assert code == 0, report
    assert report["command"] == "doctor" and report["protocol"] == "https"
    assert [check["step"] for check in report["steps"]] == [*HTTPS_CHECKS, "git"]
    assert all(check["status"] == "ok" for check in report["steps"]), report["steps"]
    checks = report["by_name"]
    assert checks["credentials"]["summary"].startswith(f"IAM user {case.user_name} (arn:aws:iam::")
    assert "https://git-codecommit.*.amazonaws.com" in checks["git config"]["summary"]
    assert "signing with the default credentials" in checks["git config"]["summary"]
    assert "a long-term access key" in checks["credential helper"]["summary"]
    assert case.snapshot() == before


def test_protocol_ssh_checks_ssh_even_when_https_is_set_up(https_sandbox: SandboxCase) -> None:
    case = https_sandbox
    init_https(case, "--no-clone")
    _, report = doctor(case, "--protocol", "ssh")
    assert report["protocol"] == "ssh"
    assert "local key" in report["by_name"] and "git config" not in report["by_name"]


def test_the_mfa_deny_fails_the_live_git_with_its_kind_and_exit_7(
    https_sandbox: SandboxCase,
) -> None:
    case = https_sandbox
    repo = case.create_repo()
    init_https(case, "--no-clone")
    case.put_user_policy(MFA_POLICY, "mfa")
    code, report = doctor(case, "--repo", repo)
    assert code == 7
    checks = report["by_name"]
    for name in HTTPS_CHECKS:
        assert checks[name]["status"] == "ok", checks[name]
    git = checks["git"]
    assert git["status"] == "fail" and git["kind"] == "mfa-explicit-deny"
    assert "signed without an MFA session" in git["summary"]
    assert "BlockMostAccessUnlessSignedInWithMFA" in git["summary"]
    assert "bootstrap policy" in git["fix"]


def test_no_credentials_fails_with_exit_3_and_the_local_checks_still_run(
    https_sandbox: SandboxCase,
) -> None:
    case = https_sandbox
    repo = case.create_repo()
    init_https(case, "--no-clone")
    (case.home / ".aws" / "credentials").unlink()
    code, report = doctor(case, "--repo", repo)
    assert code == 3
    checks = report["by_name"]
    assert checks["credentials"]["status"] == "fail"
    assert "no AWS credentials" in checks["credentials"]["summary"]
    assert "aws configure" in checks["credentials"]["fix"]
    assert checks["credential helper"]["status"] == "fail"
    helper = checks["credential helper"]["summary"]
    assert "no AWS credentials found for profile 'default'" in helper
    for local in ("git config", "port 443"):
        assert checks[local]["status"] == "ok", checks[local]
    git = checks["git"]
    assert git["status"] == "fail" and git["kind"] == "https-no-credentials"
    assert "bootstrap's helper could not sign (no AWS credentials" in git["summary"]


def test_a_proxy_that_refuses_fails_port_443_naming_the_proxy(https_sandbox: SandboxCase) -> None:
    case = https_sandbox
    init_https(case, "--no-clone")
    dead = f"http://127.0.0.1:{free_port()}"
    case.env["HTTPS_PROXY"] = dead
    code, report = doctor(case)
    assert code == 7
    check = report["by_name"]["port 443"]
    assert check["status"] == "fail" and check["kind"] == "https-unreachable"
    assert f"through the proxy {dead} (HTTPS_PROXY)" in check["summary"]
    assert "Connection refused" in check["summary"]
    assert "check HTTPS_PROXY" in check["fix"]
    assert report["by_name"]["credentials"]["status"] == "ok"


def test_a_proxy_that_refuses_the_host_names_its_answer(https_sandbox: SandboxCase) -> None:
    case = https_sandbox
    init_https(case, "--no-clone")
    code, report = doctor(case, "--region", "eu-west-1")  # a host the proxy does not route
    assert code == 7
    check = report["by_name"]["port 443"]
    assert check["status"] == "fail"
    assert "refused `CONNECT git-codecommit.eu-west-1.amazonaws.com:443`" in check["summary"]
    assert "`HTTP/1.1 403 Forbidden`" in check["summary"]


def test_a_helper_that_keeps_passwords_after_ours_is_a_warning(
    https_sandbox: SandboxCase,
) -> None:
    case = https_sandbox
    init_https(case, "--no-clone")
    assert case.git("config", "--global", "credential.helper", "store").returncode == 0
    code, report = doctor(case)
    assert code == 0
    check = report["by_name"]["git config"]
    assert check["status"] == "warn"
    assert "git also asks `helper = store` ([credential] in ~/.gitconfig)" in check["summary"]
    assert "15 minutes" in check["summary"] and "403" in check["summary"]
    assert "remove `helper = store` from ~/.gitconfig" in check["fix"]


def test_no_git_config_section_points_to_init(https_sandbox: SandboxCase) -> None:
    case = https_sandbox
    code, report = doctor(case, "--protocol", "https")
    assert code == 5
    check = report["by_name"]["git config"]
    assert check["status"] == "fail"
    assert "no bootstrap credential section in ~/.gitconfig" in check["summary"]
    assert "run `bootstrap init --protocol https`" in check["fix"]
    assert report["protocol"] == "https"


def test_an_error_before_the_checks_keeps_the_document_and_its_protocol(
    https_sandbox: SandboxCase,
) -> None:
    case = https_sandbox
    done = case.run("doctor", "--protocol", "https", "--region", "nowhere", "--json")
    assert done.returncode == 2, done.stderr
    report = json.loads(done.stdout)
    assert report["command"] == "doctor" and report["protocol"] == "https"
    assert report["ok"] is False and report["steps"] == [] and report["exit_code"] == 2
    assert "--region" in report["error"]["fix"]
