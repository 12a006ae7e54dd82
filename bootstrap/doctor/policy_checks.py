"""`bootstrap doctor`'s IAM policy checks: will IAM let SSH git through, without MFA?

Three ways to know, best first: IAM's own simulator (iam:SimulatePrincipalPolicy); when we may
not simulate, our offline evaluator on the user's policies, if we may read them; and, for an
administrator with no AWS credentials at all, `--policy-file` documents evaluated offline.
SSH never carries MFA, so every request is judged without aws:MultiFactorAuthPresent (a request
signed with a long-term key has none; the simulator is told "false"), and CodeCommit's KMS calls
for the user with kms:ViaService codecommit.REGION.amazonaws.com.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any

from bootstrap.aws.iam import Aws
from bootstrap.diagnosis import denies, evidence, rules
from bootstrap.doctor.checks import FAIL, OK, WARN, Check, Facts, not_checked
from bootstrap.errors import EXIT_IAM, EXIT_LOCAL, BootstrapError
from bootstrap.policy import evaluation, mfa_grants, mfa_policy
from bootstrap.policy.documents import NamedPolicy, read_policy_file

GIT_ACTIONS = mfa_policy.GIT_ACTIONS
KMS_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")  # what a pull and a push ask KMS for
_SIMULATOR_OUTCOMES = {
    "allowed": "allowed",
    "explicitDeny": "explicit-deny",
    "implicitDeny": "implicit-deny",
}
# Requests that must still need MFA after the fix: the narrow fix keeps them denied.
_STILL_DENIED: tuple[tuple[str, dict[str, str]], ...] = (
    ("codecommit:DeleteRepository", {}),
    ("s3:GetObject", {}),
    ("iam:CreateAccessKey", {}),
    ("kms:Decrypt", {}),
    ("kms:Decrypt", {mfa_policy.VIA_SERVICE_KEY: "s3.us-east-1.amazonaws.com"}),
)
_ACCOUNT = re.compile(r"^arn:[\w-]+:[\w-]*:[\w-]*:(\d{12}):")


@dataclass(frozen=True)
class Verdict:
    action: str
    outcome: str  # allowed | explicit-deny | implicit-deny (evaluation.Outcome values)
    resource: str
    source: str = ""  # what decided it, when the simulator says


def judge(name: str, verdicts: list[Verdict], context: rules.Context, how: str) -> Check:
    """One check from the decisions: the first thing that would break git, or ok."""
    for verdict in verdicts:
        if verdict.action in GIT_ACTIONS and verdict.outcome != "allowed":
            explain = (
                denies.explicit_deny if verdict.outcome == "explicit-deny" else denies.implicit_deny
            )
            return _failure(name, explain(verdict.action, verdict.resource, context), verdict)
    for verdict in verdicts:
        if verdict.action.startswith("kms:") and verdict.outcome == "explicit-deny":
            return _failure(name, denies.kms_deny(context), verdict)
    return Check(
        name,
        OK,
        "without MFA, IAM allows codecommit:GitPull and codecommit:GitPush and does not deny "
        f"CodeCommit's KMS calls ({how})",
    )


def _failure(name: str, found: rules.Finding, verdict: Verdict) -> Check:
    source = f" (the simulator names {verdict.source})" if verdict.source else ""
    return Check(name, FAIL, found.cause + source, found.fix, EXIT_IAM, found.kind)


def _with_policies(aws: Aws, facts: Facts) -> rules.Context:
    """The context, with the user's policies read if we may (to name the deciding statement)."""
    if facts.policies is None and facts.policies_unreadable is None and facts.user:
        facts.policies, facts.policies_unreadable = evidence.read_policies(aws, facts.user)
    return facts.context()


def _entry(key: str, value: str, kind: str) -> dict[str, Any]:
    return {"ContextKeyName": key, "ContextKeyValues": [value], "ContextKeyType": kind}


def simulated(aws: Aws, facts: Facts) -> list[Check]:
    """IAM's own answer, or, without permission to simulate, the offline one."""
    name = "iam policy"
    if facts.user is None:
        return [not_checked(name, "no IAM user to simulate (see credentials)")]
    try:
        arn = (
            facts.identity.arn
            if facts.identity and facts.identity.arn and facts.identity.user_name == facts.user
            else aws.user_arn(facts.user)
        )
        account = arn.split(":")[4]
        repo = facts.endpoint.repository_arn(account, facts.repo) if facts.repo else "*"
        no_mfa = _entry("aws:MultiFactorAuthPresent", "false", "boolean")
        via = _entry(
            mfa_policy.VIA_SERVICE_KEY, f"codecommit.{facts.region}.amazonaws.com", "string"
        )
        results = aws.simulate(facts.user, arn, list(GIT_ACTIONS), [repo], [no_mfa])
        results += aws.simulate(facts.user, arn, list(KMS_ACTIONS), ["*"], [no_mfa, via])
    except BootstrapError as error:
        cannot = Check(
            name,
            WARN,
            f"cannot ask IAM's policy simulator, so not checked there: {error.cause}",
            "this needs iam:SimulatePrincipalPolicy; an administrator can check a policy "
            "offline with `bootstrap doctor --policy-file FILE`",
        )
        return [cannot, offline(aws, facts)]
    verdicts = [
        Verdict(
            str(result["EvalActionName"]),
            _SIMULATOR_OUTCOMES.get(str(result["EvalDecision"]), "implicit-deny"),
            str(result.get("EvalResourceName") or "*"),
            ", ".join(str(s.get("SourcePolicyId")) for s in result.get("MatchedStatements") or []),
        )
        for result in results
    ]
    context = facts.context()
    denied = [v for v in verdicts if v.outcome == "explicit-deny" or v.action in GIT_ACTIONS]
    if any(v.outcome != "allowed" for v in denied):
        context = _with_policies(aws, facts)  # to name the Deny, or the grant that needs MFA
    return [judge(name, verdicts, context, "IAM policy simulator")]


def offline(aws: Aws, facts: Facts) -> Check:
    """Our evaluator on the user's own policies: identity policies only, no SCPs."""
    name = "iam policy (offline)"
    assert facts.user
    context = _with_policies(aws, facts)
    if facts.policies is None:
        return Check(
            name,
            WARN,
            f"cannot read the policies of {facts.user} either: {facts.policies_unreadable}",
            "an administrator can check them with `bootstrap doctor --policy-file FILE`",
        )
    try:
        verdicts = evaluate([p.document for p in facts.policies], context)
    except evaluation.PolicyDocumentError as error:
        return Check(name, WARN, f"not judged: {error.cause}", error.fix)
    count = len(facts.policies)
    how = (
        f"judged offline from the {count} polic{'y' if count == 1 else 'ies'} of {facts.user}; "
        "SCPs and permissions boundaries are not seen"
    )
    return judge(name, verdicts, context, how)


def evaluate(documents: list[Any], context: rules.Context) -> list[Verdict]:
    """The Git and KMS requests SSH git makes, judged by policy.evaluation."""
    git_resource = f"arn:aws:codecommit:{context.region}:{context.account or '*'}:"
    git_resource += context.repo or "*"
    no_mfa = denies.request_context(context)
    via = denies.request_context(
        context, **{mfa_policy.VIA_SERVICE_KEY: f"codecommit.{context.region}.amazonaws.com"}
    )
    verdicts = []
    for action in GIT_ACTIONS:
        decision = evaluation.evaluate(documents, action, git_resource, no_mfa)
        verdicts.append(Verdict(action, decision.outcome.value, git_resource))
    kms_resource = denies.kms_resource(context)
    for action in KMS_ACTIONS:
        decision = evaluation.evaluate(documents, action, kms_resource, via)
        verdicts.append(Verdict(action, decision.outcome.value, kms_resource))
    return verdicts


# -- --policy-file: an administrator's offline check, no AWS credentials needed ----------------


def _read(path: str) -> NamedPolicy:
    return NamedPolicy(path, "file", mfa_policy.load(read_policy_file(path), path))


def _account(named: list[NamedPolicy]) -> str | None:
    """An account id the documents' Resource ARNs name, to build requests they can match."""
    for item in named:
        for statement in evaluation.statements(item.document):
            for resource in evaluation.as_list(statement.get("Resource")):
                if match := _ACCOUNT.match(str(resource)):
                    return match.group(1)
    return None


def policy_files(paths: list[str], region: str, repo: str | None) -> list[Check]:
    """Judge the documents together, as if they were one user's policies."""
    try:
        named = [_read(path) for path in paths]
    except BootstrapError as error:
        return [Check("policy file", FAIL, error.cause, error.fix, EXIT_LOCAL)]
    account = _account(named) or "123456789012"
    context = rules.Context(
        region=region, repo=repo or "", user_arn=f"arn:aws:iam::{account}:user/USER"
    )
    context = dataclasses.replace(context, policies=tuple(named))
    documents = [item.document for item in named]
    try:
        verdicts = evaluate(documents, context)
        checks = [_git_file_check(v, context, paths) for v in verdicts if v.action in GIT_ACTIONS]
        checks.append(_kms_file_check(verdicts, context, paths))
        checks += _still_needs_mfa(documents, paths)
        checks += _plain_bool_denies(named)
    except evaluation.PolicyDocumentError as error:
        return [Check("policy file", WARN, f"not judged: {error.cause}", error.fix)]
    return checks


def _patch_hint(paths: list[str]) -> str:
    return " ".join(f"`bootstrap policy --from {path}`" for path in paths)


def _git_file_check(verdict: Verdict, context: rules.Context, paths: list[str]) -> Check:
    name = f"{verdict.action} without MFA"
    if verdict.outcome == "explicit-deny":
        found = denies.explicit_deny(verdict.action, verdict.resource, context)
        fix = f"{_patch_hint(paths)} adds the exemptions"
        return Check(name, FAIL, found.cause, fix, EXIT_IAM, found.kind)
    if verdict.outcome == "implicit-deny":
        found = denies.implicit_deny(verdict.action, verdict.resource, context)
        if found.kind == "mfa-only-allow":
            fix = (
                f"{_patch_hint(paths)} adds a grant of codecommit:GitPull and codecommit:GitPush "
                f"without the MFA condition; or {denies.KEEP_THE_POLICY}"
            )
            return Check(name, FAIL, found.cause, fix, EXIT_IAM, found.kind)
        return Check(
            name,
            WARN,
            "not denied, but not allowed either: no statement here grants it",
            "the user also needs a grant, e.g. the AWS managed policy AWSCodeCommitPowerUser",
        )
    return Check(name, OK, "allowed")


def _kms_file_check(verdicts: list[Verdict], context: rules.Context, paths: list[str]) -> Check:
    name = "KMS via CodeCommit"
    if any(v.action.startswith("kms:") and v.outcome == "explicit-deny" for v in verdicts):
        found = denies.kms_deny(context)
        fix = f"{_patch_hint(paths)} adds the exemption"
        return Check(name, FAIL, found.cause, fix, EXIT_IAM, found.kind)
    return Check(
        name,
        OK,
        "CodeCommit's KMS calls for the user are not denied without MFA (they need no Allow of "
        "their own: the AWS managed key's key policy lets CodeCommit use it for the user)",
    )


def _still_needs_mfa(documents: list[Any], paths: list[str]) -> list[Check]:
    """If the documents enforce MFA (with a Deny, or by granting only with MFA), they should
    still do so for everything but SSH git."""
    every = [s for document in documents for s in evaluation.statements(document)]
    denying = any(mfa_policy.is_mfa_deny(statement) for statement in every)
    if not denying and not any(mfa_grants.requires_mfa(statement) for statement in every):
        return []
    name = "MFA still required"
    let_through = []
    for action, extra in _STILL_DENIED:
        if denying:
            ctx = {"aws:MultiFactorAuthPresent": "false", **extra}
            needs_mfa = evaluation.evaluate(documents, action, "*", ctx).explicitly_denied
        else:  # granted only with MFA: without it (a long-term key), nothing may grant it
            needs_mfa = not evaluation.evaluate(documents, action, "*", extra).allowed
        if not needs_mfa:
            via = f" via {extra[mfa_policy.VIA_SERVICE_KEY]}" if extra else ""
            let_through.append(action + via)
    if let_through:
        return [
            Check(
                name,
                WARN,
                f"without MFA these are not denied any more: {', '.join(let_through)}",
                "`bootstrap policy` prints the narrow version, exempting only SSH git",
            )
        ]
    listed = ", ".join(action for action, extra in _STILL_DENIED if not extra)
    if not denying:
        return [Check(name, OK, f"without MFA it still grants none of {listed}")]
    return [Check(name, OK, f"without MFA it still denies {listed} and direct KMS use")]


def _plain_bool_denies(named: list[NamedPolicy]) -> list[Check]:
    """A Deny on plain Bool "false" misses every request signed with a long-term key: say that it
    leaves SSH git alone, and that it lets long-term access keys through without MFA too."""
    found = []
    for item in named:
        for index, statement in enumerate(evaluation.statements(item.document)):
            if mfa_policy.is_mfa_deny(statement) and mfa_policy.spares_ssh(statement):
                found.append(denies.Culprit(item, statement, index).describe())
    if not found:
        return []
    return [
        Check(
            "plain Bool deny",
            WARN,
            f"{', '.join(found)} denies only requests that carry aws:MultiFactorAuthPresent "
            '"false" (Bool, not BoolIfExists): it does not affect SSH git, and it lets requests '
            "signed with long-term access keys through without MFA as well",
            "nothing to do for SSH git; if access keys should need MFA too, use BoolIfExists "
            f"(then {_patch_hint([item.name for item in named])} exempts SSH git)",
        )
    ]
