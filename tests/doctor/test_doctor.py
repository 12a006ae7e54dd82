"""`bootstrap doctor` without servers: IAM's policy simulator (which moto lacks) through botocore's
Stubber, `--policy-file` offline with no AWS credentials at all, and the report's format.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from bootstrap import cli
from bootstrap.aws import endpoints
from bootstrap.aws.iam import Aws, Identity
from bootstrap.doctor import checkup, policy_checks
from bootstrap.doctor.checks import FAIL, OK, WARN, Check, Facts
from bootstrap.errors import EXIT_IAM, EXIT_LOCAL
from sandbox import policies

USER = "dev"
ARN = f"arn:aws:iam::123456789012:user/{USER}"
REPO = "team-repo"
REPO_ARN = f"arn:aws:codecommit:us-east-1:123456789012:{REPO}"
NO_MFA = {
    "ContextKeyName": "aws:MultiFactorAuthPresent",
    "ContextKeyValues": ["false"],
    "ContextKeyType": "boolean",
}
VIA_CODECOMMIT = {
    "ContextKeyName": "kms:ViaService",
    "ContextKeyValues": ["codecommit.us-east-1.amazonaws.com"],
    "ContextKeyType": "string",
}
DENIED = {"Error": {"Code": "AccessDenied", "Message": "not authorized"}}


def facts() -> Facts:
    found = Facts(endpoints.resolve("us-east-1"), Path("/k"), None, None, REPO)
    found.identity = Identity("user", USER, "123456789012", ARN)
    found.user = USER
    return found


def result(action: str, decision: str, source: str | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"EvalActionName": action, "EvalDecision": decision}
    if source:
        found["MatchedStatements"] = [{"SourcePolicyId": source, "SourcePolicyType": "user"}]
    return found


def expect_simulation(
    stubber: Any, git: tuple[str, str] = ("allowed", "allowed"), kms: str = "implicitDeny"
) -> None:
    """The two requests doctor must make: Git without MFA, KMS via CodeCommit without MFA."""
    stubber.add_response(
        "simulate_principal_policy",
        {
            "EvaluationResults": [
                result("codecommit:GitPull", git[0], "mfa" if git[0] == "explicitDeny" else None),
                result("codecommit:GitPush", git[1]),
            ],
            "IsTruncated": False,
        },
        {
            "PolicySourceArn": ARN,
            "ActionNames": ["codecommit:GitPull", "codecommit:GitPush"],
            "ResourceArns": [REPO_ARN],
            "ContextEntries": [NO_MFA],
        },
    )
    stubber.add_response(
        "simulate_principal_policy",
        {
            "EvaluationResults": [
                result("kms:Decrypt", kms),
                result("kms:GenerateDataKey", kms),
            ],
            "IsTruncated": False,
        },
        {
            "PolicySourceArn": ARN,
            "ActionNames": ["kms:Decrypt", "kms:GenerateDataKey"],
            "ResourceArns": ["*"],
            "ContextEntries": [NO_MFA, VIA_CODECOMMIT],
        },
    )


def expect_policies(stubber: Any, document: dict[str, Any] | None) -> None:
    """The user's policies: one inline document, or AccessDenied when `document` is None."""
    if document is None:
        stubber.add_client_error("list_user_policies", "AccessDenied", "not authorized")
        return
    stubber.add_response("list_user_policies", {"PolicyNames": ["mfa"], "IsTruncated": False})
    stubber.add_response(
        "get_user_policy",
        {"UserName": USER, "PolicyName": "mfa", "PolicyDocument": json.dumps(document)},
    )
    stubber.add_response(
        "list_attached_user_policies", {"AttachedPolicies": [], "IsTruncated": False}
    )
    stubber.add_response("list_groups_for_user", {"Groups": [], "IsTruncated": False})


def test_simulator_allowing_git_and_not_denying_kms_is_ok(stubbed: tuple[Aws, Any]) -> None:
    aws, stubber = stubbed
    expect_simulation(stubber)
    [check] = policy_checks.simulated(aws, facts())
    assert check.status == OK and "IAM policy simulator" in check.detail


def test_simulated_mfa_deny_names_the_statement_when_policies_are_readable(
    stubbed: tuple[Aws, Any],
) -> None:
    aws, stubber = stubbed
    expect_simulation(stubber, git=("explicitDeny", "explicitDeny"))
    expect_policies(stubber, policies.MFA_POLICY)
    [check] = policy_checks.simulated(aws, facts())
    assert check.status == FAIL and check.exit_code == EXIT_IAM
    assert check.kind == "mfa-explicit-deny"
    assert "statement 'BlockMostAccessUnlessSignedInWithMFA' of inline policy 'mfa'" in (
        check.detail
    )
    assert "bootstrap policy" in check.fix


def test_simulated_mfa_deny_without_readable_policies_names_the_simulators_policy(
    stubbed: tuple[Aws, Any],
) -> None:
    aws, stubber = stubbed
    expect_simulation(stubber, git=("explicitDeny", "allowed"))
    expect_policies(stubber, None)
    [check] = policy_checks.simulated(aws, facts())
    assert check.status == FAIL and check.kind == "mfa-explicit-deny"
    assert "the simulator names mfa" in check.detail
    assert "NotAction" in check.fix


def test_simulated_kms_deny_predicts_the_half_fix_failure(stubbed: tuple[Aws, Any]) -> None:
    aws, stubber = stubbed
    expect_simulation(stubber, kms="explicitDeny")
    expect_policies(stubber, policies.HALF_FIX)
    [check] = policy_checks.simulated(aws, facts())
    assert check.status == FAIL and check.kind == "mfa-kms-deny"
    assert "kms:ViaService" in check.fix


def test_simulated_implicit_deny_asks_for_a_grant(stubbed: tuple[Aws, Any]) -> None:
    aws, stubber = stubbed
    expect_simulation(stubber, git=("implicitDeny", "implicitDeny"))
    expect_policies(stubber, None)  # read to find a grant that needs MFA; may not: plain advice
    [check] = policy_checks.simulated(aws, facts())
    assert check.status == FAIL and check.kind == "implicit-deny"
    assert "AWSCodeCommitPowerUser" in check.fix


def test_no_permission_to_simulate_says_so_and_judges_offline(stubbed: tuple[Aws, Any]) -> None:
    aws, stubber = stubbed
    stubber.add_client_error("simulate_principal_policy", "AccessDenied", "not authorized")
    expect_policies(stubber, policies.MFA_POLICY)
    simulator, offline = policy_checks.simulated(aws, facts())
    assert simulator.status == WARN
    assert "iam:SimulatePrincipalPolicy" in simulator.detail + simulator.fix
    assert offline.name == "iam policy (offline)" and offline.status == FAIL
    assert "BlockMostAccessUnlessSignedInWithMFA" in offline.detail


def test_no_permission_to_simulate_or_to_read_policies_only_warns(
    stubbed: tuple[Aws, Any],
) -> None:
    aws, stubber = stubbed
    stubber.add_client_error("simulate_principal_policy", "AccessDenied", "not authorized")
    expect_policies(stubber, None)
    checks = policy_checks.simulated(aws, facts())
    assert [check.status for check in checks] == [WARN, WARN]
    assert checkup.exit_code(checks) == 0


# -- --policy-file ------------------------------------------------------------------------------


@pytest.fixture
def no_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No credentials, no config, no endpoint: --policy-file must not need any."""
    for name in ("AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "absent-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "absent-credentials"))
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there


def run_policy_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], document: Any, *extra: str
) -> tuple[int, dict[str, dict[str, Any]]]:
    path = tmp_path / "policy.json"
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    code = cli.main(["doctor", "--policy-file", str(path), "--json", *extra])
    checks = json.loads(capsys.readouterr().out)["steps"]
    return code, {check["step"]: check for check in checks}


@pytest.mark.usefixtures("no_aws")
def test_policy_file_with_the_field_reports_mfa_policy_fails_on_git(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, checks = run_policy_file(tmp_path, capsys, policies.MFA_POLICY)
    assert code == EXIT_IAM
    pull = checks["codecommit:GitPull without MFA"]
    assert pull["status"] == FAIL and pull["kind"] == "mfa-explicit-deny"
    assert "BlockMostAccessUnlessSignedInWithMFA" in pull["summary"]
    assert f"bootstrap policy --from {tmp_path / 'policy.json'}" in pull["fix"]


@pytest.mark.usefixtures("no_aws")
def test_policy_file_with_the_half_fix_fails_on_kms(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, checks = run_policy_file(tmp_path, capsys, policies.HALF_FIX)
    assert code == EXIT_IAM
    assert checks["codecommit:GitPull without MFA"]["status"] != FAIL
    assert checks["KMS via CodeCommit"]["status"] == FAIL


@pytest.mark.usefixtures("no_aws")
def test_policy_file_with_the_narrow_fix_passes_and_still_needs_mfa_elsewhere(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, checks = run_policy_file(tmp_path, capsys, policies.NARROW_FIX)
    assert code == 0
    assert checks["KMS via CodeCommit"]["status"] == OK
    assert checks["MFA still required"]["status"] == OK
    # The MFA policy grants nothing itself: say the user still needs a grant.
    assert checks["codecommit:GitPull without MFA"]["status"] == WARN
    assert "AWSCodeCommitPowerUser" in checks["codecommit:GitPull without MFA"]["fix"]


@pytest.mark.usefixtures("no_aws")
def test_policy_file_with_the_broad_fix_warns_what_it_opens_up(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, checks = run_policy_file(tmp_path, capsys, policies.FULL_FIX)
    assert code == 0
    opened = checks["MFA still required"]
    assert opened["status"] == WARN
    assert "codecommit:DeleteRepository" in opened["summary"]
    assert "kms:Decrypt via s3" in opened["summary"]


@pytest.mark.usefixtures("no_aws")
def test_policy_files_are_judged_together(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    grant = tmp_path / "grant.json"
    grant.write_text(
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Sid": "Git", "Effect": "Allow", "Action": "codecommit:Git*", "Resource": "*"}
                ],
            }
        )
    )
    code, checks = run_policy_file(
        tmp_path, capsys, policies.NARROW_FIX, "--policy-file", str(grant)
    )
    assert code == 0
    assert checks["codecommit:GitPull without MFA"]["status"] == OK


@pytest.mark.usefixtures("no_aws")
def test_malformed_policy_file_is_a_local_file_failure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, checks = run_policy_file(tmp_path, capsys, "{not json")
    assert code == EXIT_LOCAL
    assert "is not valid JSON" in checks["policy file"]["summary"]


# -- the report ---------------------------------------------------------------------------------


def test_text_report_is_one_line_per_check_with_fix_lines() -> None:
    out = io.StringIO()
    emit = checkup.printer(out)
    emit(Check("local key", OK, "~/.ssh/k (RSA 2048)"))
    emit(Check("iam policy", WARN, "cannot simulate", "ask for iam:SimulatePrincipalPolicy"))
    emit(Check("git", FAIL, "refused", "chmod 600 ~/.ssh/k", EXIT_LOCAL))
    assert out.getvalue().splitlines() == [
        "✓ local key: ~/.ssh/k (RSA 2048)",
        "! iam policy: cannot simulate",
        "  fix: ask for iam:SimulatePrincipalPolicy",
        "✗ git: refused",
        "  fix: chmod 600 ~/.ssh/k",
    ]


def test_json_report_and_exit_code_follow_the_first_failure() -> None:
    checks = [
        Check("credentials", FAIL, "no credentials", "aws configure", 3),
        Check("local key", FAIL, "mode 644", "chmod 600 k", EXIT_LOCAL),
        Check("iam policy", WARN, "not checked", ""),
    ]
    document = checkup.document(checks)
    assert document["ok"] is False
    assert document["steps"][0] == {
        "step": "credentials",
        "status": "fail",
        "action": "checked",
        "changed": False,
        "summary": "no credentials",
        "fix": "aws configure",
    }
    assert document["exit_code"] == 3
    assert document["error"]["cause"] == "credentials: no credentials"
    assert document["warnings"] == ["iam policy: not checked"]
    assert checkup.exit_code(checks) == 3
    assert checkup.exit_code(checks[2:]) == 0
