"""The field report's policies (/work/shared/seeds/000_*.txt) as documents, plus a narrower fix.

- MFA_POLICY: AWS's "deny everything unless signed in with MFA" as the report applied it;
  Git over SSH then fails with an explicit deny on codecommit:GitPull.
- HALF_FIX: `codecommit:*` added to the deny's NotAction; Git then fails at KMS.
- FULL_FIX: HALF_FIX plus `"Null": {"kms:ViaService": "true"}`; Git works.
- NARROW_FIX: exempts only GitPull/GitPush, and only KMS calls made via CodeCommit.
"""

from __future__ import annotations

import copy
from typing import Any

MFA_SELF_SERVICE = [
    "iam:CreateVirtualMFADevice",
    "iam:EnableMFADevice",
    "iam:ListMFADevices",
    "iam:ListUsers",
    "iam:ListVirtualMFADevices",
    "iam:ResyncMFADevice",
]
_OWN = ["arn:aws:iam::*:mfa/${aws:username}", "arn:aws:iam::*:user/${aws:username}"]

MFA_POLICY: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
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
            "Resource": _OWN,
        },
        {
            "Sid": "AllowIndividualUserToDeactivateOnlyTheirOwnMFAOnlyWhenUsingMFA",
            "Effect": "Allow",
            "Action": ["iam:DeactivateMFADevice"],
            "Resource": _OWN,
            "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
        },
        {
            "Sid": "BlockMostAccessUnlessSignedInWithMFA",
            "Effect": "Deny",
            "NotAction": MFA_SELF_SERVICE,
            "Resource": "*",
            "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
        },
    ],
}


def _with_block(change: dict[str, Any]) -> dict[str, Any]:
    """MFA_POLICY with the BlockMostAccess statement's fields replaced by `change`."""
    policy = copy.deepcopy(MFA_POLICY)
    policy["Statement"][-1].update(copy.deepcopy(change))
    return policy


HALF_FIX = _with_block({"NotAction": [*MFA_SELF_SERVICE, "codecommit:*"]})
FULL_FIX = _with_block(
    {
        "NotAction": [*MFA_SELF_SERVICE, "codecommit:*"],
        "Condition": {
            "Null": {"kms:ViaService": "true"},
            "BoolIfExists": {"aws:MultiFactorAuthPresent": "false"},
        },
    }
)
NARROW_FIX = _with_block(
    {
        "NotAction": [*MFA_SELF_SERVICE, "codecommit:GitPull", "codecommit:GitPush"],
        "Condition": {
            "BoolIfExists": {"aws:MultiFactorAuthPresent": "false"},
            "StringNotLikeIfExists": {"kms:ViaService": "codecommit.*.amazonaws.com"},
        },
    }
)


# MFA required through Allow conditions instead of a Deny (FACTS: "MFA is also enforced without a
# Deny"): everything is granted, but only with MFA. SSH git then meets an implicit deny.
ALLOW_ALL_WITH_MFA: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "AllowEverythingWithMFA",
            "Effect": "Allow",
            "Action": "*",
            "Resource": "*",
            "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
        }
    ],
}
# The same through NotAction, with a recent MFA required (an hour).
ALLOW_ALL_BUT_IAM_WITH_RECENT_MFA: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "AllowAllButIamWithRecentMFA",
            "Effect": "Allow",
            "NotAction": "iam:*",
            "Resource": "*",
            "Condition": {
                "Bool": {"aws:MultiFactorAuthPresent": "true"},
                "NumericLessThan": {"aws:MultiFactorAuthAge": "3600"},
            },
        }
    ],
}
# A deny-unless-MFA statement on plain Bool (not BoolIfExists): requests signed with long-term
# keys, SSH included, carry no aws:MultiFactorAuthPresent, so it never matches them.
BOOL_ONLY_MFA_POLICY = _with_block({"Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}}})
