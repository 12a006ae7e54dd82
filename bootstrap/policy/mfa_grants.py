"""MFA required through Allow conditions: find the grants that need MFA, add the narrow one.

Instead of a Deny, many accounts grant (`Allow "*"`, or `NotAction iam:*`) only with
`Bool aws:MultiFactorAuthPresent true`, sometimes with `NumericLessThan aws:MultiFactorAuthAge`.
A request signed with an SSH key (or any long-term key) carries neither key (IAM user guide,
"AWS global condition context keys": aws:MultiFactorAuthPresent is not present for long-term
credentials), so such a statement never grants it: SSH git meets an implicit deny.

The fix adds, after the document's statements, an Allow of the Git actions such a statement
covers, on its resources, with its other conditions but without the MFA ones. No existing
statement changes, and adding twice adds nothing.

CodeCommit's KMS calls need no Allow of their own: CodeCommit user guide, "AWS Key Management
Service and encryption for AWS CodeCommit repositories": "An IAM user does not need explicit
permissions for these actions, but the user must not have any attached policies that deny these
actions for the aws/codecommit key". The AWS managed key's key policy (which AWS maintains)
allows its use through CodeCommit; only a Deny blocks it.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bootstrap.policy import evaluation
from bootstrap.policy.evaluation import as_list, as_text, covers_action, statements

GIT_ACTIONS = ("codecommit:GitPull", "codecommit:GitPush")
PRESENT = "aws:MultiFactorAuthPresent"
AGE = "aws:MultiFactorAuthAge"
# A request made with an MFA session, a moment after signing in with MFA.
WITH_MFA = {PRESENT: "true", AGE: "0"}
GRANT_SID = "AllowSshGitWithoutMFA"
KMS_NOTE = (
    "CodeCommit's KMS calls need no Allow of their own: the key policy of the AWS managed key "
    "alias/aws/codecommit lets CodeCommit use it for you, and only a Deny blocks that (CodeCommit "
    'user guide, "AWS Key Management Service and encryption for AWS CodeCommit repositories")'
)


@dataclass(frozen=True)
class MfaGrant:
    """A statement that would grant the request with MFA, and grants nothing without it."""

    document: int
    statement: int
    sid: str | None


def requires_mfa(statement: Any) -> bool:
    """An Allow with a condition that only a request carrying MFA satisfies."""
    if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
        return False
    condition = statement.get("Condition")
    if not isinstance(condition, dict):
        return False
    for operator, block in condition.items():
        if not isinstance(block, dict):
            continue
        name = operator.lower()
        for key, value in block.items():
            values = {as_text(v).lower() for v in as_list(value)}
            if key.lower() == PRESENT.lower() and name == "bool" and values == {"true"}:
                return True
            # Any numeric test of the age but "not equal" fails when the key is absent.
            numeric = name.startswith("numeric") and not name.endswith("ifexists")
            if key.lower() == AGE.lower() and numeric and name != "numericnotequals":
                return True
            if key.lower() == AGE.lower() and name == "null" and values == {"false"}:
                return True
    return False


def granted_only_with_mfa(
    documents: Iterable[Mapping[str, Any]], action: str, resource: str, ctx: Mapping[str, str]
) -> MfaGrant | None:
    """The statement that would allow the request with MFA, when without it nothing does."""
    documents = list(documents)
    try:
        if evaluation.evaluate(documents, action, resource, ctx).outcome is not (
            evaluation.Outcome.IMPLICIT_DENY
        ):
            return None
        decision = evaluation.evaluate(documents, action, resource, {**ctx, **WITH_MFA})
    except evaluation.PolicyDocumentError:
        return None  # a construct the evaluator refuses to guess about
    if not decision.allowed or decision.document is None or decision.statement is None:
        return None
    return MfaGrant(decision.document, decision.statement, decision.sid)


def add_git_grants(document: dict[str, Any]) -> tuple[list[str], bool]:
    """Add the narrow grant beside each MFA-only grant of Git actions, in place.

    Returns the notes, and whether the document grants Git only with MFA anywhere (so that a
    document with nothing to patch can be told from one already patched).
    """
    notes: list[str] = []
    found = False
    for index, statement in enumerate(list(statements(document))):
        if not requires_mfa(statement):
            continue
        actions = [a for a in GIT_ACTIONS if covers_action(statement, a)]
        if not actions:
            continue
        found = True
        missing = [a for a in actions if not _allowed_without_mfa(document, statement, a)]
        grant = _grant(statement, missing) if missing else None
        if grant is None or any(_same_grant(grant, s) for s in statements(document)):
            continue
        grant = {"Sid": _free_sid(document), **grant}
        _append(document, grant)
        name = f"statement '{statement['Sid']}'" if statement.get("Sid") else f"statement #{index}"
        notes.append(
            f"{name} grants {', '.join(missing)} only with MFA, which SSH keys never carry: "
            f"added statement '{grant['Sid']}', allowing {', '.join(missing)} without it "
            "(every existing statement is unchanged)"
        )
    if notes:
        notes.append(KMS_NOTE)
    return notes, found


def without_mfa_conditions(condition: Mapping[str, Any]) -> dict[str, Any]:
    """The Condition element with the MFA keys taken out (empty blocks dropped)."""
    mfa_keys = {PRESENT.lower(), AGE.lower()}
    kept: dict[str, Any] = {}
    for operator, block in condition.items():
        if not isinstance(block, dict):
            kept[operator] = copy.deepcopy(block)
            continue
        rest = {k: copy.deepcopy(v) for k, v in block.items() if k.lower() not in mfa_keys}
        if rest:
            kept[operator] = rest
    return kept


def _grant(statement: Mapping[str, Any], actions: list[str]) -> dict[str, Any]:
    grant: dict[str, Any] = {"Effect": "Allow", "Action": list(actions)}
    for key in ("Resource", "NotResource"):
        if key in statement:
            grant[key] = copy.deepcopy(statement[key])
    rest = without_mfa_conditions(statement.get("Condition") or {})
    if rest:
        grant["Condition"] = rest
    return grant


def _allowed_without_mfa(
    document: dict[str, Any], statement: Mapping[str, Any], action: str
) -> bool:
    """Whether the document already allows `action` without MFA on the statement's resources."""
    resources = as_list(statement.get("Resource"))
    if not resources:
        return False  # NotResource: no sample to ask with; the equality check decides
    try:
        return all(
            evaluation.evaluate([document], action, str(resource), {}).allowed
            for resource in resources
        )
    except evaluation.PolicyDocumentError:
        return False


def _same_grant(grant: Mapping[str, Any], statement: Any) -> bool:
    if not isinstance(statement, dict):
        return False
    return {k: v for k, v in statement.items() if k != "Sid"} == dict(grant)


def _free_sid(document: dict[str, Any]) -> str:
    taken = {str(s.get("Sid")) for s in statements(document)}
    number = 1
    while (sid := GRANT_SID if number == 1 else f"{GRANT_SID}{number}") in taken:
        number += 1
    return sid


def _append(document: dict[str, Any], statement: dict[str, Any]) -> None:
    # IAM accepts one object as the Statement; a second statement needs the list form.
    if isinstance(document.get("Statement"), dict):
        document["Statement"] = [document["Statement"]]
    document["Statement"].append(statement)
