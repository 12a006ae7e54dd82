"""The MFA policy: the recommended template, and patching an existing deny-unless-MFA policy.

An MFA-enforcing policy denies almost everything while aws:MultiFactorAuthPresent is false or
absent. SSH keys never carry MFA, so git over SSH fails with "explicit deny"; exempting the Git
actions then fails in KMS, because CodeCommit calls KMS for the user. The patch exempts exactly
those two things in each deny-unless-MFA statement:
- `codecommit:GitPull` and `codecommit:GitPush` (added to NotAction);
- KMS calls made through CodeCommit: `StringNotLikeIfExists {"kms:ViaService":
  "codecommit.*.amazonaws.com"}`. Conditions in a statement AND together, so the deny now needs
  "no MFA" AND "not via CodeCommit"; a request without kms:ViaService (any non-KMS call, a direct
  KMS call) still satisfies the IfExists test and stays denied.
A Deny on plain `Bool` (not BoolIfExists) never matches SSH git: the key is absent from requests
signed with long-term keys, and Bool fails on an absent key. Such a statement is named, not
patched. Accounts that require MFA by granting only with it get the narrow grant instead
(mfa_grants.py). Everything else in the document is left exactly as it was, and patching twice
changes nothing.
"""

from __future__ import annotations

import copy
import difflib
import json
from dataclasses import dataclass
from typing import Any

from bootstrap import templating
from bootstrap.policy import mfa_grants
from bootstrap.policy.evaluation import (
    PolicyDocumentError,
    action_matches,
    as_list,
    as_text,
    covers_action,
    statements,
)

GIT_ACTIONS = ("codecommit:GitPull", "codecommit:GitPush")
MFA_KEY = "aws:MultiFactorAuthPresent"
VIA_SERVICE_KEY = "kms:ViaService"
VIA_CODECOMMIT = "codecommit.*.amazonaws.com"
VIA_OPERATOR = "StringNotLikeIfExists"
# What CodeCommit asks KMS for, with the user's permissions, on the AWS managed key.
CODECOMMIT_KMS_ACTIONS = (
    "kms:Decrypt",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
    "kms:DescribeKey",
)
RECOMMENDED_TEMPLATE = "mfa_policy.json"
BROAD_TEMPLATE = "mfa_policy_broad.json"


@dataclass(frozen=True)
class Patch:
    document: dict[str, Any]
    changed: bool
    notes: tuple[str, ...]  # what was done, and what the policy already exempts too broadly


def recommended() -> dict[str, Any]:
    """A complete MFA policy that still lets SSH git work, least privilege."""
    return load(templating.read(RECOMMENDED_TEMPLATE), RECOMMENDED_TEMPLATE)


def broad() -> dict[str, Any]:
    """The field report's own fix: codecommit:* and Null kms:ViaService."""
    return load(templating.read(BROAD_TEMPLATE), BROAD_TEMPLATE)


def load(text: str, source: str) -> dict[str, Any]:
    """Parse a policy document; `source` names it in errors."""
    try:
        document = json.loads(text.removeprefix("\ufeff"))  # editors on Windows add a BOM
    except json.JSONDecodeError as exc:
        raise PolicyDocumentError(
            f"{source} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}",
            "fix the JSON there, or copy the policy again from the IAM console's JSON tab",
        ) from None
    # `aws iam get-policy-version` output wraps the document: accept it as people save it.
    if isinstance(document, dict) and isinstance(document.get("PolicyVersion"), dict):
        document = document["PolicyVersion"].get("Document", document)
    if not isinstance(document, dict):
        raise PolicyDocumentError(
            f"{source} is JSON but not a policy document (not an object)",
            'a policy document looks like {"Version": "2012-10-17", "Statement": [{...}]}',
        )
    statements(document)  # raises if there is no usable Statement
    return document


def render(document: dict[str, Any]) -> str:
    """Two-space indent, keys in their original order: the same for output and diffs."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def diff(before: dict[str, Any], after: dict[str, Any], source: str) -> str:
    lines = difflib.unified_diff(
        render(before).splitlines(keepends=True),
        render(after).splitlines(keepends=True),
        fromfile=source,
        tofile=f"{source} (patched)",
    )
    return "".join(lines)


def is_mfa_deny(statement: Any) -> bool:
    """Effect Deny, Action or NotAction, and Bool[IfExists] aws:MultiFactorAuthPresent "false"."""
    if not isinstance(statement, dict) or statement.get("Effect") != "Deny":
        return False
    condition = statement.get("Condition")
    if not ({"Action", "NotAction"} & statement.keys()) or not isinstance(condition, dict):
        return False
    for operator, block in condition.items():
        if operator.lower() not in ("bool", "boolifexists") or not isinstance(block, dict):
            continue
        for key, value in block.items():
            values = {as_text(v).lower() for v in as_list(value)}
            if key.lower() == MFA_KEY.lower() and values == {"false"}:
                return True
    return False


def spares_ssh(statement: Any) -> bool:
    """A Deny with a plain Bool test of aws:MultiFactorAuthPresent: it never matches a request
    signed with a long-term key (SSH included), which has no such key."""
    if not isinstance(statement, dict) or statement.get("Effect") != "Deny":
        return False
    condition = statement.get("Condition")
    if not isinstance(condition, dict):
        return False
    return any(
        operator.lower() == "bool" and _key_in(block, MFA_KEY) is not None
        for operator, block in condition.items()
    )


def patch(document: dict[str, Any], source: str = "the policy") -> Patch:
    """The document with SSH git exempted from each deny-unless-MFA statement, and granted
    beside each statement that grants it only with MFA."""
    patched = copy.deepcopy(document)
    found = [(i, s) for i, s in enumerate(statements(patched)) if is_mfa_deny(s)]
    notes: list[str] = []
    for index, statement in found:
        name = f"statement '{statement['Sid']}'" if statement.get("Sid") else f"statement #{index}"
        if spares_ssh(statement):
            notes.append(spared_note(name))
            continue
        notes += _exempt_git(statement, name)
        notes += _exempt_kms_via_codecommit(statement, name)
    granted, grants_only_with_mfa = mfa_grants.add_git_grants(patched)
    notes += granted
    if not found and not grants_only_with_mfa:
        raise PolicyDocumentError(
            f"{source} has no deny-unless-MFA statement to patch, and no statement that grants "
            "Git only with MFA",
            "this patches statements with Effect Deny and a Bool or BoolIfExists condition "
            'aws:MultiFactorAuthPresent "false", and Allow statements that need MFA; '
            "`bootstrap policy` prints a complete policy",
        )
    return Patch(patched, patched != document, tuple(notes))


def spared_note(name: str) -> str:
    return (
        f'{name} denies only requests that carry aws:MultiFactorAuthPresent "false" (Bool, not '
        "BoolIfExists); requests signed with SSH keys or other long-term keys carry no such key, "
        "so it does not affect SSH git: left as it is"
    )


def _exempt_git(statement: dict[str, Any], name: str) -> list[str]:
    if "NotAction" in statement:
        patterns = as_list(statement["NotAction"])
        missing = [a for a in GIT_ACTIONS if not any(action_matches(p, a) for p in patterns)]
        notes = []
        if any(action_matches(p, "codecommit:DeleteRepository") for p in patterns):
            notes.append(
                f"{name} exempts more of CodeCommit than Git from MFA (DeleteRepository "
                "included); `bootstrap policy` shows the narrow version"
            )
        if missing:
            statement["NotAction"] = [*patterns, *missing]
            notes.append(f"{name}: added {', '.join(missing)} to NotAction")
        return notes
    actions = as_list(statement.get("Action"))
    covering = [p for p in actions if any(action_matches(p, a) for a in GIT_ACTIONS)]
    if not covering:
        return []
    if any(p in ("*", "*:*") for p in covering):
        # "Deny every action" minus the Git ones is exactly "Deny NotAction [the Git ones]".
        _replace_key(statement, "Action", "NotAction", list(GIT_ACTIONS))
        return [f"{name}: Action {covering[0]!r} became NotAction {list(GIT_ACTIONS)}"]
    git = {a.lower() for a in GIT_ACTIONS}
    rest = [p for p in actions if p.lower() not in git]
    if all(p.lower() in git for p in covering):
        if not rest:
            raise PolicyDocumentError(
                f"{name} denies only {', '.join(covering)} without MFA, so SSH git can never work",
                "delete that statement; the actions it names are exactly the ones SSH needs",
            )
        statement["Action"] = rest
        return [f"{name}: removed {', '.join(covering)} from Action"]
    raise PolicyDocumentError(
        f"{name} denies {', '.join(covering)} through Action, and IAM cannot subtract "
        "actions from a wildcard there",
        "rewrite it with NotAction (the actions allowed without MFA, Git ones included), "
        "or list the CodeCommit actions to deny without GitPull and GitPush",
    )


def _exempt_kms_via_codecommit(statement: dict[str, Any], name: str) -> list[str]:
    if not any(covers_action(statement, a) for a in CODECOMMIT_KMS_ACTIONS):
        return []  # this statement never denies the KMS calls CodeCommit makes
    condition: dict[str, Any] = statement["Condition"]
    for operator, block in condition.items():
        key = _key_in(block, VIA_SERVICE_KEY)
        values = as_list(block[key]) if key else []
        if operator.lower() == "null" and any(as_text(v).lower() == "true" for v in values):
            return [
                f"{name} exempts KMS calls made through any AWS service (Null "
                "kms:ViaService), not only CodeCommit; `bootstrap policy` shows the narrow version"
            ]
    # Extend an existing "not via these services" list rather than adding a second one.
    for operator, block in condition.items():
        key = _key_in(block, VIA_SERVICE_KEY)
        if key and operator.lower() in ("stringnotlikeifexists", "stringnotlike"):
            values = as_list(block[key])
            if VIA_CODECOMMIT in values:
                return []
            block[key] = [*values, VIA_CODECOMMIT]
            return [f"{name}: added {VIA_CODECOMMIT} to {operator} {key}"]
    operator = next((op for op in condition if op.lower() == VIA_OPERATOR.lower()), VIA_OPERATOR)
    block = condition.setdefault(operator, {})
    if not isinstance(block, dict):
        raise PolicyDocumentError(
            f"{name} has a {operator} condition that is not an object",
            f'write it as "{operator}": {{"key": "value"}}',
        )
    block[VIA_SERVICE_KEY] = VIA_CODECOMMIT
    return [f"{name}: KMS calls via CodeCommit no longer need MFA ({operator} {VIA_SERVICE_KEY})"]


def _key_in(block: Any, key: str) -> str | None:
    """The block's spelling of `key` (condition keys are case-insensitive)."""
    if not isinstance(block, dict):
        return None
    return next((k for k in block if k.lower() == key.lower()), None)


def _replace_key(statement: dict[str, Any], old: str, new: str, value: Any) -> None:
    """Rename a key in place, keeping its position (people diff these documents)."""
    items = [(new, value) if k == old else (k, v) for k, v in statement.items()]
    statement.clear()
    statement.update(items)
