"""doctor: a live result outranks a prediction.

The policy checks predict from what doctor can see: IAM's policy simulator, or the user's own
policies judged offline. `git ls-remote` is what CodeCommit really did. When the two disagree,
the prediction becomes a warning that names the disagreement and what doctor cannot see, so the
exit code follows the live result (a failed git check keeps its own code, 7).
"""

from __future__ import annotations

import dataclasses

from bootstrap.diagnosis import evidence
from bootstrap.doctor.checks import FAIL, OK, WARN, Check
from bootstrap.errors import EXIT_IAM, EXIT_OK

POLICY_CHECKS = frozenset({"iam policy", "iam policy (offline)"})
# What the live git says when IAM refused it (as opposed to a key, the network, a name).
REFUSED_BY_IAM = evidence.DENY_KINDS | {"mfa-only-allow"}
UNSEEN = (
    "doctor cannot see permissions boundaries, AWS Organizations SCPs, or groups and policies "
    "it could not read"
)


def reconcile(policy: list[Check], live: Check) -> list[Check]:
    """The policy checks, each turned into a warning where the live git check contradicts it."""
    return [_against(check, live) for check in policy]


def _against(check: Check, live: Check) -> Check:
    if check.name not in POLICY_CHECKS:
        return check
    predicted_denied = check.status == FAIL and check.exit_code == EXIT_IAM
    if predicted_denied and live.status == OK:
        return dataclasses.replace(
            check,
            status=WARN,
            detail=(
                f"predicted that IAM refuses SSH git, but the live git ls-remote works: "
                f"{check.detail}; {UNSEEN}, and the live result counts"
            ),
            fix=(
                "nothing to do for git today; if a policy changed a minute ago, IAM may not have "
                "applied it everywhere yet: run doctor again. Otherwise the prediction's own fix "
                f"was: {check.fix}"
            ),
            exit_code=EXIT_OK,
        )
    if check.status == OK and live.status == FAIL and live.kind in REFUSED_BY_IAM:
        return dataclasses.replace(
            check,
            status=WARN,
            detail=(
                f"predicted that IAM lets SSH git through ({check.detail}), but CodeCommit "
                f"refused the live git ls-remote ({live.kind}); {UNSEEN}"
            ),
            fix=(
                "the git check says what CodeCommit refused; ask an administrator which "
                "permissions boundary or SCP applies to this user"
            ),
        )
    return check
