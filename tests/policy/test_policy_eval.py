"""The evaluator, and what it proves about the field report's policies and our patch."""

from __future__ import annotations

from typing import Any

import pytest
from test_policy_fixtures import (
    ALLOW_ALL,
    BLOCK_SID,
    BROAD_FIX,
    CREATE_ACCESS_KEY,
    DELETE_REPOSITORY,
    FIELD_REPORT,
    GIT_PULL,
    GIT_PUSH,
    HALF_FIX,
    KMS_DIRECT,
    KMS_VIA_CODECOMMIT,
    KMS_VIA_S3,
    NO_MFA_CONTEXTS,
    REPO,
    S3_GET,
    SSH_GIT_NEEDS,
    STILL_NEEDS_MFA,
    WITH_MFA,
)

from bootstrap.policy import mfa_policy
from bootstrap.policy.evaluation import (
    Decision,
    Outcome,
    PolicyDocumentError,
    UnsupportedPolicy,
    evaluate,
)

Request = tuple[str, str, dict[str, str]]
PATCHED = mfa_policy.patch(FIELD_REPORT).document


def decide(document: dict[str, Any], request: Request, mfa: dict[str, str]) -> Decision:
    action, resource, extra = request
    return evaluate([document, ALLOW_ALL], action, resource, {**mfa, **extra})


def one(statement: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"Statement": [statement]}]


# -- the field report, step by step --------------------------------------------------------------


@pytest.mark.parametrize("mfa", NO_MFA_CONTEXTS, ids=["mfa-key-absent", "mfa-false"])
def test_field_report_policy_denies_git_pull_explicitly(mfa: dict[str, str]) -> None:
    decision = decide(FIELD_REPORT, GIT_PULL, mfa)
    assert decision.outcome is Outcome.EXPLICIT_DENY
    assert decision.sid == BLOCK_SID


@pytest.mark.parametrize("mfa", NO_MFA_CONTEXTS, ids=["mfa-key-absent", "mfa-false"])
def test_half_fix_lets_git_pull_through_but_denies_kms_via_codecommit(mfa: dict[str, str]) -> None:
    assert decide(HALF_FIX, GIT_PULL, mfa).allowed
    assert decide(HALF_FIX, KMS_VIA_CODECOMMIT, mfa).explicitly_denied


@pytest.mark.parametrize(
    "request_",
    [GIT_PULL, GIT_PUSH, KMS_VIA_CODECOMMIT, DELETE_REPOSITORY, KMS_VIA_S3],
    ids=lambda r: f"{r[0]}{'-via-' + r[2]['kms:ViaService'] if r[2] else ''}",
)
def test_broad_fix_lets_through_all_the_report_describes(request_: Request) -> None:
    # Including what it should not: every CodeCommit API and KMS through any service.
    for mfa in NO_MFA_CONTEXTS:
        assert decide(BROAD_FIX, request_, mfa).allowed


def test_broad_fix_still_denies_requests_not_made_through_a_service() -> None:
    for mfa in NO_MFA_CONTEXTS:
        for request_ in (S3_GET, CREATE_ACCESS_KEY, KMS_DIRECT):
            assert decide(BROAD_FIX, request_, mfa).explicitly_denied


# -- the patched policy -------------------------------------------------------------------------


@pytest.mark.parametrize("request_", SSH_GIT_NEEDS, ids=lambda r: r[0])
@pytest.mark.parametrize("mfa", NO_MFA_CONTEXTS, ids=["mfa-key-absent", "mfa-false"])
def test_patched_policy_lets_ssh_git_through_without_mfa(
    request_: Request, mfa: dict[str, str]
) -> None:
    assert decide(PATCHED, request_, mfa).allowed


@pytest.mark.parametrize(
    "request_",
    STILL_NEEDS_MFA,
    ids=["s3-get", "iam-create-access-key", "delete-repository", "kms-direct", "kms-via-s3"],
)
@pytest.mark.parametrize("mfa", NO_MFA_CONTEXTS, ids=["mfa-key-absent", "mfa-false"])
def test_patched_policy_still_denies_the_rest_without_mfa(
    request_: Request, mfa: dict[str, str]
) -> None:
    decision = decide(PATCHED, request_, mfa)
    assert decision.explicitly_denied and decision.sid == BLOCK_SID


@pytest.mark.parametrize(
    "document",
    [FIELD_REPORT, HALF_FIX, BROAD_FIX, PATCHED],
    ids=["report", "half", "broad", "ours"],
)
def test_with_mfa_the_mfa_statement_denies_nothing(document: dict[str, Any]) -> None:
    for request_ in SSH_GIT_NEEDS + STILL_NEEDS_MFA:
        assert decide(document, request_, WITH_MFA).allowed


def test_patched_policy_with_realistic_grants() -> None:
    # AWSCodeCommitPowerUser-like grants, and KMS only through CodeCommit: no admin rights.
    grants = {
        "Statement": [
            {"Sid": "PowerUser", "Effect": "Allow", "Action": "codecommit:*", "Resource": "*"},
            {
                "Sid": "KmsForCodeCommit",
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": "*",
                "Condition": {"StringLike": {"kms:ViaService": "codecommit.*.amazonaws.com"}},
            },
        ]
    }
    for action, resource, extra in SSH_GIT_NEEDS:
        assert evaluate([PATCHED, grants], action, resource, extra).sid in (
            "PowerUser",
            "KmsForCodeCommit",
        )
    assert evaluate([PATCHED, grants], *S3_GET[:2]).outcome is Outcome.EXPLICIT_DENY
    assert evaluate([grants], *S3_GET[:2]).outcome is Outcome.IMPLICIT_DENY
    assert evaluate([grants], *KMS_VIA_S3[:2], KMS_VIA_S3[2]).outcome is Outcome.IMPLICIT_DENY


def test_recommended_template_passes_the_same_checks() -> None:
    template = mfa_policy.recommended()
    for mfa in NO_MFA_CONTEXTS:
        assert all(decide(template, r, mfa).allowed for r in SSH_GIT_NEEDS)
        assert all(decide(template, r, mfa).explicitly_denied for r in STILL_NEEDS_MFA)


def test_self_service_statements_use_the_username_variable() -> None:
    own = "arn:aws:iam::123456789012:user/alice"
    other = "arn:aws:iam::123456789012:user/bob"
    context = {"aws:username": "alice", "aws:MultiFactorAuthPresent": "false"}
    assert evaluate([PATCHED], "iam:EnableMFADevice", own, context).allowed
    assert evaluate([PATCHED], "iam:EnableMFADevice", other, context).outcome is (
        Outcome.IMPLICIT_DENY
    )


# -- evaluator rules ------------------------------------------------------------------------------


def test_no_statement_is_an_implicit_deny() -> None:
    decision = evaluate([{"Statement": []}], "s3:GetObject")
    assert decision.outcome is Outcome.IMPLICIT_DENY and decision.sid is None
    assert "implicit" in decision.describe()


def test_explicit_deny_wins_over_an_earlier_allow() -> None:
    documents = [
        {"Statement": [{"Sid": "A", "Effect": "Allow", "Action": "*", "Resource": "*"}]},
        {"Statement": {"Sid": "D", "Effect": "Deny", "Action": "s3:*", "Resource": "*"}},
    ]
    decision = evaluate(documents, "s3:GetObject")
    assert decision == Decision(Outcome.EXPLICIT_DENY, "D", 0, 1)
    assert decision.describe() == "explicit deny by statement 'D'"


def test_actions_match_wildcards_case_insensitively() -> None:
    statement = {"Effect": "Allow", "Action": ["CodeCommit:Git*", "s3:Get?bject"], "Resource": "*"}
    assert evaluate(one(statement), "codecommit:gitpull").allowed
    assert evaluate(one(statement), "s3:GetObject").allowed
    assert not evaluate(one(statement), "codecommit:DeleteRepository").allowed
    assert not evaluate(one(statement), "s3:GetObjectAcl").allowed


def test_not_action_and_not_resource() -> None:
    statement = {"Effect": "Allow", "NotAction": "iam:*", "NotResource": "arn:aws:s3:::secret/*"}
    assert evaluate(one(statement), "s3:GetObject", "arn:aws:s3:::open/x").allowed
    assert not evaluate(one(statement), "s3:GetObject", "arn:aws:s3:::secret/x").allowed
    assert not evaluate(one(statement), "iam:ListUsers", "arn:aws:s3:::open/x").allowed


def test_resources_match_case_sensitively() -> None:
    statement = {"Effect": "Allow", "Action": "*", "Resource": REPO}
    assert evaluate(one(statement), "codecommit:GitPull", REPO).allowed
    assert not evaluate(one(statement), "codecommit:GitPull", REPO.upper()).allowed


def test_unknown_policy_variable_matches_nothing() -> None:
    statement = {
        "Effect": "Allow",
        "Action": "*",
        "Resource": "arn:aws:iam::*:user/${aws:username}",
    }
    assert not evaluate(one(statement), "iam:GetUser", "arn:aws:iam::1:user/x").allowed
    with_default = {**statement, "Resource": "arn:aws:iam::*:user/${aws:username, 'x'}"}
    assert evaluate(one(with_default), "iam:GetUser", "arn:aws:iam::1:user/x").allowed


def test_variable_values_match_literally() -> None:
    statement = {"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::b/${aws:username}/*"}
    context = {"aws:username": "a*"}
    assert evaluate(one(statement), "s3:GetObject", "arn:aws:s3:::b/a*/x", context).allowed
    assert not evaluate(one(statement), "s3:GetObject", "arn:aws:s3:::b/ab/x", context).allowed


def allowed_when(condition: dict[str, Any], context: dict[str, Any]) -> bool:
    statement = {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": condition}
    return evaluate(one(statement), "s3:GetObject", "*", context).allowed


@pytest.mark.parametrize(
    ("condition", "context", "expected"),
    [
        # Bool compares case-insensitively, and a JSON boolean works as well as a string.
        ({"Bool": {"aws:SecureTransport": "TRUE"}}, {"aws:securetransport": True}, True),
        ({"Bool": {"aws:SecureTransport": False}}, {"aws:SecureTransport": "true"}, False),
        # A missing key: plain operators fail, IfExists and negated operators hold.
        ({"Bool": {"aws:MultiFactorAuthPresent": "false"}}, {}, False),
        ({"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}, {}, True),
        ({"StringEquals": {"k:K": "v"}}, {}, False),
        ({"StringEqualsIfExists": {"k:K": "v"}}, {}, True),
        ({"StringNotEquals": {"k:K": "v"}}, {}, True),
        ({"StringNotLike": {"k:K": "v*"}}, {}, True),
        ({"ArnNotLike": {"aws:SourceArn": "arn:*"}}, {}, True),
        # Null tests presence.
        ({"Null": {"kms:ViaService": "true"}}, {}, True),
        ({"Null": {"kms:ViaService": "true"}}, {"kms:ViaService": "s3.x"}, False),
        ({"Null": {"kms:ViaService": "false"}}, {"kms:ViaService": "s3.x"}, True),
        # Values OR; negated operators need no value to match.
        ({"StringEquals": {"k:K": ["a", "b"]}}, {"k:k": "b"}, True),
        ({"StringNotEquals": {"k:K": ["a", "b"]}}, {"k:k": "b"}, False),
        ({"StringNotEquals": {"k:K": ["a", "b"]}}, {"k:k": "c"}, True),
        ({"StringEquals": {"k:K": "A"}}, {"k:k": "a"}, False),
        ({"StringEqualsIgnoreCase": {"k:K": "A"}}, {"k:k": "a"}, True),
        (
            {"StringLike": {"k:K": "codecommit.*.amazonaws.com"}},
            {"k:k": "codecommit.x.amazonaws.com"},
            True,
        ),
        ({"StringLike": {"k:K": "codecommit.*.amazonaws.com"}}, {"k:k": "s3.amazonaws.com"}, False),
        ({"StringNotLikeIfExists": {"k:K": "c*"}}, {"k:k": "codecommit"}, False),
        # Keys in one block AND; blocks AND.
        ({"StringEquals": {"a:A": "1", "b:B": "2"}}, {"a:a": "1", "b:b": "3"}, False),
        (
            {"StringEquals": {"a:A": "1"}, "Bool": {"b:B": "true"}},
            {"a:a": "1", "b:b": "true"},
            True,
        ),
        # ARNs match part by part: a wildcard does not reach across a colon.
        (
            {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::*"}},
            {"aws:SourceArn": "arn:aws:s3:::b"},
            True,
        ),
        (
            {"ArnLike": {"aws:SourceArn": "arn:aws:s3:*:*:b"}},
            {"aws:SourceArn": "arn:aws:s3:::b"},
            True,
        ),
        ({"ArnLike": {"aws:SourceArn": "arn:aws:*:b"}}, {"aws:SourceArn": "arn:aws:s3:::b"}, False),
        ({"ArnLike": {"aws:SourceArn": "*"}}, {"aws:SourceArn": "arn:aws:s3:::b"}, True),
        (
            {"ArnNotLike": {"aws:SourceArn": "arn:aws:s3:::a*"}},
            {"aws:SourceArn": "arn:aws:s3:::b"},
            True,
        ),
        # Policy variables in condition values.
        (
            {"StringEquals": {"aws:PrincipalTag/team": "${aws:username}"}},
            {"aws:username": "x", "aws:principaltag/team": "x"},
            True,
        ),
    ],
)
def test_condition_operators(
    condition: dict[str, Any], context: dict[str, Any], expected: bool
) -> None:
    assert allowed_when(condition, context) is expected


@pytest.mark.parametrize(
    "statement",
    [{"Effect": "Deny", "Resource": "*"}, {"Effect": "Deny", "Action": "*"}],
    ids=["no-action", "no-resource"],
)
def test_statements_iam_would_reject_are_refused(statement: dict[str, Any]) -> None:
    with pytest.raises(PolicyDocumentError, match="neither"):
        evaluate(one(statement), "s3:GetObject")


def test_an_effect_other_than_allow_or_deny_is_refused() -> None:
    with pytest.raises(PolicyDocumentError, match="Effect"):
        evaluate(one({"Effect": "deny", "Action": "*", "Resource": "*"}), "s3:GetObject")


@pytest.mark.parametrize(
    "condition",
    [
        {"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}},
        {"ForAnyValue:StringLike": {"aws:TagKeys": "x*"}},
        {"NullIfExists": {"k:K": "true"}},
        {"StringEquals": "not-a-block"},
    ],
)
def test_operators_it_does_not_know_are_refused_not_guessed(condition: dict[str, Any]) -> None:
    with pytest.raises(UnsupportedPolicy):
        allowed_when(condition, {})
