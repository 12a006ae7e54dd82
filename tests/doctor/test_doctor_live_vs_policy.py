"""doctor: a live result outranks a prediction (issue 14 §5), on the checks themselves."""

from __future__ import annotations

from bootstrap.doctor import checkup, live_vs_policy
from bootstrap.doctor.checks import FAIL, OK, WARN, Check
from bootstrap.errors import EXIT_GIT, EXIT_IAM

DENIED = Check(
    "iam policy (offline)",
    FAIL,
    "statement 'Block' of inline policy 'mfa' denies codecommit:GitPull without MFA",
    "`bootstrap policy --from FILE` adds the exemptions",
    EXIT_IAM,
    "mfa-explicit-deny",
)
ALLOWED = Check("iam policy", OK, "without MFA, IAM allows codecommit:GitPull (simulator)")
CANNOT = Check("iam policy", WARN, "cannot ask IAM's policy simulator")
GIT_OK = Check("git", OK, "git ls-remote ssh://git-codecommit.us-east-1.amazonaws.com/v1/repos/r")
GIT_DENIED = Check(
    "git", FAIL, "an SCP denies it", "ask an administrator", EXIT_GIT, "explicit-deny"
)
GIT_KEY = Check("git", FAIL, "CodeCommit refused the SSH key", "run doctor", EXIT_GIT, "publickey")


def test_git_that_works_turns_a_predicted_deny_into_a_warning_and_exit_0() -> None:
    [check] = live_vs_policy.reconcile([DENIED], GIT_OK)
    assert check.status == WARN and check.name == DENIED.name
    assert "the live git ls-remote works" in check.detail
    assert DENIED.detail in check.detail  # what was predicted, still said
    for unseen in ("permissions boundaries", "SCPs", "could not read"):
        assert unseen in check.detail
    assert checkup.exit_code([check, GIT_OK]) == 0


def test_git_refused_by_iam_turns_a_predicted_allow_into_a_warning_and_git_decides() -> None:
    [check] = live_vs_policy.reconcile([ALLOWED], GIT_DENIED)
    assert check.status == WARN
    assert "CodeCommit refused the live git ls-remote (explicit-deny)" in check.detail
    assert "permissions boundaries, AWS Organizations SCPs" in check.detail
    assert checkup.exit_code([check, GIT_DENIED]) == EXIT_GIT


def test_agreement_and_other_failures_change_nothing() -> None:
    assert live_vs_policy.reconcile([DENIED], GIT_DENIED) == [DENIED]
    assert live_vs_policy.reconcile([ALLOWED], GIT_OK) == [ALLOWED]
    # A key refused is not IAM's judgement: the prediction stands.
    assert live_vs_policy.reconcile([ALLOWED], GIT_KEY) == [ALLOWED]
    # "Could not simulate" predicts nothing.
    assert live_vs_policy.reconcile([CANNOT, DENIED], GIT_OK)[0] == CANNOT
