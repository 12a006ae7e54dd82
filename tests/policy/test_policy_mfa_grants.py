"""`bootstrap policy --from` on accounts that grant only with MFA (issue 14 §4): the narrow grant
is added and every existing statement stays as it was; a Deny on plain Bool is named, not patched.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from test_policy_fixtures import GIT_PULL, GIT_PUSH, KMS_VIA_CODECOMMIT, SSH, STILL_NEEDS_MFA, run

from bootstrap.policy import mfa_grants, mfa_policy
from bootstrap.policy.evaluation import PolicyDocumentError, evaluate
from sandbox import policies

WITH_MFA = {"aws:MultiFactorAuthPresent": "true", "aws:MultiFactorAuthAge": "60"}
NARROW_GRANT = {
    "Sid": "AllowSshGitWithoutMFA",
    "Effect": "Allow",
    "Action": ["codecommit:GitPull", "codecommit:GitPush"],
    "Resource": "*",
}


def statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    found = document["Statement"]
    return found if isinstance(found, list) else [found]


@pytest.mark.parametrize(
    "document", [policies.ALLOW_ALL_WITH_MFA, policies.ALLOW_ALL_BUT_IAM_WITH_RECENT_MFA]
)
def test_the_narrow_grant_is_added_and_nothing_else_changes(document: dict[str, Any]) -> None:
    result = mfa_policy.patch(document)
    assert result.changed
    before, after = statements(document), statements(result.document)
    assert after == [*before, NARROW_GRANT]
    # Byte for byte: each existing statement renders exactly as it did.
    for old, new in zip(before, after, strict=False):
        assert mfa_policy.render(new) == mfa_policy.render(old)
    assert any("added statement 'AllowSshGitWithoutMFA'" in note for note in result.notes)


def test_after_the_grant_ssh_git_is_allowed_and_everything_else_still_needs_mfa() -> None:
    fixed = mfa_policy.patch(policies.ALLOW_ALL_BUT_IAM_WITH_RECENT_MFA).document
    for action, resource, extra in (GIT_PULL, GIT_PUSH):
        assert evaluate([fixed], action, resource, {**SSH, **extra}).allowed
    for action, resource, extra in STILL_NEEDS_MFA:
        if action.startswith("iam:"):
            continue  # NotAction iam:*: never granted, with MFA or without
        assert not evaluate([fixed], action, resource, {**SSH, **extra}).allowed
        assert evaluate([fixed], action, resource, {**WITH_MFA, **extra}).allowed


def test_kms_via_codecommit_needs_no_allow_of_its_own_and_the_notes_say_so() -> None:
    result = mfa_policy.patch(policies.ALLOW_ALL_WITH_MFA)
    action, resource, extra = KMS_VIA_CODECOMMIT
    # No statement grants KMS without MFA, and none is added: the key policy does it.
    assert not evaluate([result.document], action, resource, {**SSH, **extra}).allowed
    assert mfa_grants.KMS_NOTE in result.notes
    assert "alias/aws/codecommit" in mfa_grants.KMS_NOTE


def test_the_grant_keeps_the_statements_resources_and_other_conditions() -> None:
    scoped = {
        "Sid": "TeamReposWithMFA",
        "Effect": "Allow",
        "Action": ["codecommit:GitPull", "codecommit:GitPush", "codecommit:Get*"],
        "Resource": "arn:aws:codecommit:*:123456789012:team-*",
        "Condition": {
            "Bool": {"aws:MultiFactorAuthPresent": "true"},
            "StringEquals": {"aws:RequestedRegion": "eu-west-1"},
        },
    }
    document = {"Version": "2012-10-17", "Statement": [scoped]}
    [old, grant] = statements(mfa_policy.patch(document).document)
    assert old == scoped
    assert grant == {
        "Sid": "AllowSshGitWithoutMFA",
        "Effect": "Allow",
        "Action": ["codecommit:GitPull", "codecommit:GitPush"],
        "Resource": "arn:aws:codecommit:*:123456789012:team-*",
        "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}},
    }


def test_a_grant_of_only_git_pull_gets_only_git_pull() -> None:
    pull_only = {
        "Effect": "Allow",
        "Action": "codecommit:GitPull",
        "Resource": "*",
        "Condition": {"NumericLessThan": {"aws:MultiFactorAuthAge": "900"}},
    }
    after = statements(mfa_policy.patch({"Statement": pull_only}).document)
    assert after[0] == pull_only  # one object became a list of two; the object is unchanged
    assert after[1]["Action"] == ["codecommit:GitPull"] and "Condition" not in after[1]


def test_patching_twice_adds_the_grant_once() -> None:
    once = mfa_policy.patch(policies.ALLOW_ALL_WITH_MFA).document
    twice = mfa_policy.patch(once)
    assert not twice.changed and twice.document == once


def test_the_sid_is_unique_in_the_document() -> None:
    document = copy.deepcopy(policies.ALLOW_ALL_WITH_MFA)
    document["Statement"].append(
        {"Sid": "AllowSshGitWithoutMFA", "Effect": "Deny", "Action": "s3:*", "Resource": "*"}
    )
    added = statements(mfa_policy.patch(document).document)[-1]
    assert added["Sid"] == "AllowSshGitWithoutMFA2"


def test_a_deny_and_an_mfa_only_grant_are_both_fixed() -> None:
    document = copy.deepcopy(policies.MFA_POLICY)
    document["Statement"].append(policies.ALLOW_ALL_WITH_MFA["Statement"][0])
    fixed = mfa_policy.patch(document).document
    for action, resource, extra in (GIT_PULL, GIT_PUSH, KMS_VIA_CODECOMMIT):
        assert not evaluate([fixed], action, resource, {**SSH, **extra}).explicitly_denied
    for action, resource, extra in (GIT_PULL, GIT_PUSH):
        assert evaluate([fixed], action, resource, {**SSH, **extra}).allowed


def test_an_allow_that_grants_without_mfa_when_the_key_is_absent_is_not_an_mfa_grant() -> None:
    # BoolIfExists "true" holds for a long-term key (no key): it already grants SSH git.
    lenient = {
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "*",
                "Resource": "*",
                "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}},
            }
        ]
    }
    assert not mfa_grants.requires_mfa(lenient["Statement"][0])
    with pytest.raises(PolicyDocumentError, match="no statement that grants Git only with MFA"):
        mfa_policy.patch(lenient)


def test_a_plain_bool_deny_is_named_as_not_affecting_ssh_git_and_left_alone() -> None:
    result = mfa_policy.patch(policies.BOOL_ONLY_MFA_POLICY)
    assert not result.changed and result.document == policies.BOOL_ONLY_MFA_POLICY
    [note] = result.notes
    assert "statement 'BlockMostAccessUnlessSignedInWithMFA'" in note
    assert "does not affect SSH git" in note and "BoolIfExists" in note


def test_the_field_reports_policy_is_patched_as_before() -> None:
    assert mfa_policy.patch(policies.MFA_POLICY).document == policies.NARROW_FIX


def test_diff_of_the_grant_only_adds_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "mfa.json"
    path.write_text(json.dumps(policies.ALLOW_ALL_WITH_MFA))
    code, out, err = run(capsys, "--from", str(path), "--diff")
    assert code == 0
    removed = [line for line in out.splitlines() if line.startswith("-") and line[:3] != "---"]
    assert removed == []  # every existing line stays
    assert '+      "Sid": "AllowSshGitWithoutMFA",' in out
    assert "grants codecommit:GitPull, codecommit:GitPush only with MFA" in err
    assert "need no Allow of their own" in err


def test_the_command_says_a_plain_bool_deny_leaves_ssh_git_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bool.json"
    path.write_text(json.dumps(policies.BOOL_ONLY_MFA_POLICY))
    code, out, err = run(capsys, "--from", str(path))
    assert code == 0
    assert json.loads(out) == policies.BOOL_ONLY_MFA_POLICY
    assert "does not affect SSH git" in err and "nothing to change" in err
