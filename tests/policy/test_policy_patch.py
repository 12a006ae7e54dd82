"""Patching real-world deny-unless-MFA policies: what changes, what must not, and idempotence."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from test_policy_fixtures import (
    BLOCK_SID,
    BROAD_FIX,
    FIELD_REPORT,
    HALF_FIX,
    NO_MFA_CONTEXTS,
    SSH,
    SSH_GIT_NEEDS,
    STILL_NEEDS_MFA,
    WITH_MFA,
)

from bootstrap.policy import mfa_grants, mfa_policy
from bootstrap.policy.evaluation import PolicyDocumentError, evaluate

NO_MFA = {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}
VIA = {"StringNotLikeIfExists": {"kms:ViaService": "codecommit.*.amazonaws.com"}}


def deny(**fields: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Resource": "*", "Condition": copy.deepcopy(NO_MFA), **fields}


def patched(statement: dict[str, Any]) -> dict[str, Any]:
    document = {"Version": "2012-10-17", "Statement": [statement]}
    result: dict[str, Any] = mfa_policy.patch(document).document["Statement"][0]
    return result


def test_recommended_template_is_the_field_report_patched() -> None:
    assert mfa_policy.patch(FIELD_REPORT).document == mfa_policy.recommended()


def test_broad_template_is_the_field_reports_own_fix() -> None:
    assert mfa_policy.broad() == BROAD_FIX


def test_patch_adds_the_git_actions_and_the_kms_condition() -> None:
    result = mfa_policy.patch(FIELD_REPORT)
    block = result.document["Statement"][-1]
    assert block["NotAction"][-2:] == ["codecommit:GitPull", "codecommit:GitPush"]
    assert block["Condition"] == {**NO_MFA, **VIA}
    assert result.changed and len(result.notes) == 2


def test_other_statements_stay_exactly_as_they_were() -> None:
    result = mfa_policy.patch(FIELD_REPORT).document
    assert result["Statement"][:-1] == FIELD_REPORT["Statement"][:-1]
    assert list(result) == list(FIELD_REPORT)  # key order kept too


def test_patch_leaves_its_input_alone() -> None:
    before = copy.deepcopy(FIELD_REPORT)
    mfa_policy.patch(FIELD_REPORT)
    assert before == FIELD_REPORT


def test_patching_twice_changes_nothing() -> None:
    once = mfa_policy.patch(FIELD_REPORT).document
    again = mfa_policy.patch(once)
    assert again.document == once and not again.changed and again.notes == ()


def test_half_fix_gets_only_the_kms_condition_and_a_note() -> None:
    result = mfa_policy.patch(HALF_FIX)
    block = result.document["Statement"][-1]
    assert block["NotAction"] == HALF_FIX["Statement"][-1]["NotAction"]
    assert block["Condition"] == {**NO_MFA, **VIA}
    assert any("DeleteRepository" in note for note in result.notes)


def test_broad_fix_is_left_alone_and_called_broad() -> None:
    result = mfa_policy.patch(BROAD_FIX)
    assert not result.changed
    assert any("any AWS service" in note for note in result.notes)


def test_statement_as_a_single_object_and_not_action_as_a_string() -> None:
    document = {"Statement": deny(Sid="Mfa", NotAction="iam:ListMFADevices")}
    result = mfa_policy.patch(document).document
    assert isinstance(result["Statement"], dict)
    assert result["Statement"]["NotAction"] == [
        "iam:ListMFADevices",
        "codecommit:GitPull",
        "codecommit:GitPush",
    ]


@pytest.mark.parametrize(
    "condition",
    [
        {"Bool": {"aws:MultiFactorAuthPresent": "false"}},
        {"BoolIfExists": {"aws:MultiFactorAuthPresent": ["false"]}},
        {"boolifexists": {"aws:multifactorauthpresent": "FALSE"}},
        {"Bool": {"aws:MultiFactorAuthPresent": False}},
    ],
)
def test_mfa_condition_shapes_are_recognised(condition: dict[str, Any]) -> None:
    assert mfa_policy.is_mfa_deny({"Effect": "Deny", "NotAction": "iam:*", "Condition": condition})


@pytest.mark.parametrize(
    "statement",
    [
        {"Effect": "Allow", "Action": "*", "Condition": NO_MFA},
        {
            "Effect": "Deny",
            "Action": "*",
            "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
        },
        {
            "Effect": "Deny",
            "Action": "*",
            "Condition": {"Bool": {"aws:MultiFactorAuthPresent": ["true", "false"]}},
        },
        {"Effect": "Deny", "Action": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        {"Effect": "Deny", "Action": "*"},
        {"Effect": "Deny", "Resource": "*", "Condition": NO_MFA},
    ],
)
def test_other_statements_are_not_mistaken_for_mfa_denies(statement: dict[str, Any]) -> None:
    assert not mfa_policy.is_mfa_deny(statement)


def test_extra_condition_keys_and_operators_are_kept() -> None:
    condition = {
        "BoolIfExists": {"aws:MultiFactorAuthPresent": "false", "aws:ViaAWSService": "false"},
        "StringNotLikeIfExists": {"aws:PrincipalArn": "arn:aws:iam::*:role/Breakglass"},
        "StringEquals": {"aws:RequestedRegion": "eu-west-1"},
    }
    result = patched({**deny(NotAction=["iam:*"]), "Condition": copy.deepcopy(condition)})
    assert result["Condition"] == {
        "BoolIfExists": condition["BoolIfExists"],
        "StringNotLikeIfExists": {
            "aws:PrincipalArn": "arn:aws:iam::*:role/Breakglass",
            "kms:ViaService": "codecommit.*.amazonaws.com",
        },
        "StringEquals": condition["StringEquals"],
    }


def test_an_existing_via_service_exemption_is_extended_not_replaced() -> None:
    statement = deny(NotAction=["iam:*"])
    statement["Condition"]["StringNotLike"] = {"KMS:ViaService": "s3.*.amazonaws.com"}
    result = patched(statement)
    assert result["Condition"]["StringNotLike"] == {
        "KMS:ViaService": ["s3.*.amazonaws.com", "codecommit.*.amazonaws.com"]
    }
    assert "StringNotLikeIfExists" not in result["Condition"]
    assert patched(result) == result


def test_git_actions_already_covered_by_a_pattern_are_not_added_again() -> None:
    result = patched(deny(NotAction=["codecommit:Git*"]))
    assert result["NotAction"] == ["codecommit:Git*"]


def test_statement_that_never_denies_kms_gets_no_kms_condition() -> None:
    result = patched(deny(NotAction=["iam:*", "kms:*"]))
    assert result["Condition"] == NO_MFA


@pytest.mark.parametrize("action", ["*", ["*"], ["s3:*", "*"], "*:*"])
def test_deny_everything_by_action_becomes_not_action(action: Any) -> None:
    result = patched(deny(Sid="All", Action=action))
    assert "Action" not in result
    assert result["NotAction"] == ["codecommit:GitPull", "codecommit:GitPush"]
    assert result["Condition"] == {**NO_MFA, **VIA}


def test_action_becomes_not_action_in_the_same_place() -> None:
    statement = {
        "Sid": "All",
        "Effect": "Deny",
        "Action": "*",
        "Resource": "*",
        "Condition": NO_MFA,
    }
    assert list(patched(statement)) == ["Sid", "Effect", "NotAction", "Resource", "Condition"]


def test_literal_git_actions_are_removed_from_an_action_list() -> None:
    result = patched(deny(Action=["s3:*", "codecommit:GitPull", "codecommit:gitpush", "kms:*"]))
    assert result["Action"] == ["s3:*", "kms:*"]
    assert result["Condition"] == {**NO_MFA, **VIA}


def test_a_codecommit_wildcard_in_action_is_refused_with_a_fix() -> None:
    with pytest.raises(PolicyDocumentError) as caught:
        patched(deny(Sid="NoCC", Action=["codecommit:*"]))
    assert "NoCC" in caught.value.cause and "NotAction" in caught.value.fix


def test_a_statement_denying_only_git_is_refused() -> None:
    with pytest.raises(PolicyDocumentError, match="only codecommit:GitPull"):
        patched(deny(Action=["codecommit:GitPull"]))


def test_action_list_without_codecommit_only_gets_the_kms_condition() -> None:
    result = patched(deny(Action=["s3:*", "kms:*"]))
    assert result["Action"] == ["s3:*", "kms:*"]
    assert result["Condition"] == {**NO_MFA, **VIA}


def test_policy_without_an_mfa_deny_is_an_error() -> None:
    document = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    with pytest.raises(PolicyDocumentError, match="no deny-unless-MFA statement") as caught:
        mfa_policy.patch(document, "p.json")
    assert "bootstrap policy" in caught.value.fix


def test_every_mfa_deny_is_patched() -> None:
    document = {"Statement": [deny(Sid="A", NotAction="iam:*"), deny(Sid="B", Action="*")]}
    result = mfa_policy.patch(document).document
    for statement in result["Statement"]:
        assert "codecommit:GitPush" in statement["NotAction"]


# -- loading ---------------------------------------------------------------------------------------


def test_malformed_json_says_where() -> None:
    with pytest.raises(PolicyDocumentError) as caught:
        mfa_policy.load('{\n  "Statement": [\n    {"Effect": "Deny",}\n  ]\n}', "p.json")
    assert "p.json" in caught.value.cause and "line 3, column 23" in caught.value.cause


@pytest.mark.parametrize("text", ["[]", '"x"', "{}", '{"Statement": ["x"]}', '{"Statement": null}'])
def test_json_that_is_not_a_policy_is_an_error(text: str) -> None:
    with pytest.raises(PolicyDocumentError):
        mfa_policy.load(text, "p.json")


def test_byte_order_mark_and_cli_output_shape_are_accepted() -> None:
    wrapped = {"PolicyVersion": {"Document": FIELD_REPORT, "VersionId": "v1"}}
    assert mfa_policy.load("\ufeff" + json.dumps(wrapped), "p.json") == FIELD_REPORT


def test_render_keeps_key_order_and_two_space_indent() -> None:
    text = mfa_policy.render({"b": 1, "a": ["é"]})
    assert text == '{\n  "b": 1,\n  "a": [\n    "é"\n  ]\n}\n'


def test_diff_is_empty_when_nothing_changes() -> None:
    assert mfa_policy.diff(FIELD_REPORT, FIELD_REPORT, "p.json") == ""
    text = mfa_policy.diff(FIELD_REPORT, mfa_policy.patch(FIELD_REPORT).document, "p.json")
    assert text.startswith("--- p.json\n+++ p.json (patched)\n")
    assert '+        "codecommit:GitPull",' in text


# -- properties ------------------------------------------------------------------------------------

ACTIONS = st.sampled_from(
    ["*", "s3:*", "s3:GetObject", "iam:*", "iam:ListUsers", "kms:*", "kms:Decrypt", "ec2:Describe*"]
)
CONDITIONS = st.sampled_from(
    [
        {},
        {"Bool": {"aws:SecureTransport": "false"}},
        {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
        {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}},
        {"StringNotLikeIfExists": {"kms:ViaService": "s3.*.amazonaws.com"}},
        {"Null": {"aws:TokenIssueTime": "true"}},
    ]
)


def _one_or_many(items: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    return st.one_of(items, st.lists(items, min_size=1, max_size=4, unique=True))


@st.composite
def other_statements(draw: st.DrawFn) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": draw(st.sampled_from(["Allow", "Deny"]))}
    statement[draw(st.sampled_from(["Action", "NotAction"]))] = draw(_one_or_many(ACTIONS))
    statement["Resource"] = "*"
    condition = draw(CONDITIONS)
    if condition:
        statement["Condition"] = copy.deepcopy(condition)
    return statement


@st.composite
def mfa_statements(draw: st.DrawFn) -> dict[str, Any]:
    operator = draw(st.sampled_from(["Bool", "BoolIfExists"]))
    value = draw(st.sampled_from(["false", "False", ["false"], False]))
    extra = draw(CONDITIONS.filter(lambda c: "MultiFactorAuthPresent" not in json.dumps(c)))
    condition = copy.deepcopy(extra)  # extra keys may share the MFA key's operator block
    condition.setdefault(operator, {})["aws:MultiFactorAuthPresent"] = value
    if draw(st.booleans()):
        exempt = st.sampled_from(
            ["iam:ListMFADevices", "iam:*", "sts:*", "codecommit:GitPull", "kms:*"]
        )
        actions: tuple[str, Any] = ("NotAction", draw(_one_or_many(exempt)))
    else:
        actions = ("Action", draw(st.sampled_from(["*", ["*"], ["s3:*", "*"]])))
    return {
        "Sid": BLOCK_SID,
        "Effect": "Deny",
        actions[0]: actions[1],
        "Resource": "*",
        "Condition": condition,
    }


@st.composite
def policies(draw: st.DrawFn) -> dict[str, Any]:
    others = draw(st.lists(other_statements(), max_size=4))
    assume(not any(mfa_policy.is_mfa_deny(s) for s in others))
    mfa = draw(st.lists(mfa_statements(), min_size=1, max_size=2))
    items = others + mfa
    order = draw(st.permutations(range(len(items))))
    statements = [items[i] for i in order]
    if len(statements) == 1 and draw(st.booleans()):
        return {"Version": "2012-10-17", "Statement": statements[0]}
    return {"Version": "2012-10-17", "Statement": statements}


def _as_list(document: dict[str, Any]) -> list[dict[str, Any]]:
    found = document["Statement"]
    return found if isinstance(found, list) else [found]


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(policies())
def test_property_patching_twice_equals_patching_once(document: dict[str, Any]) -> None:
    once = mfa_policy.patch(document).document
    assert mfa_policy.patch(once).document == once


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(policies())
def test_property_statements_that_are_not_mfa_denies_are_untouched(
    document: dict[str, Any],
) -> None:
    before, after = _as_list(document), _as_list(mfa_policy.patch(document).document)
    for old, new in zip(before, after[: len(before)], strict=True):
        if not mfa_policy.is_mfa_deny(old) or mfa_policy.spares_ssh(old):
            assert new == old
    # What is added is only the narrow grant: Git actions, no MFA condition.
    for added in after[len(before) :]:
        assert added["Sid"].startswith(mfa_grants.GRANT_SID)
        assert set(added["Action"]) <= set(mfa_policy.GIT_ACTIONS)
        assert "MultiFactorAuth" not in json.dumps(added)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(policies())
def test_property_patch_exempts_ssh_git_and_nothing_else(document: dict[str, Any]) -> None:
    # Judge the MFA statements alone, so other random statements cannot mask the result.
    mfa_only = {"Statement": [s for s in _as_list(document) if mfa_policy.is_mfa_deny(s)]}
    fixed = mfa_policy.patch(mfa_only).document
    for action, resource, extra in SSH_GIT_NEEDS:
        # SSH git: signed with a long-term key, so aws:MultiFactorAuthPresent is absent.
        assert not evaluate([fixed], action, resource, {**SSH, **extra}).explicitly_denied
    for mfa in NO_MFA_CONTEXTS:
        for action, resource, extra in STILL_NEEDS_MFA:
            was = evaluate([mfa_only], action, resource, {**mfa, **extra}).explicitly_denied
            assert evaluate([fixed], action, resource, {**mfa, **extra}).explicitly_denied == was
    for action, resource, extra in SSH_GIT_NEEDS + STILL_NEEDS_MFA:
        assert not evaluate([fixed], action, resource, {**WITH_MFA, **extra}).explicitly_denied
