"""Evidence gathered after a failure: only what the failure calls for, and never fatal."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from bootstrap.aws import registration
from bootstrap.aws.iam import Aws, RegisteredKey
from bootstrap.diagnosis import evidence, rules
from bootstrap.git import GitFailed, GitRun
from sandbox import policies

DENY = (
    "Access denied: User: arn:aws:iam::123456789012:user/dev is not authorized to perform: "
    "codecommit:GitPull on resource: arn:aws:codecommit:us-east-1:123456789012:r with an "
    "explicit deny\n"
)
CONTEXT = rules.Context(region="us-east-1", repo="r", user_name="dev")
HOST = "git-codecommit.us-east-1.amazonaws.com"


def failure(stderr: str) -> GitFailed:
    return GitFailed(GitRun(128, stderr), "ssh://git-codecommit.us-east-1.amazonaws.com/v1/repos/r")


def test_an_mfa_deny_reads_the_users_policies_and_names_the_statement(
    stubbed: tuple[Aws, Any],
) -> None:
    aws, stubber = stubbed
    stubber.add_response("list_user_policies", {"PolicyNames": ["mfa"], "IsTruncated": False})
    stubber.add_response(
        "get_user_policy",
        {"UserName": "dev", "PolicyName": "mfa", "PolicyDocument": json.dumps(policies.MFA_POLICY)},
    )
    stubber.add_response(
        "list_attached_user_policies", {"AttachedPolicies": [], "IsTruncated": False}
    )
    stubber.add_response("list_groups_for_user", {"Groups": [], "IsTruncated": False})
    error = evidence.explain(failure(DENY), CONTEXT, aws, HOST, None)
    assert "statement 'BlockMostAccessUnlessSignedInWithMFA' of inline policy 'mfa'" in error.cause
    assert error.details["kind"] == "mfa-explicit-deny"
    assert error.details["git_stderr"] == DENY


def test_policies_we_may_not_read_leave_the_general_mfa_explanation(
    stubbed: tuple[Aws, Any],
) -> None:
    aws, stubber = stubbed
    stubber.add_client_error("list_user_policies", "AccessDenied", "no")
    error = evidence.explain(failure(DENY), CONTEXT, aws, HOST, None)
    assert "most likely a policy that denies everything without MFA" in error.cause


def test_failures_that_need_no_evidence_make_no_calls(stubbed: tuple[Aws, Any]) -> None:
    aws, _ = stubbed  # any call would fail: nothing is stubbed
    stderr = "fatal: repository 'r' does not exist\n"
    error = evidence.explain(failure(stderr), CONTEXT, aws, HOST, None)
    assert error.details["kind"] == "no-repository"


@pytest.mark.parametrize(
    ("login", "hint"),
    [
        ("APKAEXAMPLEKEYID12345", "APKAEXAMPLEKEYID12345"),
        ("deploy", None),
        ("APKA", None),
        (None, None),
    ],
)
def test_only_a_login_shaped_like_a_key_id_is_looked_up(
    login: str | None, hint: str | None
) -> None:
    assert registration.key_id_hint(login) == hint


def test_a_key_uploaded_a_minute_ago_is_fresh_and_one_from_yesterday_is_not() -> None:
    now = datetime(2026, 1, 2, 12, 0, tzinfo=timezone.utc)
    recent = RegisteredKey("APKA1", "Active", str(now - timedelta(seconds=60)))
    old = RegisteredKey("APKA2", "Active", str(now - timedelta(days=1)))
    assert evidence.is_fresh(recent, now) and not evidence.is_fresh(old, now)
