"""`bootstrap doctor` end to end: moto IAM over HTTP, the real sshd, real ssh -G, ssh-keygen, git.

moto has no iam:SimulatePrincipalPolicy: the real path here is "cannot simulate: say so (warn)
and judge the user's policies offline". The simulator itself is tested with Stubber in
test_doctor.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from sandbox import policies
from sandbox.case import SandboxCase
from sandbox.userdb import REPO_ROOT

pytestmark = pytest.mark.e2e


def test_healthy_setup_after_init_is_all_ok_and_changes_nothing(sandbox: SandboxCase) -> None:
    repo, key_id = sandbox.set_up()
    before, keys_before = sandbox.snapshot(), sandbox.iam_keys()
    done = sandbox.run("doctor", "--region", sandbox.region, "--repo", repo)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert [line.split(":")[0] for line in lines if not line.startswith("  fix:")] == [
        "✓ credentials",
        "✓ local key",
        "✓ iam key",
        "✓ ssh config",
        "✓ port 22",
        "✓ known_hosts",
        "! iam policy",  # moto cannot simulate: said, and moved on
        "✓ iam policy (offline)",
        "✓ git",
    ]
    assert f"User {key_id}" in done.stdout
    assert "iam:SimulatePrincipalPolicy is not available" in done.stdout
    assert sandbox.snapshot() == before
    assert sandbox.iam_keys() == keys_before


def test_mfa_policy_is_predicted_and_the_live_git_names_the_statement(
    sandbox: SandboxCase,
) -> None:
    repo, _ = sandbox.set_up()
    sandbox.put_user_policy(policies.MFA_POLICY)
    code, checks = sandbox.doctor("--repo", repo)
    assert code == 4  # IAM: the offline policy check fails first
    predicted = checks["iam policy (offline)"]
    assert predicted["status"] == "fail" and predicted["kind"] == "mfa-explicit-deny"
    git = checks["git"]
    assert git["status"] == "fail" and git["kind"] == "mfa-explicit-deny"
    assert "statement 'BlockMostAccessUnlessSignedInWithMFA'" in git["summary"]
    assert "bootstrap policy" in git["fix"]
    # Everything before the policy is fine: doctor says so, not just "failed".
    assert checks["iam key"]["status"] == checks["known_hosts"]["status"] == "ok"


def test_inactive_key_fails_with_the_reactivate_fix(sandbox: SandboxCase) -> None:
    repo, key_id = sandbox.set_up()
    sandbox.iam.set_ssh_key_status(sandbox.user_name, key_id, "Inactive")
    code, checks = sandbox.doctor("--repo", repo)
    assert code == 4
    reactivate = (
        f"aws iam update-ssh-public-key --user-name {sandbox.user_name} "
        f"--ssh-public-key-id {key_id} --status Active"
    )
    assert checks["iam key"]["status"] == "fail" and reactivate in checks["iam key"]["fix"]
    assert checks["git"]["kind"] == "publickey"
    assert f"{key_id} is Inactive" in checks["git"]["summary"]
    assert reactivate in checks["git"]["fix"]


def test_key_readable_by_others_fails_with_the_chmod_fix(sandbox: SandboxCase) -> None:
    repo, _ = sandbox.set_up()
    key = sandbox.ssh_dir / "codecommit_rsa"
    key.chmod(0o644)
    code, checks = sandbox.doctor("--repo", repo)
    assert code == 5
    assert checks["local key"]["status"] == "fail"
    assert checks["local key"]["fix"] == f"chmod 600 {key}"
    assert checks["git"]["kind"] == "key-permissions"
    assert checks["git"]["fix"] == f"chmod 600 {key}"


def test_no_credentials_fails_identity_and_still_runs_the_local_checks(
    sandbox: SandboxCase,
) -> None:
    repo, _ = sandbox.set_up()
    (sandbox.home / ".aws" / "credentials").unlink()
    code, checks = sandbox.doctor("--repo", repo)
    assert code == 3
    assert checks["credentials"]["status"] == "fail"
    assert "no AWS credentials" in checks["credentials"]["summary"]
    for local in ("local key", "ssh config", "port 22", "known_hosts", "git"):
        assert checks[local]["status"] == "ok", checks[local]
    for needs_aws in ("iam key", "iam policy"):
        assert checks[needs_aws]["status"] == "warn"
        assert checks[needs_aws]["summary"].startswith("not checked")


def test_nothing_set_up_yet_points_to_init(sandbox: SandboxCase) -> None:
    code, checks = sandbox.doctor()
    assert code == 5
    assert checks["local key"]["status"] == "fail"
    assert "bootstrap init" in checks["local key"]["fix"]
    assert checks["ssh config"]["status"] == "fail"


def test_policy_file_needs_no_aws_account_at_all(sandbox_factory: Any, tmp_path: Path) -> None:
    case: SandboxCase = sandbox_factory(write_aws_files=False)
    path = tmp_path / "mfa.json"
    path.write_text(json.dumps(policies.MFA_POLICY))
    done = case.run("doctor", "--policy-file", str(path))
    assert done.returncode == 4, done.stderr
    assert "✗ codecommit:GitPull without MFA: statement 'BlockMostAccess" in done.stdout
    assert f"  fix: `bootstrap policy --from {path}` adds the exemptions" in done.stdout


def test_doctor_help_names_its_flags() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bootstrap", "doctor", "--help"],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO_ROOT,
    )
    for flag in ("--region", "--repo", "--json", "--policy-file", "--key", "--ssh-config"):
        assert flag in done.stdout


def test_host_star_above_the_block_is_named_with_its_line(sandbox: SandboxCase) -> None:
    sandbox.set_up()
    config = sandbox.ssh_dir / "config"
    config.write_text("Host *\n    User deploy\n\n" + config.read_text())
    code, checks = sandbox.doctor()
    assert code == 5
    check = checks["ssh config"]
    assert check["status"] == "fail"
    assert "as 'deploy'" in check["summary"]
    assert "line 2 of ~/.ssh/config (`User deploy`) comes first" in check["summary"]
    assert check["fix"].startswith("move line 2 of ~/.ssh/config below the '# >>> bootstrap'")
