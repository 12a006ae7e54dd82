"""`bootstrap init`: look at everything first (read-only), then act, step by step.

identity ─► key ─► registration ─► ssh config ─► host key ─► test clone

Nothing is written until every step has looked and found a way forward. If a setup step fails
after others acted, those are undone, so the machine is never left half-configured.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bootstrap import (
    askpass,
    config_step,
    diagnose,
    endpoints,
    files,
    gitcheck,
    hostkeys,
    keys,
    locations,
    registration,
)
from bootstrap.errors import IdentityError, UsageError
from bootstrap.iam import Aws, Identity
from bootstrap.options import CREATED, SKIPPED, UNCHANGED, InitAnswers, StepResult
from bootstrap.output import Reporter
from bootstrap.prompts import Prompter


@dataclass
class Undo:
    """What to reverse, newest first, if a later setup step fails."""

    actions: list[Callable[[], None]] = field(default_factory=list)

    def push(self, action: Callable[[], None]) -> None:
        self.actions.append(action)

    def run(self) -> None:
        for action in reversed(self.actions):
            with contextlib.suppress(Exception):
                action()
        self.actions.clear()


def identify(aws: Aws, answers: InitAnswers) -> Identity:
    if answers.user:
        return Identity("user", answers.user)
    identity = aws.who_am_i()
    if not identity.can_own_ssh_keys:
        repo = answers.repo or "REPO"
        raise IdentityError(
            f"you are signed in as {identity.arn}, a {identity.kind}: only IAM users can have "
            "SSH keys for CodeCommit",
            "use HTTPS instead: pip install git-remote-codecommit && git clone "
            f"{endpoints.https_url(answers.region, answers.profile, repo)}",
            details={"arn": identity.arn, "kind": identity.kind},
        )
    return identity


@dataclass(frozen=True)
class ClonePlan:
    url: str
    keep_in: Path | None
    existing_clone: bool  # keep_in already holds a clone of url: verify with ls-remote


def plan_clone(answers: InitAnswers, endpoint: endpoints.Endpoint) -> ClonePlan | None:
    if not answers.clone or not answers.repo:
        return None
    url = endpoint.ssh_url(answers.repo)
    target = answers.clone_dir
    if target is None or not target.exists():
        return ClonePlan(url, target, False)
    if gitcheck.origin_url(target) == url:
        return ClonePlan(url, target, True)
    if target.is_dir() and not any(target.iterdir()):
        return ClonePlan(url, target, False)
    raise UsageError(
        f"--clone-dir {target} already exists and is not a clone of {url}",
        "choose an empty or new directory for --clone-dir",
    )


@contextlib.contextmanager
def _lock_if_writing(answers: InitAnswers) -> Iterator[None]:
    if answers.dry_run:
        yield
        return
    files.ensure_private_dir(answers.ssh_config.parent)
    with files.locked(answers.ssh_config.parent / ".bootstrap.lock"):
        yield


def run(answers: InitAnswers, prompter: Prompter, report: Reporter) -> None:
    endpoint = endpoints.resolve(answers.region)
    if not endpoint.known:
        report.warn(
            f"botocore does not list CodeCommit in '{answers.region}' yet; "
            f"continuing with {endpoint.git_host}"
        )
    if answers.ssh_config_is_default and (mismatch := locations.home_mismatch()):
        report.warn(mismatch)
    elif not answers.ssh_config_is_default:
        report.warn(
            f"ssh reads {locations.default_ssh_config()} by default, not {answers.ssh_config}; "
            f"bootstrap checks with `ssh -F {answers.ssh_config}`, and so must you "
            f"(GIT_SSH_COMMAND='ssh -F {answers.ssh_config}')"
        )
    with _lock_if_writing(answers):
        _run_locked(answers, endpoint, prompter, report)


def _run_locked(
    answers: InitAnswers, endpoint: endpoints.Endpoint, prompter: Prompter, report: Reporter
) -> None:
    host = endpoint.git_host
    aws = Aws(answers.profile, answers.region)

    # Look: every read, no write.
    identity = identify(aws, answers)
    user = identity.user_name or ""
    who = f"IAM user {user}" + (f" ({identity.arn})" if identity.arn else " (from --user)")
    report.step(StepResult("identity", UNCHANGED, who, {"user": user, "arn": identity.arn}))

    pair = keys.load_pair(answers.key_path, answers.passphrase)
    config = config_step.plan(
        answers.ssh_config, answers.ssh_config_is_default, endpoint.host_pattern, answers.key_path
    )
    found = registration.find(
        aws, user, pair.public if pair else None, config_step.key_id_in_block(config.before)
    )
    registration.check(found)
    config = config_step.prove_candidate(config, host, answers.key_path)
    target = hostkeys.Target.from_options(host, config_step.effective_after_write(config, host))
    known_in = hostkeys.known_entry_file(target)
    server_key = None
    if known_in is None:
        server_key = hostkeys.fetch(target)
        for warning in hostkeys.verify(
            server_key, answers.region, endpoint.published_fingerprint, answers.accept_host_key
        ):
            report.warn(warning)
    clone = plan_clone(answers, endpoint)

    if answers.dry_run:
        _report_plan(report, answers, pair, found, config, target, known_in, server_key, clone)
        return

    # Act, undoing the setup steps if one of them fails.
    undo = Undo()
    try:
        pair = _act_key(answers, pair, report, undo)
        key_id, uploaded = _act_registration(aws, user, pair, found, report, undo)
        _act_config(config, key_id, answers, host, report, undo)
        _act_host_key(target, known_in, server_key, endpoint, report, undo)
    except BaseException:
        undo.run()
        raise
    _act_clone(clone, answers, config, key_id, uploaded, user, report)


def _describe(pair: keys.KeyPair) -> str:
    return f"{locations.tilde(pair.private_path)} (RSA {pair.public.bits}, {pair.public.sha256})"


def _act_key(
    answers: InitAnswers, pair: keys.KeyPair | None, report: Reporter, undo: Undo
) -> keys.KeyPair:
    details = {"path": str(answers.key_path)}
    if pair is None:
        files.ensure_private_dir(answers.key_path.parent)
        pair = keys.generate_pair(
            answers.key_path, answers.key_bits, answers.passphrase, keys.default_comment()
        )
        undo.push(pair.private_path.unlink)
        undo.push(pair.public_path.unlink)
        report.step(StepResult("key", CREATED, _describe(pair), _key_details(pair)))
    elif not pair.public_path.exists():
        keys.write_missing_public(pair)
        report.step(
            StepResult(
                "key",
                "updated",
                f"wrote the missing {pair.public_path.name}",
                {**details, **_key_details(pair)},
            )
        )
    else:
        report.step(StepResult("key", UNCHANGED, _describe(pair), _key_details(pair)))
    return pair


def _key_details(pair: keys.KeyPair) -> dict[str, object]:
    return {
        "path": str(pair.private_path),
        "bits": pair.public.bits,
        "sha256": pair.public.sha256,
        "md5": pair.public.md5,
    }


def _act_registration(
    aws: Aws,
    user: str,
    pair: keys.KeyPair,
    found: registration.Registration,
    report: Reporter,
    undo: Undo,
) -> tuple[str, bool]:
    if found.match is not None:
        key = found.match
        report.step(
            StepResult(
                "registration",
                UNCHANGED,
                f"already registered to {user} as {key.key_id} ({key.status})",
                {"key_id": key.key_id, "user": user},
            )
        )
        return key.key_id, False
    key, uploaded = registration.upload(aws, user, pair.public)
    if uploaded:
        undo.push(lambda: aws.delete_key(user, key.key_id))
    action = CREATED if uploaded else UNCHANGED
    summary = (
        f"uploaded to {user} as {key.key_id}"
        if uploaded
        else (f"already registered to {user} as {key.key_id}")
    )
    report.step(StepResult("registration", action, summary, {"key_id": key.key_id, "user": user}))
    return key.key_id, uploaded


def _act_config(
    config: config_step.ConfigPlan,
    key_id: str,
    answers: InitAnswers,
    host: str,
    report: Reporter,
    undo: Undo,
) -> None:
    action = config_step.write(config, key_id)
    if action != UNCHANGED:
        undo.push(lambda: config_step.restore(config))
    config_step.verify_written(config, host, key_id, answers.key_path)
    moved = " (moved to the top, where it wins)" if config.move_to_top else ""
    report.step(
        StepResult(
            "ssh config",
            action,
            f"{locations.tilde(config.path)}: Host {config.host_pattern} → User {key_id}, "
            f"IdentityFile {config.identity_file}{moved}",
            {"path": str(config.path), "key_id": key_id},
        )
    )


def _act_host_key(
    target: hostkeys.Target,
    known_in: Path | None,
    server_key: keys.PublicKey | None,
    endpoint: endpoints.Endpoint,
    report: Reporter,
    undo: Undo,
) -> None:
    if known_in is not None or server_key is None:
        report.step(
            StepResult(
                "host key",
                UNCHANGED,
                f"{target.known_hosts_name} is already in "
                f"{locations.tilde(known_in or target.user_known_hosts[0])}",
                {"known_hosts": str(known_in)},
            )
        )
        return
    path = target.user_known_hosts[0]
    before = path.read_bytes() if path.exists() else None
    hostkeys.add_entry(target, server_key)
    undo.push(lambda: _restore_bytes(path, before))
    report.step(
        StepResult(
            "host key",
            CREATED,
            f"trusted {server_key.sha256} for {target.known_hosts_name} in {locations.tilde(path)}",
            {"known_hosts": str(path), "fingerprint": server_key.sha256},
        )
    )


def _restore_bytes(path: Path, before: bytes | None) -> None:
    if before is None:
        path.unlink()
    else:
        files.atomic_write(path, before, path.stat().st_mode & 0o777)


def _act_clone(
    clone: ClonePlan | None,
    answers: InitAnswers,
    config: config_step.ConfigPlan,
    key_id: str,
    uploaded: bool,
    user: str,
    report: Reporter,
) -> None:
    if clone is None:
        report.step(StepResult("test clone", SKIPPED, "--no-clone"))
        return
    context = diagnose.Context(
        region=answers.region,
        repo=answers.repo or "",
        key_id=key_id,
        key_path=str(answers.key_path),
        fresh_upload=uploaded,
        user_name=user,
    )

    def waiting(delay: float) -> None:
        report.info(f"CodeCommit does not accept the new key yet; retrying in {delay:.0f} s")

    with askpass.environment(answers.passphrase) as extra:
        env = gitcheck.git_env(config.ssh_flag_config, extra)
        if clone.existing_clone:
            gitcheck.ls_remote(
                clone.url, env, fresh_upload=uploaded, context=context, on_retry=waiting
            )
            report.step(
                StepResult(
                    "test clone",
                    UNCHANGED,
                    f"{clone.keep_in} is already a clone; git ls-remote works",
                    {"url": clone.url, "dir": str(clone.keep_in)},
                )
            )
        else:
            gitcheck.test_clone(
                clone.url,
                env,
                keep_in=clone.keep_in,
                fresh_upload=uploaded,
                context=context,
                on_retry=waiting,
            )
            where = str(clone.keep_in) if clone.keep_in else "a temporary directory (removed)"
            action = CREATED if clone.keep_in else UNCHANGED
            report.step(
                StepResult(
                    "test clone",
                    action,
                    f"cloned {clone.url} into {where}",
                    {"url": clone.url, "dir": str(clone.keep_in or "")},
                )
            )
    _next_steps(report, clone, config)


def _next_steps(report: Reporter, clone: ClonePlan, config: config_step.ConfigPlan) -> None:
    prefix = ""
    if config.ssh_flag_config is not None:
        prefix = f"GIT_SSH_COMMAND='ssh -F {config.ssh_flag_config}' "
    if clone.keep_in is not None:
        report.next_steps.append(f"Next: cd {clone.keep_in} && {prefix}git pull")
    else:
        report.next_steps.append(f"Next: {prefix}git clone {clone.url}")


def _report_plan(
    report: Reporter,
    answers: InitAnswers,
    pair: keys.KeyPair | None,
    found: registration.Registration,
    config: config_step.ConfigPlan,
    target: hostkeys.Target,
    known_in: Path | None,
    server_key: keys.PublicKey | None,
    clone: ClonePlan | None,
) -> None:
    if pair is None:
        report.step(
            StepResult(
                "key",
                CREATED,
                f"a new RSA {answers.key_bits} key at {locations.tilde(answers.key_path)}",
            )
        )
    else:
        report.step(StepResult("key", UNCHANGED, _describe(pair), _key_details(pair)))
    if found.match is not None:
        report.step(
            StepResult(
                "registration",
                UNCHANGED,
                f"already registered as {found.match.key_id}",
                {"key_id": found.match.key_id},
            )
        )
        key_id = found.match.key_id
    else:
        report.step(StepResult("registration", CREATED, f"upload the key to {found.user}"))
        key_id = config_step.PLANNED_KEY_ID
    action = config.action_for(key_id)
    report.step(
        StepResult(
            "ssh config", action, f"{locations.tilde(config.path)}: Host {config.host_pattern}"
        )
    )
    if known_in is None and server_key is not None:
        report.step(
            StepResult(
                "host key", CREATED, f"trust {server_key.sha256} for {target.known_hosts_name}"
            )
        )
    else:
        report.step(StepResult("host key", UNCHANGED, f"{target.known_hosts_name} already known"))
    if clone is None:
        report.step(StepResult("test clone", SKIPPED, "--no-clone"))
    else:
        report.step(StepResult("test clone", SKIPPED, f"would test-clone {clone.url}"))
