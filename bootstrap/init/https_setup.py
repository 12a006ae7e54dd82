"""`bootstrap init --protocol https`: identity ─► git config ─► test clone.

For everyone SSH cannot serve: SSO, role and federated users (only IAM users own SSH keys),
and networks without port 22. git asks our credential helper (`bootstrap git-credential`) for
CodeCommit hosts only, and it signs each request with the profile's AWS credentials, so
nothing long-lived is written. As with SSH: look first, then act; a failed setup step is
undone; the test clone is on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from bootstrap import git
from bootstrap.aws import endpoints
from bootstrap.aws.iam import Aws, Identity
from bootstrap.diagnosis import evidence, rules
from bootstrap.https import git_config, helper_program
from bootstrap.init import clone_step
from bootstrap.init.answers import InitAnswers
from bootstrap.results import CREATED, SKIPPED, UNCHANGED, StepResult
from bootstrap.ui.output import Reporter
from bootstrap.undo import Undo


@dataclass(frozen=True)
class HttpsPlan:
    answers: InitAnswers
    endpoint: endpoints.Endpoint
    identity: Identity
    git: git_config.GitConfigPlan
    clone: clone_step.ClonePlan | None

    def git_step(self, action: str | None = None) -> StepResult:
        urls = ", ".join(self.git.urls[:1]) + (" …" if len(self.git.urls) > 1 else "")
        summary = f"{git_config.tilde(self.git.path)}: {urls} signs with `bootstrap git-credential`"
        details = {"path": str(self.git.path), "sections": list(self.git.urls)}
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
        report.step(
            StepResult("identity", UNCHANGED, who, {"arn": identity.arn, "protocol": "https"})
        )
    command = helper_program.helper_command()
    planned = git_config.plan(git_config.look(), command, answers.profile)
    if not command.on_path and planned.action != UNCHANGED:
        report.warn(f"`bootstrap` is not on PATH, so git will run {command.command} for the helper")
    clone = clone_step.plan(answers, endpoint, endpoints.HTTPS)
    return HttpsPlan(answers, endpoint, identity, planned, clone)


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
    except git.GitFailed as failed:
        # Only an IAM user's policies can be read with iam:ListUserPolicies.
        readable = aws if plan.identity.can_own_ssh_keys else None
        raise evidence.explain(failed, context, readable, plan.endpoint.git_host, None) from None


def _take_back() -> None:
    git_config.remove()


def is_set_up() -> bool:
    """Whether the git config already holds our helper's section (a re-run keeps HTTPS)."""
    return bool(git_config.look().ours)
