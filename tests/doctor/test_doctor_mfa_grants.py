"""doctor on accounts that grant only with MFA (issue 14 §4): the simulator's and the offline
judgement's implicit deny name the statement, and `--policy-file` fails on it with both ways out.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from test_doctor import expect_policies, expect_simulation, facts, run_policy_file
from test_doctor import no_aws as no_aws  # the fixture: no credentials, no endpoint

from bootstrap.aws.iam import Aws
from bootstrap.doctor import policy_checks
from bootstrap.doctor.checks import FAIL, OK, WARN
from bootstrap.errors import EXIT_IAM
from bootstrap.policy import mfa_policy
from sandbox import policies
from sandbox.iam import GIT_POLICY


def test_simulated_implicit_deny_names_the_grant_that_needs_mfa(stubbed: tuple[Aws, Any]) -> None:
    aws, stubber = stubbed
    expect_simulation(stubber, git=("implicitDeny", "implicitDeny"))
    expect_policies(stubber, policies.ALLOW_ALL_WITH_MFA)
    [check] = policy_checks.simulated(aws, facts())
    assert check.status == FAIL and check.exit_code == EXIT_IAM
    assert check.kind == "mfa-only-allow"
    assert "statement 'AllowEverythingWithMFA' of inline policy 'mfa'" in check.detail
    assert "bootstrap init --protocol https --mfa" in check.fix


@pytest.mark.usefixtures("no_aws")
@pytest.mark.parametrize(
    ("document", "sid"),
    [
        (policies.ALLOW_ALL_WITH_MFA, "AllowEverythingWithMFA"),
        (policies.ALLOW_ALL_BUT_IAM_WITH_RECENT_MFA, "AllowAllButIamWithRecentMFA"),
    ],
)
def test_policy_file_that_grants_only_with_mfa_fails_with_both_ways_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], document: dict[str, Any], sid: str
) -> None:
    code, checks = run_policy_file(tmp_path, capsys, document)
    assert code == EXIT_IAM
    for action in mfa_policy.GIT_ACTIONS:
        check = checks[f"{action} without MFA"]
        assert check["status"] == FAIL and check["kind"] == "mfa-only-allow"
        assert f"statement '{sid}'" in check["summary"] and "only with MFA" in check["summary"]
        assert f"bootstrap policy --from {tmp_path / 'policy.json'}" in check["fix"]
        assert "bootstrap init --protocol https --mfa" in check["fix"]
    # KMS via CodeCommit needs no Allow of its own (the AWS managed key's key policy).
    assert checks["KMS via CodeCommit"]["status"] == OK
    assert "key policy" in checks["KMS via CodeCommit"]["summary"]


@pytest.mark.usefixtures("no_aws")
def test_policy_file_with_the_narrow_grant_passes_and_still_needs_mfa_elsewhere(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fixed = mfa_policy.patch(policies.ALLOW_ALL_WITH_MFA).document
    code, checks = run_policy_file(tmp_path, capsys, fixed)
    assert code == 0
    for action in mfa_policy.GIT_ACTIONS:
        assert checks[f"{action} without MFA"]["status"] == OK
    still = checks["MFA still required"]
    assert (
        still["status"] == OK and "grants none of codecommit:DeleteRepository" in (still["summary"])
    )


@pytest.mark.usefixtures("no_aws")
def test_policy_file_whose_deny_uses_plain_bool_does_not_fail_ssh_git(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    grant = tmp_path / "grant.json"
    grant.write_text(json.dumps(GIT_POLICY))
    code, checks = run_policy_file(
        tmp_path, capsys, policies.BOOL_ONLY_MFA_POLICY, "--policy-file", str(grant)
    )
    assert code == 0
    assert checks["codecommit:GitPull without MFA"]["status"] == OK
    assert checks["KMS via CodeCommit"]["status"] == OK
    said = checks["plain Bool deny"]
    assert said["status"] == WARN
    assert "statement 'BlockMostAccessUnlessSignedInWithMFA'" in said["summary"]
    assert "does not affect SSH git" in said["summary"]
