"""IAM's refusals explained: which statement denies Git (or KMS) over SSH, and how to fix it.

Pure, like rules.explain: the user's policies come in the Context when we could read them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bootstrap.diagnosis.context import Context, Finding
from bootstrap.policy import evaluation, mfa_grants, mfa_policy
from bootstrap.policy.documents import NamedPolicy


def request_context(context: Context, **extra: str) -> dict[str, str]:
    """The request as CodeCommit makes it over SSH: never with MFA. A request signed with a
    long-term key (an SSH key, an access key) has no aws:MultiFactorAuthPresent at all (IAM user
    guide, "AWS global condition context keys"), so a Deny on plain Bool "false" misses it."""
    found = dict(extra)
    if context.user_name:
        found["aws:username"] = context.user_name
    if context.user_arn:
        found["aws:PrincipalArn"] = context.user_arn
    return found


@dataclass(frozen=True)
class Culprit:
    """The statement that decides a request, and the policy it is in."""

    policy: NamedPolicy
    statement: Mapping[str, Any]
    index: int

    def describe(self) -> str:
        sid = self.statement.get("Sid")
        name = f"statement '{sid}'" if sid else f"statement #{self.index + 1}"
        return f"{name} of {self.policy.describe()}"


def find_deny(
    policies: tuple[NamedPolicy, ...], action: str, resource: str, ctx: Mapping[str, str]
) -> Culprit | None:
    """The statement that explicitly denies the request, if one of `policies` does."""
    try:
        decision = evaluation.evaluate([p.document for p in policies], action, resource, ctx)
    except evaluation.PolicyDocumentError:
        return None  # a construct the evaluator refuses to guess about
    if not decision.explicitly_denied or decision.document is None:
        return None
    named = policies[decision.document]
    index = decision.statement or 0
    return Culprit(named, evaluation.statements(named.document)[index], index)


def patch_command(named: NamedPolicy | None, user: str | None) -> str:
    """How to get the corrected policy for the statement's policy."""
    if named is None:
        return "`bootstrap policy --from FILE` patches a saved copy; `bootstrap policy` prints one"
    if named.arn and ":iam::aws:policy/" not in named.arn:
        return f"`bootstrap policy --policy-arn {named.arn} --apply` makes the change"
    if named.kind == "group inline":
        fetch = f"aws iam get-group-policy --group-name {named.group} --policy-name {named.name}"
    elif named.kind == "inline":
        fetch = f"aws iam get-user-policy --user-name {user or 'USER'} --policy-name {named.name}"
    else:
        return "`bootstrap policy --from FILE` patches a saved copy of it"
    return f"`{fetch} --query PolicyDocument > policy.json && bootstrap policy --from policy.json`"


def explicit_deny(action: str, resource: str, context: Context) -> Finding:
    """A Deny statement matched. Name it if we could read the policies; say if MFA is why."""
    if context.policies is not None:
        culprit = find_deny(context.policies, action, resource, request_context(context))
        if culprit is None:
            return Finding(
                f"IAM explicitly denies {action} on {resource}, but none of your identity "
                "policies does: a permissions boundary or an AWS Organizations SCP denies it",
                "ask an administrator which one; if it denies access without MFA, exempt "
                "codecommit:GitPull and codecommit:GitPush there (`bootstrap policy` shows how)",
                "explicit-deny",
            )
        if not _about_mfa(culprit, action, resource, context):
            return Finding(
                f"{culprit.describe()} denies {action} on {resource}, with or without MFA",
                "ask an administrator to take codecommit:GitPull and codecommit:GitPush out of "
                "that Deny statement (this is not an MFA problem)",
                "explicit-deny",
            )
        return Finding(
            f"{culprit.describe()} denies {action} on {resource} without MFA, and "
            f"{_never_mfa(context)}",
            KEEP_THE_POLICY
            + "; or exempt codecommit:GitPull and codecommit:GitPush in that statement's "
            f"NotAction, and KMS calls via CodeCommit: "
            f"{patch_command(culprit.policy, context.user_name)}",
            "mfa-explicit-deny",
        )
    return Finding(
        f"IAM explicitly denies {action} on {resource}: most likely a policy that denies "
        f"everything without MFA, and {_never_mfa(context)}",
        KEEP_THE_POLICY
        + "; or exempt codecommit:GitPull and codecommit:GitPush in that Deny statement's "
        f"NotAction, and KMS calls via CodeCommit: {patch_command(None, None)}",
        "mfa-explicit-deny",
    )


# The way out that loosens nothing: git over HTTPS, signed with an MFA session.
KEEP_THE_POLICY = (
    "keep the policy: `bootstrap init --protocol https --mfa` signs git with an MFA session, "
    "which the policy lets through"
)


def _never_mfa(context: Context) -> str:
    if context.protocol == "https":
        return "these git requests were signed without an MFA session"
    return "SSH keys can never carry MFA"


def _about_mfa(culprit: Culprit, action: str, resource: str, context: Context) -> bool:
    """Whether the statement denies only without MFA (with MFA, it lets the request pass)."""
    if mfa_policy.is_mfa_deny(culprit.statement):
        return True
    with_mfa = {**request_context(context), **mfa_grants.WITH_MFA}
    again = find_deny((culprit.policy,), action, resource, with_mfa)
    return again is None or again.index != culprit.index


def kms_resource(context: Context) -> str:
    return f"arn:aws:kms:{context.region or '*'}:{context.account or '*'}:alias/aws/codecommit"


def kms_deny(context: Context) -> Finding:
    """CodeCommit's KMS calls for the user (on alias/aws/codecommit) are denied."""
    culprit = None
    if context.policies is not None:
        ctx = request_context(context, **{mfa_policy.VIA_SERVICE_KEY: context.via_codecommit})
        for action in mfa_policy.CODECOMMIT_KMS_ACTIONS:
            culprit = find_deny(context.policies, action, kms_resource(context), ctx)
            if culprit:
                break
    where = culprit.describe() if culprit else "the Deny statement that enforces MFA"
    return Finding(
        f"{where} also denies the KMS calls CodeCommit makes for you (the repository is "
        "encrypted with alias/aws/codecommit), since they carry no MFA either",
        f"exempt KMS calls made via CodeCommit with a condition StringNotLikeIfExists "
        f'{{"kms:ViaService": "{mfa_policy.VIA_CODECOMMIT}"}} in that statement: '
        + patch_command(culprit.policy if culprit else None, context.user_name),
        "mfa-kms-deny",
    )


def find_mfa_grant(
    policies: tuple[NamedPolicy, ...], action: str, resource: str, ctx: Mapping[str, str]
) -> Culprit | None:
    """The statement that would allow the request with MFA, when without MFA nothing does."""
    found = mfa_grants.granted_only_with_mfa([p.document for p in policies], action, resource, ctx)
    if found is None:
        return None
    named = policies[found.document]
    return Culprit(named, evaluation.statements(named.document)[found.statement], found.statement)


def implicit_deny(action: str, resource: str, context: Context) -> Finding:
    who = f"IAM user {context.user_name}" if context.user_name else "this IAM user"
    grant = None
    if context.policies is not None:
        grant = find_mfa_grant(context.policies, action, resource, request_context(context))
    if grant is not None:
        return Finding(
            f"{grant.describe()} grants {action} on {resource} only with MFA, and "
            f"{_never_mfa(context)}: without MFA no policy allows it",
            KEEP_THE_POLICY
            + "; or add a grant of codecommit:GitPull and codecommit:GitPush without the MFA "
            "condition (every other statement unchanged): "
            + patch_command(grant.policy, context.user_name),
            "mfa-only-allow",
        )
    return Finding(
        f"no IAM policy allows {action} on {resource} for {who}",
        f"ask an administrator to attach AWSCodeCommitPowerUser to {who}, or a policy allowing "
        f"codecommit:GitPull and codecommit:GitPush on {resource}",
        "implicit-deny",
    )
