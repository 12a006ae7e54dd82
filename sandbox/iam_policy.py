"""A small, readable IAM policy evaluator: what the CodeCommit double needs, and no more.

Deliberately independent of the tool's own evaluator (bootstrap/policy.py, written separately):
the tests judge the tool's advice with this one, so a shared bug cannot grade itself.

Covered: Effect Allow/Deny; Action/NotAction and Resource/NotResource (a string or a list, `*`
and `?` wildcards; actions match case-insensitively); Statement as a list or one object;
condition operators Bool, Null, StringEquals, StringNotEquals, StringLike, StringNotLike,
ArnLike (treated as StringLike) and the Numeric ones (for aws:MultiFactorAuthAge), each also
with the IfExists suffix; `${key}` policy variables from the request context. Keys in one
condition block AND together; a key's values OR together (for the Not operators: no value may
match). Explicit deny wins; no allow is an implicit deny.

Context values are single strings. A missing key: the IfExists form is true; the Not operators
are true (nothing matches); all others are false; Null tests presence itself.
Not covered: multi-valued keys (ForAllValues/ForAnyValue), date/IP operators, principals,
permissions boundaries, SCPs, session policies, resource policies.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from typing import Any

Context = Mapping[str, str]


class Decision(enum.Enum):
    ALLOW = "allow"
    EXPLICIT_DENY = "explicit deny"
    IMPLICIT_DENY = "implicit deny"


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _glob(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """IAM wildcard match: `*` any run of characters, `?` one character, nothing else special."""
    regex = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    flags = re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL
    return re.fullmatch(regex, value, flags) is not None


_VARIABLE = re.compile(r"\$\{([^}]+)\}")


def _substitute(text: str, context: Context) -> str:
    """Replace ${key} with the context's value; unknown keys stay as written (and won't match)."""
    return _VARIABLE.sub(lambda m: context.get(m.group(1), m.group(0)), text)


def _any_match(patterns: Iterable[str], value: str, context: Context, *, ignore_case: bool) -> bool:
    return any(
        _glob(_substitute(str(p), context), value, ignore_case=ignore_case) for p in patterns
    )


# --- conditions -------------------------------------------------------------------------------


def _bool(actual: str, wanted: str) -> bool:
    return actual.lower() == wanted.lower()


def _string_equals(actual: str, wanted: str) -> bool:
    return actual == wanted


def _string_like(actual: str, wanted: str) -> bool:
    return _glob(wanted, actual)


def _numbers(actual: str, wanted: str) -> tuple[float, float] | None:
    try:
        return float(actual), float(wanted)
    except ValueError:
        return None  # not a number: never matches


def _numeric_less(actual: str, wanted: str) -> bool:
    pair = _numbers(actual, wanted)
    return pair is not None and pair[0] < pair[1]


def _numeric_at_most(actual: str, wanted: str) -> bool:
    pair = _numbers(actual, wanted)
    return pair is not None and pair[0] <= pair[1]


def _numeric_equals(actual: str, wanted: str) -> bool:
    pair = _numbers(actual, wanted)
    return pair is not None and pair[0] == pair[1]


def _numeric_more(actual: str, wanted: str) -> bool:
    pair = _numbers(actual, wanted)
    return pair is not None and pair[0] > pair[1]


def _numeric_at_least(actual: str, wanted: str) -> bool:
    pair = _numbers(actual, wanted)
    return pair is not None and pair[0] >= pair[1]


# operator base name -> (value test, negated)
_OPERATORS = {
    "NumericLessThan": (_numeric_less, False),
    "NumericLessThanEquals": (_numeric_at_most, False),
    "NumericEquals": (_numeric_equals, False),
    "NumericNotEquals": (_numeric_equals, True),
    "NumericGreaterThan": (_numeric_more, False),
    "NumericGreaterThanEquals": (_numeric_at_least, False),
    "Bool": (_bool, False),
    "StringEquals": (_string_equals, False),
    "StringNotEquals": (_string_equals, True),
    "StringLike": (_string_like, False),
    "StringNotLike": (_string_like, True),
    "ArnLike": (_string_like, False),
}


class UnsupportedCondition(ValueError):
    pass


def _condition_holds(operator: str, key: str, values: list[Any], context: Context) -> bool:
    """One operator on one key with its values."""
    if operator == "Null":
        wants_missing = [str(v).lower() == "true" for v in values]
        return (key not in context) in wants_missing
    base, if_exists = operator, False
    if operator.endswith("IfExists"):
        base, if_exists = operator[: -len("IfExists")], True
    if base not in _OPERATORS:
        raise UnsupportedCondition(f"condition operator {operator!r} is not supported")
    test, negated = _OPERATORS[base]
    if key not in context:
        return if_exists or negated
    actual = context[key]
    matched = any(test(actual, _substitute(str(v), context)) for v in values)
    return not matched if negated else matched


def conditions_hold(block: Mapping[str, Any] | None, context: Context) -> bool:
    """All operators and all keys in a Condition block must hold."""
    for operator, keys in (block or {}).items():
        for key, values in keys.items():
            if not _condition_holds(operator, key, _as_list(values), context):
                return False
    return True


# --- statements -------------------------------------------------------------------------------


def statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return _as_list(document.get("Statement"))


def statement_applies(
    statement: Mapping[str, Any], action: str, resource: str, context: Context
) -> bool:
    """Does this statement cover (action, resource) under the context's conditions?"""
    if "Action" in statement:
        if not _any_match(_as_list(statement["Action"]), action, context, ignore_case=True):
            return False
    elif "NotAction" in statement:
        if _any_match(_as_list(statement["NotAction"]), action, context, ignore_case=True):
            return False
    else:
        return False
    if "Resource" in statement:
        if not _any_match(_as_list(statement["Resource"]), resource, context, ignore_case=False):
            return False
    elif "NotResource" in statement:
        if _any_match(_as_list(statement["NotResource"]), resource, context, ignore_case=False):
            return False
    else:
        return False
    return conditions_hold(statement.get("Condition"), context)


def evaluate(
    documents: Iterable[Mapping[str, Any]],
    action: str,
    resource: str,
    context: Context | None = None,
) -> Decision:
    """Evaluate identity-based policy documents for one request."""
    ctx: Context = context or {}
    allowed = False
    for document in documents:
        for statement in statements(document):
            if not statement_applies(statement, action, resource, ctx):
                continue
            effect = statement.get("Effect")
            if effect == "Deny":
                return Decision.EXPLICIT_DENY
            if effect == "Allow":
                allowed = True
    return Decision.ALLOW if allowed else Decision.IMPLICIT_DENY
