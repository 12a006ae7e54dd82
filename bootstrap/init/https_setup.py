"""`bootstrap init --protocol https`: identity ─► (mfa session) ─► git config ─► test clone.

For everyone SSH cannot serve: SSO, role and federated users (only IAM users own SSH keys),
and networks without port 22. git asks our credential helper (`bootstrap git-credential`) for
CodeCommit hosts only, and it signs each request with the profile's AWS credentials, so
nothing long-lived is written. As with SSH: look first, then act; a failed setup step is
undone; the test clone is on its own.

With --mfa (an account that denies requests made without MFA), the helper line carries
`--mfa` and signs with the profile's MFA session (https/mfa_session.py). The look makes sure
one exists: a cached, valid one is kept; else one is started with --mfa-code or a code asked
through the wizard's prompter (a few tries on a wrong one), and reported as the step
`mfa session` (created). A dry run (--check) only says it would start one. Without --mfa or
--no-mfa, a re-run keeps what the helper line has.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from bootstrap import git
from bootstrap.aws import endpoints
from bootstrap.aws.iam import Aws, Identity
from bootstrap.diagnosis import evidence, rules
from bootstrap.errors import MissingAnswer, UsageError
from bootstrap.https import git_config, helper_program, mfa_session, mfa_sts
from bootstrap.init import clone_step
from bootstrap.init.answers import InitAnswers, InitFlags
from bootstrap.results import CREATED, FOUND, SKIPPED, UNCHANGED, StepResult
from bootstrap.ui.output import Reporter
from bootstrap.ui.prompts import Prompter
from bootstrap.undo import Undo

MFA_STEP = "mfa session"


@dataclass(frozen=True)
class HttpsPlan:
    answers: InitAnswers
    endpoint: endpoints.Endpoint
    identity: Identity
    git: git_config.GitConfigPlan
    clone: clone_step.ClonePlan | None
    mfa: bool = False  # the helper signs with the profile's MFA session

    def git_step(self, action: str | None = None) -> StepResult:
        urls = ", ".join(self.git.urls[:1]) + (" …" if len(self.git.urls) > 1 else "")
        helper = "bootstrap git-credential" + (" --mfa" if self.mfa else "")
        summary = f"{git_config.tilde(self.git.path)}: {urls} signs with `{helper}`"
        details = {"path": str(self.git.path), "sections": list(self.git.urls), "mfa": self.mfa}
        return StepResult("git", action or self.git.action, summary, details)

    def preview(self) -> list[StepResult]:
        clone = (
            self.clone.preview() if self.clone else StepResult("test clone", SKIPPED, "--no-clone")
        )
        return [self.git_step(), clone]


def look(
    answers: InitAnswers,
    identity: Identity,
    who: str,
    report: Reporter,
    *,
    identity_said: bool = False,
) -> HttpsPlan:
    """Read-only: what the git config has, what it would get, and the clone."""
    endpoint = endpoints.resolve(answers.region)
    if not identity_said:
        report.step(StepResult("identity", FOUND, who, {"arn": identity.arn, "protocol": "https"}))
    command = helper_program.helper_command()
    seen = git_config.look()
    mfa = wants_mfa(answers, seen)
    planned = git_config.plan(seen, command, answers.profile, mfa=mfa)
    if not command.on_path and planned.action != UNCHANGED:
        report.warn(f"`bootstrap` is not on PATH, so git will run {command.command} for the helper")
    clone = clone_step.plan(answers, endpoint, endpoints.HTTPS)
    if mfa:  # last: every other read has found a way forward before a code is asked
        report.step(mfa_step(answers, identity, report))
    return HttpsPlan(answers, endpoint, identity, planned, clone, mfa)


# --- --mfa --------------------------------------------------------------------------------------


def checked_mfa_flags(flags: InitFlags) -> InitFlags:
    """--mfa-serial, --mfa-duration and --mfa-code imply --mfa, and --mfa implies --protocol
    https (refused with --protocol ssh: SSH keys never carry MFA). Their values are checked
    here, before anything heavy is imported."""
    given = [
        flag
        for flag, value in (
            ("--mfa-serial", flags.mfa_serial),
            ("--mfa-duration", flags.mfa_duration),
            ("--mfa-code", flags.mfa_code),
        )
        if value is not None
    ]
    if flags.mfa is False and given:
        raise UsageError(f"{given[0]} is for --mfa, and --no-mfa was given", f"drop {given[0]}")
    mfa = True if given and flags.mfa is None else flags.mfa
    if mfa and flags.protocol == endpoints.SSH:
        raise UsageError(
            "--mfa signs git's HTTPS requests with an MFA session, and --protocol ssh was "
            "given (SSH keys never carry MFA)",
            "drop --protocol ssh (--mfa sets up HTTPS), or drop --mfa",
        )
    mfa_session.parse_duration(flags.mfa_duration)
    if flags.mfa_serial is not None:
        mfa_session.check_serial(flags.mfa_serial)
    if flags.mfa_code is not None:
        try:
            mfa_session.check_code(flags.mfa_code)
        except mfa_session.CodeNotAccepted:
            raise UsageError(
                "--mfa-code is not an MFA code", "pass the 6 digits your MFA device shows now"
            ) from None
    return replace(flags, mfa=mfa, protocol=endpoints.HTTPS if mfa else flags.protocol)


def with_mfa(answers: InitAnswers, flags: InitFlags, prompter: Prompter) -> InitAnswers:
    """The --mfa flags as answers, and how to ask for a code (the prompter's `secret`, at a
    terminal). Checked by checked_mfa_flags already."""
    duration = mfa_session.parse_duration(flags.mfa_duration) if flags.mfa_duration else None
    return replace(
        answers,
        mfa=flags.mfa,
        mfa_serial=flags.mfa_serial,
        mfa_duration=duration,
        mfa_code=flags.mfa_code,
        mfa_ask=prompter.secret if prompter.interactive else None,
    )


def wants_mfa(answers: InitAnswers, seen: git_config.Look) -> bool:
    """--mfa / --no-mfa; else whether the helper line of a previous run has --mfa."""
    if answers.mfa is not None:
        return answers.mfa
    return any(line.mfa for line in git_config.helper_lines(seen))


def _duration(answers: InitAnswers, found: mfa_session.Session | None) -> int:
    """--mfa-duration, else what the last session asked for, else 12 h."""
    if answers.mfa_duration is not None:
        return answers.mfa_duration
    return mfa_session.last_duration(found)


def mfa_step(answers: InitAnswers, identity: Identity, report: Reporter) -> StepResult:
    """Make sure the profile has a valid MFA session: the cached one, else a new one (not in a
    dry run, which says it would start one)."""
    if not identity.can_own_ssh_keys:
        raise mfa_session.MfaError(
            f"--mfa starts an MFA session with an IAM user's access key, and "
            f"{identity.describe(answers.profile)} is not an IAM user",
            "pass --profile with an IAM user's access key, or run without --mfa (a role that "
            "needs MFA asks for it when it is assumed: mfa_serial in its profile)",
        )
    found = mfa_session.cached(answers.profile)
    if found is not None and found.valid and answers.mfa_serial in (None, found.serial):
        return StepResult(MFA_STEP, UNCHANGED, _summary(found), found.as_json())
    serial = answers.mfa_serial or (found.serial if found is not None else None)
    duration = _duration(answers, found)
    starter = mfa_sts.Starter(answers.profile, answers.region, serial, duration)
    if answers.dry_run:
        hours = f"{duration / 3600:g} h"
        details = {"profile": starter.name, "serial": starter.serial(), "duration": duration}
        summary = f"a {hours} session for profile {starter.name} with {starter.serial()}"
        if found is not None:
            summary += f" (the last one {found.describe()})"
        return StepResult(MFA_STEP, CREATED, summary, details)
    if answers.mfa_code is not None:
        session = starter.start(answers.mfa_code)
    elif answers.mfa_ask is not None:
        session = mfa_sts.start_asking(starter, answers.mfa_ask, report.note)
    else:
        why = "has expired" if found is not None else "does not exist yet"
        raise MissingAnswer("--mfa-code", f"a code from your MFA device (the MFA session {why})")
    return StepResult(MFA_STEP, CREATED, _summary(session), session.as_json())


def _summary(session: mfa_session.Session) -> str:
    return f"{session.describe()}: profile {session.profile}, {session.serial}"


def act(plan: HttpsPlan, aws: Aws, report: Reporter) -> None:
    """Write the git config section, then test-clone over HTTPS; a failed clone is explained
    (the config stays: it is right, the clone says what else is wrong)."""
    undo = Undo()
    try:
        action = git_config.apply(plan.git)
        if action == CREATED:
            undo.push(_take_back)
        report.step(plan.git_step(action))
    except BaseException:
        undo.run()
        raise
    answers = plan.answers
    context = rules.Context(
        region=answers.region,
        repo=answers.repo or "",
        user_name=plan.identity.user_name,
        user_arn=plan.identity.arn,
        profile=answers.profile,
        protocol=endpoints.HTTPS,
    )
    try:
        clone_step.act(plan.clone, answers, None, False, report)
        if plan.mfa:
            name = mfa_session.profile_name(answers.profile)
            report.next_steps.append(
                "When the MFA session expires, git asks for a code at the terminal; elsewhere "
                f"run: bootstrap mfa --profile {name}"
            )
    except git.GitFailed as failed:
        # Only an IAM user's policies can be read with iam:ListUserPolicies.
        readable = aws if plan.identity.can_own_ssh_keys else None
        explained = evidence.explain(failed, context, readable, plan.endpoint.git_host, None)
        raise clone_step.setup_kept_for(explained, "the HTTPS setup (the git config)") from None


def _take_back() -> None:
    git_config.remove()


def is_set_up() -> bool:
    """Whether the git config already holds our helper's section (a re-run keeps HTTPS)."""
    return bool(git_config.look().ours)
