"""After SSH git met a deny-unless-MFA policy: the two ways out, asked at a terminal.

SSH keys can never carry MFA, so under such a policy the SSH setup is right and git is still
refused. One way keeps the policy: HTTPS signed with an MFA session (`--protocol https --mfa`).
The other loosens it, as narrowly as `bootstrap policy` can. Unattended, the error's fix names
both; at a terminal the wizard asks which, and goes on over HTTPS for the first.
"""

from __future__ import annotations

from dataclasses import replace

from bootstrap.aws import endpoints
from bootstrap.errors import GitAccessError
from bootstrap.init.answers import InitAnswers
from bootstrap.ui.output import Reporter
from bootstrap.ui.prompts import Prompter

# The diagnoses (diagnosis/denies.py) that an MFA session answers: SSH git, or CodeCommit's
# KMS calls for it, refused because SSH requests never carry MFA.
MFA_KINDS = ("mfa-explicit-deny", "mfa-kms-deny", "mfa-only-allow")

KEEP_POLICY = "HTTPS signed with an MFA session: the policy stays as it is (recommended)"
LOOSEN_POLICY = "Keep SSH: show the narrowest policy change that lets SSH git through"


def is_mfa_refusal(error: GitAccessError) -> bool:
    return error.details.get("kind") in MFA_KINDS


def offered(error: GitAccessError, answers: InitAnswers, prompter: Prompter) -> bool:
    """Whether to ask: at a terminal, when --protocol ssh did not settle it."""
    return (
        prompter.interactive
        and not answers.ssh_insisted
        and not answers.dry_run
        and is_mfa_refusal(error)
    )


def choose(
    error: GitAccessError, answers: InitAnswers, prompter: Prompter, report: Reporter
) -> InitAnswers:
    """The answers to go on with over HTTPS and MFA; re-raises `error` for the policy way."""
    report.note(f"SSH git is refused: {error.cause}")
    report.note(
        "The SSH setup is kept (it is right; the policy refuses it). There are two ways out."
    )
    picked = prompter.select("Which way?", [KEEP_POLICY, LOOSEN_POLICY], default=KEEP_POLICY)
    if picked != KEEP_POLICY:
        raise error
    return replace(answers, protocol=endpoints.HTTPS, mfa=True, mfa_ask=prompter.secret)


WHY_HTTPS = "SSH git needs MFA here, so HTTPS with an MFA session"
