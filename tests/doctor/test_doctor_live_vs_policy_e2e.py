"""doctor: a live result outranks a prediction (issue 14 §5), end to end: moto IAM, the real sshd
and real git. An Organizations SCP that the CodeCommit double enforces, and that doctor cannot
read, refuses git while the user's own policies allow it."""

from __future__ import annotations

import pytest

from sandbox.case import SandboxCase

pytestmark = pytest.mark.e2e

DENY_GIT_SCP = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "FullAWSAccess", "Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Sid": "NoGit", "Effect": "Deny", "Action": "codecommit:Git*", "Resource": "*"},
    ],
}


def test_an_scp_refusal_outranks_the_offline_allow(sandbox: SandboxCase) -> None:
    repo, _ = sandbox.set_up()
    sandbox.put_service_control_policy(DENY_GIT_SCP)
    code, checks = sandbox.doctor("--repo", repo)
    assert code == 7  # the live git's code, not the prediction's
    predicted = checks["iam policy (offline)"]
    assert predicted["status"] == "warn", predicted
    assert "CodeCommit refused the live git ls-remote (explicit-deny)" in predicted["summary"]
    assert "AWS Organizations SCPs" in predicted["summary"]
    git = checks["git"]
    assert git["status"] == "fail" and git["kind"] == "explicit-deny"
    assert "permissions boundary or an AWS Organizations SCP" in git["summary"]
