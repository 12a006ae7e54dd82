"""The test clone: into a temporary directory (removed) or a kept --clone-dir."""

from __future__ import annotations

import contextlib
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from bootstrap import git
from bootstrap.aws import endpoints
from bootstrap.errors import BootstrapError, GitAccessError, LocalFileError, UsageError
from bootstrap.init.answers import InitAnswers
from bootstrap.results import CLONED, CREATED, SKIPPED, UNCHANGED, VERIFIED, StepResult
from bootstrap.ssh import askpass, keychain, proved_repo
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
            action = VERIFIED
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
            summary = f"{clone.url} into {where}"
            action = CREATED if clone.keep_in else CLONED
    report.step(
        StepResult(
            "test clone", action, summary, {"url": clone.url, "dir": str(clone.keep_in or "")}
        )
    )
    if not https and answers.repo:  # what `rotate` checks a new key with, without --repo
        with contextlib.suppress(OSError, LocalFileError):
            proved_repo.remember(answers.ssh_config, answers.region, answers.repo)
    report.next_steps.append(next_step(clone, ssh_config))


ACCESS_STEP = "access"


def access_preview(clone: ClonePlan, proved_at: str) -> StepResult:
    """A re-run that changes nothing checks access with git ls-remote instead of a clone:
    what that will be (a dry run, and --check, stay offline)."""
    summary = f"git ls-remote {clone.url} checks access (this exact setup cloned it at {proved_at})"
    details = {"url": clone.url, "proved_at": proved_at}
    return StepResult(ACCESS_STEP, SKIPPED, summary, details)


def check_access(
    clone: ClonePlan,
    answers: InitAnswers,
    ssh_config: Path | None,
    proved_at: str,
    report: Reporter,
    started: Callable[[str, Path | None, str | None], git.GitRun | None] | None = None,
    config_text: str | None = None,
) -> None:
    """One git ls-remote: policies, SCPs, the repository or the network may have changed since
    the clone that proved this setup, and local files cannot show it. A failure raises
    git.GitFailed, explained as a failed clone is. `started`: the answer of the same check
    begun ahead (access_ahead.py), when it is this one (`config_text`: the config as planned)."""
    answer = started(clone.url, ssh_config, config_text) if started is not None else None
    if answer is not None:
        if answer.returncode != 0:
            raise git.GitFailed(answer, clone.url)
    else:
        with askpass.environment(answers.passphrase) as extra:
            https = clone.url.startswith("https://")
            env = git.no_prompt_env() if https else ssh_client.git_env(ssh_config, extra)
            git.ls_remote(clone.url, env, fresh_upload=False)
    # The line reads "access verified: git ls-remote … works": the action says "verified".
    summary = f"git ls-remote {clone.url} works (this exact setup cloned it at {proved_at})"
    details = {"url": clone.url, "dir": str(clone.keep_in or ""), "proved_at": proved_at}
    report.step(StepResult(ACCESS_STEP, VERIFIED, summary, details))
    report.next_steps.append(next_step(replace(clone, existing_clone=True), ssh_config))


def setup_kept_for(error: BootstrapError, kept: str) -> BootstrapError:
    """A repository that does not exist, after the setup was made: say plainly that the
    setup (`kept`) is right and stays, that the name is what is wrong, and how to check
    another name without changing anything. No AWS request: a fresh init stays at 3."""
    if error.details.get("kind") != "no-repository":
        return error
    return GitAccessError(
        f"{error.cause}; {kept} is right and was kept, only the repository name is not",
        f"{error.fix}; `bootstrap doctor --repo NAME` checks another name (it changes nothing), "
        "and `bootstrap init --repo NAME` test-clones it",
        details=error.details,
    )


def next_step(clone: ClonePlan, ssh_config: Path | None) -> str:
    """What to type next: a fresh kept clone is up to date (no `git pull`), an existing one may
    not be, and a throw-away clone leaves the real clone to do."""
    prefix = f"GIT_SSH_COMMAND='ssh -F {ssh_config}' " if ssh_config is not None else ""
    if clone.keep_in is not None and not clone.existing_clone:
        export = f" && export {prefix.strip()}" if prefix else ""
        return f"Next: cd {_short(clone.keep_in)}{export}"
    if clone.keep_in is not None:
        return f"Next: cd {_short(clone.keep_in)} && {prefix}git pull"
    return f"Next: {prefix}git clone {clone.url}"


def closing_lines(answers: InitAnswers, results: Sequence[StepResult], said: bool) -> list[str]:
    """The `Next:` lines a run that ended well still lacks (`said`: the clone gave one): a
    re-run whose clone was proved before, `--no-clone`; and, for a key with a passphrase, how
    to type it once rather than at every git command."""
    https = any(result.step == "git" for result in results)  # the HTTPS setup's own step
    ssh_config = None if answers.ssh_config_is_default or https else answers.ssh_config
    lines = []
    if not said:
        clone = next((result for result in results if result.step == "test clone"), None)
        url = (clone.details.get("url") if clone else None) or endpoints.resolve(
            answers.region
        ).url(endpoints.HTTPS if https else endpoints.SSH, answers.repo or "REPO")
        keep_in = clone.details.get("dir") if clone else None
        proved = ClonePlan(url, Path(keep_in) if keep_in else None, existing_clone=True)
        lines.append(next_step(proved, ssh_config))
    if not https and keychain.key_has_passphrase(answers.key_path, answers.passphrase):
        lines.append(keychain.passphrase_tip(answers.key_path))
    return lines


def _short(path: Path) -> str:
    """`NAME` for a clone under the current directory (what the user would type)."""
    try:
        return shlex.quote(str(path.relative_to(Path.cwd())))
    except ValueError:
        return shlex.quote(str(path))
