"""The field report's three policies, verbatim, and the requests the tests judge them with;
and `run`, the `bootstrap policy` command run in-process.

Shared by the test_policy* modules (pytest puts tests/ on sys.path). No tests here.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from bootstrap import cli

_SELF_SERVICE = [
    {
        "Sid": "AllowListActions",
        "Effect": "Allow",
        "Action": ["iam:ListUsers", "iam:ListVirtualMFADevices"],
        "Resource": "*",
    },
    {
        "Sid": "AllowIndividualUserToListOnlyTheirOwnMFA",
        "Effect": "Allow",
        "Action": ["iam:ListMFADevices"],
        "Resource": ["arn:aws:iam::*:mfa/*", "arn:aws:iam::*:user/${aws:username}"],
    },
    {
        "Sid": "AllowIndividualUserToManageTheirOwnMFA",
        "Effect": "Allow",
        "Action": [
            "iam:CreateVirtualMFADevice",
            "iam:DeleteVirtualMFADevice",
            "iam:EnableMFADevice",
            "iam:ResyncMFADevice",
        ],
        "Resource": ["arn:aws:iam::*:mfa/${aws:username}", "arn:aws:iam::*:user/${aws:username}"],
    },
    {
        "Sid": "AllowIndividualUserToDeactivateOnlyTheirOwnMFAOnlyWhenUsingMFA",
        "Effect": "Allow",
        "Action": ["iam:DeactivateMFADevice"],
        "Resource": ["arn:aws:iam::*:mfa/${aws:username}", "arn:aws:iam::*:user/${aws:username}"],
        "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
    },
]
_MFA_EXEMPT = [
    "iam:CreateVirtualMFADevice",
    "iam:EnableMFADevice",
    "iam:ListMFADevices",
    "iam:ListUsers",
    "iam:ListVirtualMFADevices",
    "iam:ResyncMFADevice",
]
BLOCK_SID = "BlockMostAccessUnlessSignedInWithMFA"


def _policy(not_action: list[str], condition: dict[str, Any]) -> dict[str, Any]:
    block = {
        "Sid": BLOCK_SID,
        "Effect": "Deny",
        "NotAction": not_action,
        "Resource": "*",
        "Condition": condition,
    }
    return {"Version": "2012-10-17", "Statement": [*copy.deepcopy(_SELF_SERVICE), block]}


_NO_MFA = {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}

# 1. As AWS documents it: SSH git fails with "explicit deny".
FIELD_REPORT = _policy(_MFA_EXEMPT, _NO_MFA)
# 2. codecommit:* exempted: git gets past IAM, then fails in KMS.
HALF_FIX = _policy([*_MFA_EXEMPT, "codecommit:*"], _NO_MFA)
# 3. The report's fix: also deny only requests that do not come through an AWS service.
BROAD_FIX = _policy([*_MFA_EXEMPT, "codecommit:*"], {"Null": {"kms:ViaService": "true"}, **_NO_MFA})

# What the user is granted besides the MFA policy: allow everything, so that any denial the
# tests see is the MFA statement's explicit deny.
ALLOW_ALL = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}

ACCOUNT = "123456789012"
REPO = f"arn:aws:codecommit:ap-northeast-1:{ACCOUNT}:repo_mfa"
KEY = f"arn:aws:kms:ap-northeast-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
USER = f"arn:aws:iam::{ACCOUNT}:user/commit-mfa"

# Without MFA: the key is absent (long-term keys, SSH included), or "false" (a session made
# without MFA). Git over SSH is always the first.
SSH: dict[str, str] = {}
NO_MFA_CONTEXTS = [SSH, {"aws:MultiFactorAuthPresent": "false"}]
WITH_MFA = {"aws:MultiFactorAuthPresent": "true"}
VIA_CODECOMMIT = {"kms:ViaService": "codecommit.ap-northeast-1.amazonaws.com"}
VIA_S3 = {"kms:ViaService": "s3.ap-northeast-1.amazonaws.com"}

# (action, resource, extra context)
GIT_PULL = ("codecommit:GitPull", REPO, {})
GIT_PUSH = ("codecommit:GitPush", REPO, {})
KMS_VIA_CODECOMMIT = ("kms:Decrypt", KEY, VIA_CODECOMMIT)
S3_GET = ("s3:GetObject", "arn:aws:s3:::bucket/key", {})
CREATE_ACCESS_KEY = ("iam:CreateAccessKey", USER, {})
DELETE_REPOSITORY = ("codecommit:DeleteRepository", REPO, {})
KMS_DIRECT = ("kms:Decrypt", KEY, {})
KMS_VIA_S3 = ("kms:Decrypt", KEY, VIA_S3)

SSH_GIT_NEEDS = [GIT_PULL, GIT_PUSH, KMS_VIA_CODECOMMIT]
STILL_NEEDS_MFA = [S3_GET, CREATE_ACCESS_KEY, DELETE_REPOSITORY, KMS_DIRECT, KMS_VIA_S3]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """`bootstrap policy ARGV` in this process: (exit code, stdout, stderr)."""
    code = cli.main(["policy", *argv])
    out, err = capsys.readouterr()
    return code, out, err
