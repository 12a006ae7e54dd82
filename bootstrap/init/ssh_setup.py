"""`bootstrap init` over SSH: look at everything first (read-only), then act, step by step.

identity ─► key ─► registration ─► ssh config ─► host key ─► test clone (or, for a setup a
clone proved before, one git ls-remote: the access check)

Nothing is written until every step has looked and found a way forward. If a setup step fails
after others acted, those are undone, so the machine is never left half-configured.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

from bootstrap import git, interrupts
from bootstrap.aws import endpoints, registration
from bootstrap.aws.iam import Aws, Identity
from bootstrap.diagnosis import evidence, rules
from bootstrap.errors import LocalFileError
from bootstrap.init import clone_step, key_choice, setup_steps
from bootstrap.init.access_ahead import AccessAhead
from bootstrap.init.answers import InitAnswers
from bootstrap.init.key_ahead import KeyAhead
from bootstrap.results import CREATED, FOUND, SKIPPED, UNCHANGED, StepResult
from bootstrap.ssh import config_plan, hostkeys, keys, legacy_rsa, locations, verified
from bootstrap.ui.output import Reporter
from bootstrap.ui.prompts import Prompter
from bootstrap.undo import Undo


@dataclass(frozen=True)
class InitPlan:
    """Everything the look phase found; acting on it needs no further reads."""

    answers: InitAnswers
    endpoint: endpoints.Endpoint
    identity: Identity
    pair: keys.KeyPair | None
    found: registration.Registration
    config: config_plan.ConfigPlan
    target: hostkeys.Target
    known_in: Path | None  # the known_hosts file that already trusts the host
    server_key: keys.PublicKey | None  # verified, to be added when known_in is None
    clone: clone_step.ClonePlan | None
    proved_at: str | None = None  # when a clone proved this exact setup (then: no clone)

    @property
    def user(self) -> str:
        return self.identity.user_name or ""

    def preview(self) -> list[StepResult]:
        """What acting would do, step by step (for --dry-run and the wizard's summary)."""
        answers = self.answers
        if self.pair is None:
            where = locations.tilde(answers.key_path)
            key = StepResult("key", CREATED, f"a new RSA {answers.key_bits} key at {where}")
        else:
            key = StepResult(
                "key",
                UNCHANGED,
                setup_steps.describe_key(self.pair),
                setup_steps.key_details(self.pair),
            )
        match = self.found.match
        if match is not None:
            registered = StepResult(
                "registration",
                UNCHANGED,
                f"already registered as {match.key_id}",
                {"key_id": match.key_id},
            )
        else:
            registered = StepResult("registration", CREATED, f"upload the key to {self.user}")
        key_id = match.key_id if match else config_plan.PLANNED_KEY_ID
        config = StepResult(
            "ssh config",
            self.config.action_for(key_id),
            f"{locations.tilde(self.config.path)}: Host {self.config.host_pattern}",
        )
        if self.known_in is None and self.server_key is not None:
            host = StepResult(
                "host key",
                CREATED,
                f"trust {self.server_key.sha256} for {self.target.known_hosts_name}",
            )
        else:
            host = StepResult("host key", UNCHANGED, f"{self.target.known_hosts_name} is known")
        return [key, registered, config, host, self.clone_preview()]

    def clone_preview(self) -> StepResult:
        if self.clone is None:
            return StepResult("test clone", SKIPPED, "--no-clone")
        if self.proved_at is None:
            return self.clone.preview()
        return clone_step.access_preview(self.clone, self.proved_at)


SSH_NEEDS_A_USER_FIX = "run again with --protocol https (git signs with your AWS credentials)"


def identify(aws: Aws, answers: InitAnswers) -> Identity:
    return registration.key_owner(aws, answers.user, SSH_NEEDS_A_USER_FIX)


def look(
    answers: InitAnswers,
    aws: Aws,
    report: Reporter,
    prompter: Prompter,
    identity: Identity | None = None,
) -> InitPlan:
    """Every read, no write: identity, key, IAM, the planned config, the host key, the clone."""
    endpoint = endpoints.resolve(answers.region)
    host = endpoint.git_host
    if identity is None or not identity.can_own_ssh_keys:
        identity = identify(aws, answers)
    user = identity.user_name or ""
    who = f"IAM user {user}" + (f" ({identity.arn})" if identity.arn else " (from --user)")
    report.step(StepResult("identity", FOUND, who, {"user": user, "arn": identity.arn}))

    pair = keys.load_pair(answers.key_path, answers.passphrase)
    if pair is not None and answers.clone and answers.repo:
        key_choice.check_it_opens(answers, pair.public)
    config = config_plan.plan(
        answers.ssh_config,
        answers.ssh_config_is_default,
        endpoint.host_pattern,
        answers.key_path,
        keychain=config_plan.wants_keychain(answers.key_path, answers.passphrase),
        host=host,
    )
    found = registration.find(
        aws, user, pair.public if pair else None, config_plan.key_id_in_block(config.before)
    )
    registration.check(found)
    config = config_plan.prove_candidate(config, host, answers.key_path)
    options = config_plan.effective_after_write(config, host)
    target = hostkeys.Target.from_options(host, options)
    known_in = hostkeys.known_entry_file(target)
    clone = clone_step.plan(answers, endpoint)
    proved_at = _proved_at(answers, clone, pair, found, config, known_in, user)
    server_key = None
    if proved_at is None:
        # What the server offers decides the `+ssh-rsa` lines (a proved setup keeps its own).
        offer = hostkeys.fetch_offer(target)
        if known_in is None:
            server_key = offer.key
            published = endpoint.published_fingerprint
            pinned = hostkeys.confirm_unpublished(
                server_key, answers.region, published, answers.accept_host_key, prompter
            )
            for warning in hostkeys.verify(server_key, answers.region, published, pinned):
                report.warn(warning)
        reason = legacy_rsa.decide(host, offer.host_key_algorithms, options)
        config = config_plan.with_legacy_rsa(config, reason)
    for warning in config.warnings():
        report.warn(warning)
    return InitPlan(
        answers,
        endpoint,
        identity,
        pair,
        found,
        config,
        target,
        known_in,
        server_key,
        clone,
        proved_at,
    )


def _proved_at(
    answers: InitAnswers,
    clone: clone_step.ClonePlan | None,
    pair: keys.KeyPair | None,
    found: registration.Registration,
    config: config_plan.ConfigPlan,
    known_in: Path | None,
    user: str,
) -> str | None:
    """When a clone proved the setup as it stands, if a re-run would change none of it."""
    if answers.retest or clone is None or (clone.keep_in is not None and not clone.existing_clone):
        return None
    match = found.match
    if pair is None or match is None or known_in is None:
        return None
    if config.action_for(match.key_id) != UNCHANGED:
        return None
    return verified.proved_at(
        answers.ssh_config, _setup_digest(answers, user, match.key_id, pair, known_in)
    )


def _setup_digest(
    answers: InitAnswers, user: str, key_id: str, pair: keys.KeyPair, known_hosts: Path
) -> str:
    return verified.digest(
        region=answers.region,
        repo=answers.repo or "",
        user=user,
        key_id=key_id,
        public_key=pair.public.material,
        ssh_config=answers.ssh_config,
        known_hosts=known_hosts,
    )


def act(
    plan: InitPlan,
    aws: Aws,
    report: Reporter,
    ahead: KeyAhead | None = None,
    access: AccessAhead | None = None,
) -> None:
    """Make the changes; undo the setup steps if one of them fails."""
    answers, host = plan.answers, plan.endpoint.git_host
    undo = Undo()

    def done(result: StepResult) -> None:
        report.step(result)
        interrupts.checkpoint()  # a Ctrl-C that Python dropped still stops the run here

    try:
        with interrupts.noted():
            pair, result = setup_steps.make_key(answers, plan.pair, undo, ahead)
            done(result)
            key_id, uploaded, result = setup_steps.register(aws, plan.user, pair, plan.found, undo)
            done(result)
            done(setup_steps.write_config(plan.config, key_id, host, answers.key_path, undo))
            done(setup_steps.trust_host_key(plan.target, plan.known_in, plan.server_key, undo))
    except BaseException:
        undo.run()
        report.kept_by_undo(undo.kept)
        raise
    context = rules.Context(
        region=answers.region,
        repo=answers.repo or "",
        key_id=key_id,
        key_path=str(answers.key_path),
        fresh_upload=uploaded,
        user_name=plan.user,
        user_arn=plan.identity.arn,
        profile=answers.profile,
    )
    try:
        if plan.proved_at is not None and plan.clone is not None:
            ssh_config = plan.config.ssh_flag_config
            started = access.answer_for if access is not None else None
            clone_step.check_access(
                plan.clone, answers, ssh_config, plan.proved_at, report, started, plan.config.before
            )
            return
        clone_step.act(plan.clone, answers, plan.config.ssh_flag_config, uploaded, report)
    except git.GitFailed as failed:
        # Only now is it worth reading the user's policies or asking ssh what it sends.
        explained = evidence.explain(failed, context, aws, host, plan.config.ssh_flag_config)
        raise clone_step.setup_kept_for(explained, "the SSH setup") from None
    known_in = hostkeys.known_entry_file(plan.target)
    if plan.clone is not None and pair is not None and known_in is not None:
        with contextlib.suppress(OSError, LocalFileError):  # unrecorded: one more clone later
            verified.remember(
                answers.ssh_config, _setup_digest(answers, plan.user, key_id, pair, known_in)
            )
