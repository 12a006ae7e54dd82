"""MFA required through Allow conditions: the implicit deny is named for what it is (issue 14 §4),
and a Deny on plain Bool is seen not to touch SSH git, which carries no MFA key at all."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bootstrap.diagnosis import denies, rules
from bootstrap.diagnosis.context import Context
from bootstrap.policy.documents import NamedPolicy
from sandbox import policies
from sandbox.iam import GIT_POLICY

ARN = "arn:aws:iam::123456789012:user/commit-mfa"
REPO_ARN = "arn:aws:codecommit:ap-northeast-1:123456789012:repo_mfa"
IMPLICIT = (
    f"Access denied: User: {ARN} is not authorized to perform: codecommit:GitPull on "
    f"resource: {REPO_ARN} because no identity-based policy allows the codecommit:GitPull "
    "action\nfatal: Could not read from remote repository.\n"
)
EXPLICIT = (
    f"Access denied: User: {ARN} is not authorized to perform: codecommit:GitPull on "
    f"resource: {REPO_ARN} with an explicit deny\n"
)
BASE = Context(region="ap-northeast-1", repo="repo_mfa", user_name="commit-mfa", user_arn=ARN)


def with_policies(*documents: dict[str, Any]) -> Context:
    named = tuple(NamedPolicy(f"p{i}", "inline", doc) for i, doc in enumerate(documents))
    return replace(BASE, policies=named)


def test_a_grant_only_with_mfa_is_named_with_both_ways_out() -> None:
    found = rules.explain(IMPLICIT, with_policies(policies.ALLOW_ALL_WITH_MFA))
    assert found.kind == "mfa-only-allow"
    assert "statement 'AllowEverythingWithMFA' of inline policy 'p0'" in found.cause
    assert "only with MFA" in found.cause and "SSH keys can never carry MFA" in found.cause
    # The way out that loosens nothing, and the narrow grant.
    assert "`bootstrap init --protocol https --mfa`" in found.fix
    assert "bootstrap policy --from policy.json" in found.fix
    assert "AWSCodeCommitPowerUser" not in found.fix


def test_a_not_action_grant_that_needs_a_recent_mfa_is_named_too() -> None:
    found = rules.explain(IMPLICIT, with_policies(policies.ALLOW_ALL_BUT_IAM_WITH_RECENT_MFA))
    assert found.kind == "mfa-only-allow"
    assert "statement 'AllowAllButIamWithRecentMFA'" in found.cause


def test_nothing_granted_even_with_mfa_still_asks_for_a_grant() -> None:
    found = rules.explain(IMPLICIT, with_policies(policies.MFA_POLICY))
    assert found.kind == "implicit-deny"
    assert "AWSCodeCommitPowerUser" in found.fix


def test_a_grant_that_needs_no_mfa_is_not_blamed() -> None:
    # The statement needs something other than MFA (a region): not an MFA problem.
    other = {
        "Statement": [
            {
                "Sid": "OnlyInEurope",
                "Effect": "Allow",
                "Action": "codecommit:*",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}},
            }
        ]
    }
    assert rules.explain(IMPLICIT, with_policies(other)).kind == "implicit-deny"


def test_ssh_requests_carry_no_mfa_key_so_a_plain_bool_deny_misses_them() -> None:
    context = with_policies(policies.BOOL_ONLY_MFA_POLICY, GIT_POLICY)
    ctx = denies.request_context(context)
    assert "aws:MultiFactorAuthPresent" not in ctx
    for action in ("codecommit:GitPull", "codecommit:GitPush"):
        assert denies.find_deny(context.policies or (), action, REPO_ARN, ctx) is None
    # So if CodeCommit does say "explicit deny", it is not that statement.
    found = rules.explain(EXPLICIT, context)
    assert found.kind == "explicit-deny"
    assert "permissions boundary or an AWS Organizations SCP" in found.cause


def test_the_field_reports_policy_is_diagnosed_as_before() -> None:
    found = rules.explain(EXPLICIT, with_policies(policies.MFA_POLICY, GIT_POLICY))
    assert found.kind == "mfa-explicit-deny"
    assert "statement 'BlockMostAccessUnlessSignedInWithMFA'" in found.cause
