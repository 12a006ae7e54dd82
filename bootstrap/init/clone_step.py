"""The test clone: into a temporary directory (removed) or a kept --clone-dir."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

from bootstrap import git
from bootstrap.aws import endpoints
from bootstrap.errors import UsageError
from bootstrap.init.answers import InitAnswers
from bootstrap.results import CREATED, SKIPPED, UNCHANGED, StepResult
from bootstrap.ssh import askpass
from bootstrap.ssh import client as ssh_client
from bootstrap.ui.output import Reporter


@dataclass(frozen=True)
class ClonePlan:
    url: str
    keep_in: Path | None
    existing_clone: bool  # keep_in already holds a clone of url: verify with ls-remote

    def preview(self) -> StepResult:
        """What act() will do, without running git (`init --check` counts on it): a kept
        clone into a new or empty directory is created, an existing clone is unchanged (git
        ls-remote checks it), and a throw-away clone changes nothing (so: skipped here)."""
        details = {"url": self.url, "dir": str(self.keep_in or "")}
        if self.keep_in is None:
            summary = f"would test-clone {self.url} into a temporary directory (removed)"
            return StepResult("test clone", SKIPPED, summary, details)
        if self.existing_clone:
            summary = f"{self.keep_in} is already a clone; would check it with git ls-remote"
            return StepResult("test clone", UNCHANGED, summary, details)
        return StepResult("test clone", CREATED, f"clone {self.url} into {self.keep_in}", details)


def plan(
    answers: InitAnswers, endpoint: endpoints.Endpoint, protocol: str = endpoints.SSH
) -> ClonePlan | None:
    if not answers.clone or not answers.repo:
        return None
    url = endpoint.url(protocol, answers.repo)
    target = answers.clone_dir
    if target is None or not target.exists():
        return ClonePlan(url, target, False)
    if git.origin_url(target) == url:
        return ClonePlan(url, target, True)
    if target.is_dir() and not any(target.iterdir()):
        return ClonePlan(url, target, False)
    raise UsageError(
        f"--clone-dir {target} already exists and is not a clone of {url}",
        "choose an empty or new directory for --clone-dir",
    )


def act(
    clone: ClonePlan | None,
    answers: InitAnswers,
    ssh_config: Path | None,
    fresh_upload: bool,
    report: Reporter,
) -> None:
    """Clone (or, for an existing clone, ls-remote), retrying while a new key propagates.
    A failure raises git.GitFailed, for the caller to explain with its evidence."""
    if clone is None:
        report.step(StepResult("test clone", SKIPPED, "--no-clone"))
        return

    def waiting(delay: float) -> None:
        report.info(f"CodeCommit does not accept the new key yet; retrying in {delay:.0f} s")

    with askpass.environment(answers.passphrase) as extra:
        # Over HTTPS our credential helper signs: git needs only its own proxy and CA settings.
        https = clone.url.startswith("https://")
        env = git.no_prompt_env() if https else ssh_client.git_env(ssh_config, extra)
        if clone.existing_clone:
            git.ls_remote(
                clone.url,
                env,
                fresh_upload=fresh_upload,
                on_retry=waiting,
            )
            summary = f"{clone.keep_in} is already a clone; git ls-remote works"
            action = UNCHANGED
        else:
            git.test_clone(
                clone.url,
                env,
                keep_in=clone.keep_in,
                fresh_upload=fresh_upload,
                show_progress=report.progress,
                on_retry=waiting,
            )
            where = str(clone.keep_in) if clone.keep_in else "a temporary directory (removed)"
            summary = f"cloned {clone.url} into {where}"
            action = CREATED if clone.keep_in else UNCHANGED
    report.step(
        StepResult(
            "test clone", action, summary, {"url": clone.url, "dir": str(clone.keep_in or "")}
        )
    )
    report.next_steps.append(next_step(clone, ssh_config))


def next_step(clone: ClonePlan, ssh_config: Path | None) -> str:
    prefix = f"GIT_SSH_COMMAND='ssh -F {ssh_config}' " if ssh_config is not None else ""
    if clone.keep_in is not None:
        return f"Next: cd {_short(clone.keep_in)} && {prefix}git pull"
    return f"Next: {prefix}git clone {clone.url}"


def _short(path: Path) -> str:
    """`NAME` for a clone under the current directory (what the user would type)."""
    try:
        return shlex.quote(str(path.relative_to(Path.cwd())))
    except ValueError:
        return shlex.quote(str(path))
