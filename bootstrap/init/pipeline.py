"""`bootstrap init`: who the credentials are, SSH or HTTPS, then that way's look → confirm →
act (ssh_setup.py, https_setup.py).

Over SSH, a test clone that meets a deny-unless-MFA policy can go on over HTTPS with an MFA
session (mfa_way_out.py), as port 22 that does not answer can go on over HTTPS.
"""

from __future__ import annotations

from bootstrap import files
from bootstrap.aws import endpoints
from bootstrap.aws.iam import Aws, Identity
from bootstrap.errors import GitAccessError, PortUnreachable, StoppedByUser
from bootstrap.init import access_ahead, https_setup, key_ahead, mfa_way_out, ssh_setup
from bootstrap.init.answers import InitAnswers
from bootstrap.init.key_ahead import KeyAhead
from bootstrap.ssh import config_files, config_plan
from bootstrap.ui.output import Reporter
from bootstrap.ui.prompts import Prompter


def who_is(aws: Aws, answers: InitAnswers) -> Identity:
    """Whoever the credentials belong to (--user: that IAM user, unasked)."""
    return Identity("user", answers.user) if answers.user else aws.who_am_i()


def choose_protocol(answers: InitAnswers, identity: Identity) -> tuple[str, str]:
    """SSH or HTTPS, and why: --protocol; else HTTPS for whoever cannot own SSH keys; else
    what a re-run finds set up; else SSH."""
    if answers.mfa:
        return endpoints.HTTPS, "HTTPS with an MFA session, as --mfa asks"
    if answers.protocol:
        return answers.protocol, "as --protocol asks"
    if not identity.can_own_ssh_keys:
        return endpoints.HTTPS, "SSH keys need an IAM user, so HTTPS"
    if config_plan.key_id_in_block(files.read_text_exact(answers.ssh_config)) is None and (
        https_setup.is_set_up()
    ):
        return endpoints.HTTPS, "HTTPS, as set up before"
    return endpoints.SSH, ""


def warn_about_locations(
    answers: InitAnswers, endpoint: endpoints.Endpoint, report: Reporter
) -> None:
    if (unknown := endpoints.unknown_region_warning(endpoint)) is not None:
        report.warn(unknown)
    for warning in config_files.location_warnings(
        answers.ssh_config, answers.ssh_config_is_default, endpoint.git_host
    ):
        report.warn(warning)


def run(
    answers: InitAnswers, prompter: Prompter, report: Reporter, early: KeyAhead | None = None
) -> None:
    """`early`: a new key already being generated from the flags (wizard.early_key)."""
    endpoint = endpoints.resolve(answers.region)
    # A re-run's access check, begun now: it overlaps the AWS calls, and is used only if the
    # look finds nothing to change (access_ahead.py).
    access = access_ahead.start(answers)
    aws = Aws(answers.profile, answers.region)
    identity = who_is(aws, answers)
    protocol, why = choose_protocol(answers, identity)
    if protocol == endpoints.HTTPS:
        run_https(answers, identity, why, aws, prompter, report)
        return
    warn_about_locations(answers, endpoint, report)
    try:
        # Two runs at once must not interleave: one lock from the first look to the last act.
        with files.locked_unless(answers.dry_run, answers.ssh_config.parent):
            switched = run_ssh(answers, identity, aws, prompter, report, early, access)
    except GitAccessError as refused:
        if not mfa_way_out.offered(refused, answers, prompter):
            raise
        answers = mfa_way_out.choose(refused, answers, prompter, report)
        switched = mfa_way_out.WHY_HTTPS
    if switched:
        run_https(answers, identity, switched, aws, prompter, report, identity_said=True)


def run_ssh(
    answers: InitAnswers,
    identity: Identity,
    aws: Aws,
    prompter: Prompter,
    report: Reporter,
    early: KeyAhead | None,
    access: access_ahead.AccessAhead | None = None,
) -> str:
    """Look, confirm, act over SSH. Returns why to go on over HTTPS instead ("" when done):
    port 22 does not answer, and the user at the terminal chose HTTPS before anything changed."""
    ahead = key_ahead.start_if_needed(answers, early)
    try:
        plan = ssh_setup.look(answers, aws, report, prompter, identity)
    except PortUnreachable as unreachable:
        if answers.ssh_insisted or not prompter.interactive:
            raise
        report.note(unreachable.cause)
        if not prompter.confirm("Set up git over HTTPS (port 443) instead?", default=True):
            raise
        return "port 22 does not answer, so HTTPS"
    preview = plan.preview()
    if answers.dry_run:
        for result in preview:
            report.step(result)
        return ""
    # One confirmation, before the first change; none when nothing would change.
    if prompter.interactive and any(result.changed for result in preview):
        report.summary(preview)
        if not prompter.confirm("Go ahead?", default=True):
            raise StoppedByUser()
    # act() undoes the setup steps when one of them fails; the test clone is on its own.
    setup = [result.step for result in preview if result.step != "test clone"]
    report.acting([result.step for result in preview], undone_on_failure=setup)
    ssh_setup.act(plan, aws, report, ahead, access)
    return ""


def run_https(
    answers: InitAnswers,
    identity: Identity,
    why: str,
    aws: Aws,
    prompter: Prompter,
    report: Reporter,
    *,
    identity_said: bool = False,
) -> None:
    """The same look → confirm → act over HTTPS (https_setup.py). `identity_said`: the SSH
    look already reported the identity line."""
    who = identity.describe(answers.profile) + ("" if identity.arn else " (from --user)")
    who += f": {why}" if why else ""
    if identity_said:
        report.info(f"{why}")
    plan = https_setup.look(answers, identity, who, report, identity_said=identity_said)
    preview = plan.preview()
    if answers.dry_run:
        for result in preview:
            report.step(result)
        return
    if prompter.interactive and any(result.changed for result in preview):
        report.summary(preview)
        if not prompter.confirm("Go ahead?", default=True):
            raise StoppedByUser()
    report.acting([result.step for result in preview], undone_on_failure=["git"])
    https_setup.act(plan, aws, report)
