"""The pure mapping: what git/ssh printed + what we know → cause, fix, kind.

The messages are the ones real ssh printed against the test sshd (see test_diagnose_e2e.py,
which drives them through real ssh) and CodeCommit's own, from the field report.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

import pytest

from bootstrap.diagnosis import denies, rules
from bootstrap.diagnosis.context import Context
from bootstrap.policy.documents import NamedPolicy
from sandbox import policies

ARN = "arn:aws:iam::123456789012:user/commit-mfa"
REPO_ARN = "arn:aws:codecommit:ap-northeast-1:123456789012:repo_mfa"
GIT_TAIL = (
    "fatal: Could not read from remote repository.\n\n"
    "Please make sure you have the correct access rights\nand the repository exists.\n"
)
EXPLICIT = (
    f"Access denied: User: {ARN} is not authorized to perform: codecommit:GitPull on "
    f"resource: {REPO_ARN} with an explicit deny\n" + GIT_TAIL
)
KMS = (
    "Access denied: User is not authorized for the KMS default master key for CodeCommit "
    "'alias/aws/codecommit' in your account\n" + GIT_TAIL
)
IMPLICIT = (
    f"Access denied: User: {ARN} is not authorized to perform: codecommit:GitPull on "
    f"resource: {REPO_ARN} because no identity-based policy allows the codecommit:GitPull "
    "action\n" + GIT_TAIL
)
PUBLICKEY = "APKAEXAMPLEKEYID12345@127.0.0.1: Permission denied (publickey).\n" + GIT_TAIL
BASE = Context(
    region="ap-northeast-1",
    repo="repo_mfa",
    key_id="APKAEXAMPLEKEYID12345",
    key_path="/home/dev/.ssh/codecommit_rsa",
    user_name="commit-mfa",
    user_arn=ARN,
)


def with_policies(*documents: dict[str, Any]) -> Context:
    named = tuple(NamedPolicy(f"p{i}", "inline", doc) for i, doc in enumerate(documents))
    return replace(BASE, policies=named)


def test_explicit_deny_without_policies_points_to_mfa_and_bootstrap_policy() -> None:
    found = rules.explain(EXPLICIT, BASE)
    assert found.kind == "mfa-explicit-deny"
    assert "codecommit:GitPull" in found.cause and REPO_ARN in found.cause
    assert "MFA" in found.cause
    assert "NotAction" in found.fix and "bootstrap policy" in found.fix


def test_explicit_deny_names_the_statement_and_the_policy_it_is_in() -> None:
    found = rules.explain(EXPLICIT, with_policies(policies.MFA_POLICY))
    assert found.kind == "mfa-explicit-deny"
    assert "statement 'BlockMostAccessUnlessSignedInWithMFA' of inline policy 'p0'" in found.cause
    assert "aws iam get-user-policy --user-name commit-mfa --policy-name p0" in found.fix
    assert "bootstrap policy --from policy.json" in found.fix


def test_managed_policy_fix_is_bootstrap_policy_apply() -> None:
    arn = "arn:aws:iam::123456789012:policy/RequireMFA"
    named = NamedPolicy("RequireMFA", "managed", policies.MFA_POLICY, arn)
    found = rules.explain(EXPLICIT, replace(BASE, policies=(named,)))
    assert f"managed policy {arn}" in found.cause
    assert f"bootstrap policy --policy-arn {arn} --apply" in found.fix


def test_statement_without_sid_is_named_by_its_position() -> None:
    document = copy.deepcopy(policies.MFA_POLICY)
    del document["Statement"][-1]["Sid"]
    found = rules.explain(EXPLICIT, with_policies(document))
    assert "statement #5 of inline policy 'p0'" in found.cause


def test_a_deny_that_holds_even_with_mfa_is_not_called_an_mfa_problem() -> None:
    deny = {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "NoGit", "Effect": "Deny", "Action": "codecommit:Git*", "Resource": "*"}
        ],
    }
    found = rules.explain(EXPLICIT, with_policies(deny))
    assert found.kind == "explicit-deny"
    assert "statement 'NoGit'" in found.cause and "with or without MFA" in found.cause
    assert "not an MFA problem" in found.fix


def test_a_deny_none_of_the_readable_policies_makes_points_elsewhere() -> None:
    found = rules.explain(EXPLICIT, with_policies(policies.FULL_FIX))
    assert found.kind == "explicit-deny"
    assert "permissions boundary" in found.cause and "SCP" in found.cause


def test_kms_message_asks_for_a_via_service_condition() -> None:
    found = rules.explain(KMS, BASE)
    assert found.kind == "mfa-kms-deny"
    assert "kms:ViaService" in found.fix and "bootstrap policy" in found.fix


def test_kms_deny_names_the_statement_of_the_half_fix() -> None:
    found = rules.explain(KMS, with_policies(policies.HALF_FIX))
    assert "statement 'BlockMostAccessUnlessSignedInWithMFA' of inline policy 'p0'" in found.cause
    assert "alias/aws/codecommit" in found.cause


def test_implicit_deny_suggests_a_grant_and_never_the_mfa_exemption() -> None:
    found = rules.explain(IMPLICIT, BASE)
    assert found.kind == "implicit-deny"
    assert "AWSCodeCommitPowerUser" in found.fix
    assert "codecommit:GitPull and codecommit:GitPush" in found.fix
    assert "MFA" not in found.cause + found.fix and "NotAction" not in found.fix


def test_publickey_with_a_key_that_is_not_in_iam() -> None:
    context = replace(BASE, key_id=None, key_registered=False)
    found = rules.explain(PUBLICKEY, context)
    assert "not registered to IAM user commit-mfa" in found.cause
    assert "bootstrap init" in found.fix


def test_publickey_with_an_inactive_key_says_how_to_reactivate() -> None:
    context = replace(BASE, key_status="Inactive")
    found = rules.explain(PUBLICKEY, context)
    assert "Inactive" in found.cause
    assert found.fix == (
        "reactivate it: aws iam update-ssh-public-key --user-name commit-mfa "
        "--ssh-public-key-id APKAEXAMPLEKEYID12345 --status Active"
    )


def test_publickey_when_ssh_logs_in_as_someone_elses_key() -> None:
    context = replace(
        BASE, ssh_user="APKAOTHERUSERSKEY0001", user_key_ids=("APKAEXAMPLEKEYID12345",)
    )
    found = rules.explain(PUBLICKEY, context)
    assert "'APKAOTHERUSERSKEY0001', which is not an SSH key id of IAM user" in found.cause


def test_publickey_when_ssh_logs_in_as_another_of_the_users_keys() -> None:
    context = replace(BASE, ssh_user="APKASECONDKEYOFUSER01")
    found = rules.explain(PUBLICKEY, context)
    assert "registered as APKAEXAMPLEKEYID12345" in found.cause
    assert "User APKAEXAMPLEKEYID12345" in found.fix


def test_publickey_when_ssh_offers_another_identity_file_first() -> None:
    context = replace(BASE, ssh_identity="/home/dev/.ssh/id_rsa")
    found = rules.explain(PUBLICKEY, context)
    assert "offers /home/dev/.ssh/id_rsa first" in found.cause
    assert "IdentityFile /home/dev/.ssh/codecommit_rsa" in found.fix


def test_publickey_with_an_agent_full_of_keys_and_identities_only_off() -> None:
    context = replace(BASE, identities_only=False, agent_keys=7)
    found = rules.explain(PUBLICKEY, context)
    assert found.kind == "agent-keys" and "IdentitiesOnly yes" in found.fix


def test_publickey_right_after_an_upload_is_propagation() -> None:
    context = replace(BASE, fresh_upload=True)
    found = rules.explain(PUBLICKEY, context)
    assert "a moment ago" in found.cause and "wait" in found.fix


def test_publickey_with_nothing_more_known_sends_to_doctor() -> None:
    found = rules.explain(PUBLICKEY, BASE)
    assert found.kind == "publickey" and "bootstrap doctor" in found.fix


def test_too_many_authentication_failures_is_the_agent() -> None:
    stderr = (
        "Received disconnect from 127.0.0.1 port 40001:2: Too many authentication failures\n"
        "Disconnected from 127.0.0.1 port 40001\n" + GIT_TAIL
    )
    found = rules.explain(stderr, Context(agent_keys=6, key_path="/k"))
    assert found.kind == "agent-keys"
    assert "6 keys before /k" in found.cause


def test_unprotected_key_file_comes_before_the_publickey_refusal() -> None:
    stderr = (
        "@         WARNING: UNPROTECTED PRIVATE KEY FILE!          @\n"
        "Permissions 0644 for '/home/dev/.ssh/codecommit_rsa' are too open.\n"
        'Load key "/home/dev/.ssh/codecommit_rsa": bad permissions\n' + PUBLICKEY
    )
    found = rules.explain(stderr, BASE)
    assert found.kind == "key-permissions"
    assert found.fix == "chmod 600 /home/dev/.ssh/codecommit_rsa"


def test_unknown_host_key() -> None:
    found = rules.explain("Host key verification failed.\n" + GIT_TAIL, BASE)
    assert found.kind == "host-key"
    assert "bootstrap init --region ap-northeast-1" in found.fix


CHANGED = (
    "@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n"
    "The fingerprint for the RSA key sent by the remote host is\n{fp}.\n"
    "Offending RSA key in /h/.ssh/known_hosts:1\n  remove with:\n"
    '  ssh-keygen -f "/h/.ssh/known_hosts" -R "git-codecommit.{region}.amazonaws.com"\n'
    "Host key verification failed.\n"
)


def test_changed_host_key_that_is_not_the_published_one_says_do_not_connect() -> None:
    stderr = CHANGED.format(fp="SHA256:" + "A" * 43, region="us-east-1")
    found = rules.explain(stderr, Context(region="us-east-1"))
    assert found.kind == "host-key-changed"
    assert "SHA256:eLMY1j0DKA4uvDZcl/KgtIayZANwX6t8+8isPtotBoY" in found.cause
    assert "do not connect" in found.fix


def test_changed_host_key_that_is_the_published_one_means_a_stale_entry() -> None:
    published = "SHA256:eLMY1j0DKA4uvDZcl/KgtIayZANwX6t8+8isPtotBoY"
    found = rules.explain(
        CHANGED.format(fp=published, region="us-east-1"), Context(region="us-east-1")
    )
    assert "stale" in found.cause
    assert (
        "ssh-keygen -f /h/.ssh/known_hosts -R git-codecommit.us-east-1.amazonaws.com" in found.fix
    )


def test_legacy_ssh_rsa_only_server() -> None:
    stderr = (
        "Unable to negotiate with 52.94.1.1 port 22: no matching host key type found. "
        "Their offer: ssh-rsa\n"
    )
    found = rules.explain(stderr, BASE)
    assert found.kind == "host-key-type"
    assert "HostKeyAlgorithms +ssh-rsa" in found.fix and "PubkeyAcceptedAlgorithms" in found.fix


def test_host_key_algorithms_restricted_by_the_config() -> None:
    stderr = (
        "Unable to negotiate with 127.0.0.1 port 2222: no matching host key type found. "
        "Their offer: rsa-sha2-512,rsa-sha2-256\n"
    )
    found = rules.explain(stderr, BASE)
    assert "rsa-sha2-512,rsa-sha2-256" in found.cause
    assert "HostKeyAlgorithms" in found.fix and "+ssh-rsa" not in found.fix


def test_unresolvable_codecommit_host_points_at_the_region() -> None:
    stderr = (
        "ssh: Could not resolve hostname git-codecommit.xx-nowhere-1.amazonaws.com: "
        "Name or service not known\n"
    )
    found = rules.explain(stderr, Context(region="xx-nowhere-1"))
    assert found.kind == "dns" and "--region 'xx-nowhere-1'" in found.fix


def test_unresolvable_hostname_from_the_ssh_config_is_named() -> None:
    stderr = "ssh: Could not resolve hostname nonexistent.invalid: Name or service not known\n"
    found = rules.explain(stderr, BASE)
    assert "'nonexistent.invalid' (a HostName in your ssh config)" in found.cause
    assert "HostName" in found.fix


@pytest.mark.parametrize("reason", ["Connection timed out", "Connection refused"])
def test_unreachable_port_suggests_https_with_git_remote_codecommit(reason: str) -> None:
    stderr = f"ssh: connect to host git-codecommit.ap-northeast-1.amazonaws.com port 22: {reason}\n"
    found = rules.explain(stderr, replace(BASE, profile="work"))
    assert found.kind == "unreachable" and reason in found.cause
    assert "git-remote-codecommit" in found.fix
    assert "codecommit::ap-northeast-1://work@repo_mfa" in found.fix


def test_missing_repository_is_named() -> None:
    found = rules.explain("fatal: repository 'nope' does not exist\n" + GIT_TAIL, BASE)
    assert found.kind == "no-repository" and "'nope'" in found.cause
    assert "list-repositories --region ap-northeast-1" in found.fix


def test_the_generic_git_tail_is_not_mistaken_for_a_missing_repository() -> None:
    found = rules.explain("something odd\n" + GIT_TAIL, BASE)
    assert found.kind == "unknown" and found.cause == "git failed: something odd"


def test_ssh_config_with_bad_permissions() -> None:
    found = rules.explain("Bad owner or permissions on /h/.ssh/config\n", BASE)
    assert found.kind == "ssh-config" and found.fix == "chmod 600 /h/.ssh/config"


def test_unknown_option_in_the_ssh_config() -> None:
    stderr = "/h/.ssh/config: line 3: Bad configuration option: usekeychain\n"
    found = rules.explain(stderr, BASE)
    assert "line 3 of /h/.ssh/config" in found.cause
    assert "IgnoreUnknown UseKeychain" in found.fix  # as macOS spells it, not as ssh prints it


def test_request_context_never_carries_mfa() -> None:
    # Requests signed with long-term keys (SSH keys too) have no such key at all.
    assert "aws:MultiFactorAuthPresent" not in denies.request_context(BASE)
