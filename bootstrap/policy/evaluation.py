"""Evaluate IAM identity policies offline: enough of IAM's logic to judge an MFA policy.

Covered: Effect; Action/NotAction (`*` and `?` wildcards, case-insensitive);
Resource/NotResource (wildcards, policy variables such as `${aws:username}`); the condition
operators Bool, Null, StringEquals, StringNotEquals, StringEqualsIgnoreCase,
StringNotEqualsIgnoreCase, StringLike, StringNotLike, ArnEquals, ArnLike, ArnNotEquals,
ArnNotLike, the six Numeric ones (aws:MultiFactorAuthAge is numeric) and each one's IfExists
form. Keys are case-insensitive; keys in one operator block
AND together, a key's values OR together (negated operators: no value may match).
Explicit deny wins; without an allow the request is implicitly denied.

A missing context key: IfExists forms are true, negated operators are true (nothing matches),
the others are false; Null tests presence itself. An Arn pattern without colons (a bare "*") is
matched as a whole; one with 2 to 5 parts matches nothing (IAM documents neither case).
Anything else (date and IP operators, ForAllValues/ForAnyValue, Principal) raises
UnsupportedPolicy rather than guessing.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from bootstrap.errors import LocalFileError

Context = Mapping[str, "str | bool"]


class PolicyDocumentError(LocalFileError):
    """A policy document we cannot read, or cannot judge faithfully."""


class UnsupportedPolicy(PolicyDocumentError):
    """A construct this evaluator does not implement: refuse rather than guess."""


class Outcome(enum.Enum):
    ALLOWED = "allowed"
    EXPLICIT_DENY = "explicit-deny"
    IMPLICIT_DENY = "implicit-deny"


@dataclass(frozen=True)
class Decision:
    """IAM's answer for one request, and the statement that decided it."""

    outcome: Outcome
    sid: str | None = None  # the deciding statement's Sid, if it has one
    statement: int | None = None  # its index in its document's Statement list
    document: int | None = None  # which of the documents it came from

    @property
    def allowed(self) -> bool:
        return self.outcome is Outcome.ALLOWED

    @property
    def explicitly_denied(self) -> bool:
        return self.outcome is Outcome.EXPLICIT_DENY

    def describe(self) -> str:
        if self.outcome is Outcome.IMPLICIT_DENY:
            return "implicit deny (no statement allows it)"
        verb = "allowed" if self.allowed else "explicit deny"
        name = f"'{self.sid}'" if self.sid else f"#{self.statement}"
        return f"{verb} by statement {name}"


def evaluate(
    documents: Iterable[Mapping[str, Any]],
    action: str,
    resource: str = "*",
    context: Context | None = None,
) -> Decision:
    """Decide one request against identity policy documents (already parsed JSON)."""
    ctx = normalise_context(context or {})
    allow: Decision | None = None
    for doc_index, document in enumerate(documents):
        for index, statement in enumerate(statements(document)):
            if not applies(statement, action, resource, ctx):
                continue
            sid = statement.get("Sid")
            if _effect(statement) == "Deny":
                return Decision(Outcome.EXPLICIT_DENY, sid, index, doc_index)
            allow = allow or Decision(Outcome.ALLOWED, sid, index, doc_index)
    return allow or Decision(Outcome.IMPLICIT_DENY)


def statements(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The Statement element as a list: IAM accepts one object as well as a list."""
    found = document.get("Statement")
    listed = found if isinstance(found, list) else [found]
    if found is None or not all(isinstance(item, dict) for item in listed):
        raise PolicyDocumentError(
            "the policy has no Statement list of objects",
            'a policy document looks like {"Version": "2012-10-17", "Statement": [{...}]}',
        )
    return cast("list[dict[str, Any]]", listed)


def normalise_context(context: Context) -> dict[str, str]:
    """Lower-cased keys (IAM compares keys case-insensitively); booleans as IAM spells them."""
    return {key.lower(): as_text(value) for key, value in context.items()}


def applies(statement: Mapping[str, Any], action: str, resource: str, ctx: dict[str, str]) -> bool:
    """Whether the statement matches the request, whatever its Effect. `ctx` is normalised."""
    for pair in (("Action", "NotAction"), ("Resource", "NotResource")):
        if not set(pair) & statement.keys():
            # IAM rejects such a policy; guessing here could hide a deny.
            raise PolicyDocumentError(
                f"statement {statement.get('Sid', '')!r} has neither {pair[0]} nor {pair[1]}",
                f"add {pair[0]} (IAM rejects identity policy statements without one)",
            )
    return (
        covers_action(statement, action)
        and _covers_resource(statement, resource, ctx)
        and conditions_hold(statement.get("Condition") or {}, ctx)
    )


def covers_action(statement: Mapping[str, Any], action: str) -> bool:
    if "NotAction" in statement:
        return not any(action_matches(p, action) for p in as_list(statement["NotAction"]))
    return any(action_matches(p, action) for p in as_list(statement.get("Action")))


def action_matches(pattern: str, action: str) -> bool:
    return _glob(pattern, ignore_case=True).fullmatch(action) is not None


def conditions_hold(condition: Mapping[str, Any], ctx: dict[str, str]) -> bool:
    """Every operator block must hold (AND); `ctx` is normalised."""
    return all(_operator_holds(op, block, ctx) for op, block in condition.items())


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _effect(statement: Mapping[str, Any]) -> str:
    effect = statement.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise PolicyDocumentError(
            f"statement {statement.get('Sid', '')!r} has Effect {effect!r}",
            'Effect must be "Allow" or "Deny"',
        )
    return str(effect)


def _covers_resource(statement: Mapping[str, Any], resource: str, ctx: dict[str, str]) -> bool:
    if "NotResource" in statement:
        return not any(_like(p, resource, ctx) for p in as_list(statement["NotResource"]))
    return any(_like(p, resource, ctx) for p in as_list(statement["Resource"]))


# -- conditions ---------------------------------------------------------------------------------

Test = Callable[[str, str, dict[str, str]], bool]  # (policy value, request value, ctx)


def _equals(value: str, actual: str, ctx: dict[str, str]) -> bool:
    wanted = _substitute(value, ctx)
    return wanted is not None and wanted == actual


def _equals_ignore_case(value: str, actual: str, ctx: dict[str, str]) -> bool:
    wanted = _substitute(value, ctx)
    return wanted is not None and wanted.lower() == actual.lower()


def _bool(value: str, actual: str, ctx: dict[str, str]) -> bool:
    return value.lower() == actual.lower()


def _like(value: str, actual: str, ctx: dict[str, str]) -> bool:
    pattern = _pattern(value, ctx)
    return pattern is not None and pattern.fullmatch(actual) is not None


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _numeric(compare: Callable[[float, float], bool]) -> Test:
    def test(value: str, actual: str, ctx: dict[str, str]) -> bool:
        wanted, got = _number(value), _number(actual)
        return wanted is not None and got is not None and compare(got, wanted)

    return test


def _arn_like(value: str, actual: str, ctx: dict[str, str]) -> bool:
    # IAM matches each of the six colon-separated ARN parts on its own.
    wanted, got = value.split(":", 5), actual.split(":", 5)
    if len(wanted) == 1:
        return _like(value, actual, ctx)  # a bare "*": no parts to line up
    return len(wanted) == len(got) == 6 and all(map(_like, wanted, got, [ctx] * 6))


# operator (lower case, without IfExists) → (test, negated)
_OPERATORS: dict[str, tuple[Test, bool]] = {
    "bool": (_bool, False),
    "stringequals": (_equals, False),
    "stringnotequals": (_equals, True),
    "stringequalsignorecase": (_equals_ignore_case, False),
    "stringnotequalsignorecase": (_equals_ignore_case, True),
    "stringlike": (_like, False),
    "stringnotlike": (_like, True),
    "arnequals": (_arn_like, False),
    "arnlike": (_arn_like, False),
    "arnnotequals": (_arn_like, True),
    "arnnotlike": (_arn_like, True),
    "numericequals": (_numeric(lambda got, wanted: got == wanted), False),
    "numericnotequals": (_numeric(lambda got, wanted: got == wanted), True),
    "numericlessthan": (_numeric(lambda got, wanted: got < wanted), False),
    "numericlessthanequals": (_numeric(lambda got, wanted: got <= wanted), False),
    "numericgreaterthan": (_numeric(lambda got, wanted: got > wanted), False),
    "numericgreaterthanequals": (_numeric(lambda got, wanted: got >= wanted), False),
}


def _operator_holds(operator: str, block: Any, ctx: dict[str, str]) -> bool:
    name = operator.lower()
    if_exists = name.endswith("ifexists") and name != "ifexists"
    name = name.removesuffix("ifexists") if if_exists else name
    if (
        not isinstance(block, dict)
        or (name not in _OPERATORS and name != "null")
        or (name == "null" and if_exists)
    ):
        raise UnsupportedPolicy(
            f"condition operator {operator!r} is not one this evaluator understands",
            "check this statement by hand or with the IAM policy simulator",
        )
    for key, wanted in block.items():
        values = [as_text(value) for value in as_list(wanted)]
        actual = ctx.get(key.lower())
        if name == "null":
            # "true" means the key must be absent, "false" that it must be present.
            holds = any((actual is None) == (value.lower() == "true") for value in values)
        elif actual is None:
            holds = if_exists or _OPERATORS[name][1]
        else:
            test, negated = _OPERATORS[name]
            matched = any(test(value, actual, ctx) for value in values)
            holds = not matched if negated else matched
        if not holds:
            return False
    return True


# -- patterns and policy variables --------------------------------------------------------------

_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_ESCAPES = {"*": "*", "?": "?", "$": "$"}  # ${*} ${?} ${$} stand for the literal character


def _glob(pattern: str, *, ignore_case: bool) -> re.Pattern[str]:
    parts = (".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def _variable(body: str, ctx: dict[str, str]) -> str | None:
    if body in _ESCAPES:
        return _ESCAPES[body]
    key, _, default = body.partition(",")
    value = ctx.get(key.strip().lower())
    if value is None and default.strip():
        return default.strip().strip("'")
    return value


def _substitute(value: str, ctx: dict[str, str]) -> str | None:
    """The value with its policy variables filled in; None if one is not in the context."""
    missing = False

    def fill(match: re.Match[str]) -> str:
        nonlocal missing
        found = _variable(match.group(1), ctx)
        missing = missing or found is None
        return found or ""

    result = _VARIABLE.sub(fill, value)
    return None if missing else result


def _pattern(value: str, ctx: dict[str, str]) -> re.Pattern[str] | None:
    """A wildcard pattern (case-sensitive) whose variables match their values literally."""
    regex: list[str] = []
    for index, piece in enumerate(_VARIABLE.split(value)):
        if index % 2 == 0:
            regex.append(_glob(piece, ignore_case=False).pattern)
            continue
        found = _variable(piece, ctx)
        if found is None:
            return None  # an unknown variable makes the pattern match nothing
        regex.append(re.escape(found))
    return re.compile("".join(regex), re.DOTALL)


def as_text(value: Any) -> str:
    """A policy or context value as IAM compares it: JSON true/false become strings."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
