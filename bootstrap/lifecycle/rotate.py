"""`bootstrap rotate`: a new key in place of the old one, proven with git before the old one goes.

look (read-only: old key, IAM, limit, planned block, an interrupted rotation)
  ─► record what is being retired (rotation.py) ─► new key at KEY.new ─► upload
  ─► git ls-remote with KEY.new and its key id (with the propagation retry)
  ─► old key linked to KEY.DATE.bak ─► block names KEY.new and the new key id
  ─► KEY.new's files take KEY's names ─► block names KEY ─► KEY.new goes
  ─► only then: old key Inactive in IAM, and deleted (unless --keep-old) ─► record deleted

A kill at any moment leaves a working key: the block switches in one atomic write from the old
key (at KEY) to the new one (at KEY.new), and the key files change only while the block names
neither of them. Up to the git check, a failure undoes everything, the new key in IAM included.
After it, nothing is undone: the re-run finds the record and finishes the job, the old key's
retirement included.
"""

from __future__ import annotations

import contextlib
import dataclasses
from dataclasses import dataclass
from pathlib import Path

from bootstrap import git
from bootstrap.aws import registration
from bootstrap.aws.iam import Aws, RegisteredKey
from bootstrap.diagnosis import evidence, rules
from bootstrap.errors import BootstrapError, GitAccessError, LocalFileError
from bootstrap.lifecycle import rotate_files, rotate_finish, rotation
from bootstrap.lifecycle.installed import Change, Installed, identify
from bootstrap.lifecycle.rotate_files import backup_name as backup_name
from bootstrap.results import CREATED, SKIPPED, UPDATED, VERIFIED, StepResult
from bootstrap.ssh import askpass, config_plan, keys, locations, proved_repo
from bootstrap.ssh import client as ssh_client
from bootstrap.ui.output import Reporter
from bootstrap.undo import Undo

NEW_SUFFIX = rotation.NEW_SUFFIX


@dataclass(frozen=True)
class RotateOptions:
    repo: str
    keep_old: bool
    bits: int
    passphrase: bytes | None


@dataclass(frozen=True)
class RotatePlan:
    setup: Installed
    options: RotateOptions
    user: str
    old: keys.KeyPair
    old_registered: RegisteredKey | None  # None: IAM does not hold the old key any more
    listed: tuple[RegisteredKey, ...]
    config: config_plan.ConfigPlan
    backup: Path  # where the old private key goes, e.g. codecommit_rsa.2026-11-28.bak
    user_arn: str | None = None  # from sts (None with --user): names the user in a diagnosis
    interrupted: rotation.Rotation | None = None  # what a killed rotation left to do

    @property
    def key_path(self) -> Path:
        return self.setup.key_path

    @property
    def staging(self) -> Path:
        return rotation.staging_for(self.key_path)

    @property
    def url(self) -> str:
        return self.setup.endpoint.ssh_url(self.options.repo)

    @property
    def finishes(self) -> bool:
        """The interrupted rotation had switched the block: this run finishes it."""
        return self.interrupted is not None and rotate_finish.switched(self.interrupted, self.setup)

    def old_key_step(self) -> StepResult:
        old = self.old_registered
        if old is None:
            return Change("old key", SKIPPED, f"the old key is not registered to {self.user}")
        return rotate_finish.retire_step(self.user, old.key_id, self.options.keep_old)

    def preview(self) -> list[StepResult]:
        if self.interrupted is not None and self.finishes:
            return rotate_finish.preview(self.interrupted)
        where = locations.tilde(self.key_path)
        old_id = self.old_registered.key_id if self.old_registered else "not registered"
        steps = (
            [] if self.interrupted is None else [rotate_finish.take_back_preview(self.interrupted)]
        )
        return [
            *steps,
            StepResult("new key", CREATED, f"a new RSA {self.options.bits} key at {where}"),
            StepResult(
                "registration",
                CREATED,
                f"upload it to {self.user} ({len(self.listed)} of "
                f"{registration.IAM_KEY_LIMIT} keys used)",
            ),
            StepResult("git check", SKIPPED, f"would run git ls-remote {self.url}"),
            Change(
                "old key file",
                "moved",
                f"the old key ({old_id}) to {locations.tilde(self.backup)}",
                {"backup": str(self.backup)},
            ),
            StepResult(
                "ssh config",
                UPDATED,
                f"{locations.tilde(self.setup.ssh_config)}: User → the new key id",
            ),
            self.old_key_step(),
        ]


def look(setup: Installed, options: RotateOptions, aws: Aws) -> RotatePlan:
    """Every read, no write: the old key, IAM and its key limit, the planned block, and what
    an interrupted rotation left."""
    block = setup.block
    if block is None:
        raise LocalFileError(
            f"{setup.ssh_config} has no bootstrap block: there is no setup to rotate",
            "run `bootstrap init` first",
        )
    interrupted = rotation.load(setup.ssh_config)
    if interrupted is not None:
        if setup.key_path == interrupted.staging:  # killed while the block named KEY.new
            setup = dataclasses.replace(setup, key_path=Path(interrupted.key_path))
        elif Path(interrupted.key_path) != setup.key_path:
            interrupted = None  # another key's rotation: not ours to finish here
    old = keys.load_pair(setup.key_path)
    if old is None:
        raise LocalFileError(
            f"there is no key at {setup.key_path} to rotate",
            "pass --key with the key the block uses, or run `bootstrap init`",
        )
    identity = identify(aws, setup)
    user = identity.user_name or ""
    staging = rotation.staging_for(setup.key_path)
    if interrupted is None and (staging.exists() or keys.public_path_for(staging).exists()):
        raise rotate_finish.leftover_error(staging, aws, user)
    found = registration.find(aws, user, old.public, setup.block_key_id)
    listed = found.listed if found.listed is not None else tuple(aws.list_keys(user))
    if interrupted is None:
        # The new key needs a free slot: explain the limit before anything changes. (What an
        # interrupted rotation left is taken out first, and the limit checked again then.)
        registration.check(registration.Registration(user, None, listed))
    config = config_plan.plan(
        setup.ssh_config,
        setup.ssh_config_is_default,
        setup.endpoint.host_pattern,
        setup.key_path,
    )
    config = config_plan.prove_candidate(config, setup.host, setup.key_path)
    return RotatePlan(
        setup,
        options,
        user,
        old,
        found.match,
        listed,
        config,
        rotate_files.backup_name(setup.key_path),
        identity.arn,
        interrupted,
    )


def _git_env(
    plan: RotatePlan, key_id: str, identity: Path, extra: dict[str, str]
) -> dict[str, str]:
    """git's environment with the new key and its id given to ssh on the command line, where
    they win over the block (which still names the old key)."""
    env = ssh_client.git_env(plan.config.ssh_flag_config, extra)
    overrides = f" -o User={key_id} -o IdentityFile={identity} -o IdentitiesOnly=yes"
    env["GIT_SSH_COMMAND"] += overrides
    return env


def _verify(
    plan: RotatePlan, key_id: str, identity: Path, aws: Aws, report: Reporter
) -> StepResult:
    """git ls-remote with the new key, before the block names it. A failure is explained as
    init explains its clone's (evidence.explain), while the new key is still in IAM."""
    context = rules.Context(
        region=plan.setup.region,
        repo=plan.options.repo,
        key_id=key_id,
        key_path=str(identity),
        fresh_upload=True,
        user_name=plan.user,
        user_arn=plan.user_arn,
        profile=plan.setup.profile,
    )

    def waiting(delay: float) -> None:
        report.info(f"CodeCommit does not accept the new key yet; retrying in {delay:.0f} s")

    with askpass.environment(plan.options.passphrase) as extra:
        env = _git_env(plan, key_id, identity, extra)
        try:
            git.ls_remote(plan.url, env, fresh_upload=True, on_retry=waiting)
        except git.GitFailed as failed:
            raise evidence.explain(
                failed, context, aws, plan.setup.host, plan.config.ssh_flag_config
            ) from None
    return StepResult(
        "git check", VERIFIED, f"git ls-remote {plan.url} works with {key_id}", {"url": plan.url}
    )


def _withdraw(aws: Aws, user: str, new: keys.KeyPair, undo: Undo) -> None:
    """Undo the upload; if IAM cannot be reached, KEY.new and the record stay for the re-run
    (or `remove`) to take it out."""
    try:
        registration.withdraw(aws, user, new.public)
    except Exception as error:
        cause = error.cause if isinstance(error, BootstrapError) else type(error).__name__
        why = (
            f"{locations.tilde(new.private_path)} stays: IAM could not be reached to delete "
            f"the new key {new.public.sha256} ({cause}); `bootstrap rotate` or `bootstrap "
            "remove` takes it out"
        )
        undo.keep("new key", why)
        undo.keep("record", why)


def _new_key(plan: RotatePlan, aws: Aws, report: Reporter, undo: Undo) -> tuple[keys.KeyPair, str]:
    from bootstrap import files

    files.ensure_private_dir(plan.key_path.parent)
    new = keys.generate_pair(
        plan.staging, plan.options.bits, plan.options.passphrase, keys.default_comment()
    )
    undo.push(lambda: rotate_files.unlink(new.private_path, new.public_path), "new key")
    undo.push(lambda: _withdraw(aws, plan.user, new, undo), "registration")
    uploaded, _ = registration.upload(aws, plan.user, new.public)
    report.step(
        StepResult(
            "new key",
            CREATED,
            f"RSA {new.public.bits}, {new.public.sha256}, uploaded to {plan.user} as "
            f"{uploaded.key_id}",
            {"key_id": uploaded.key_id, "sha256": new.public.sha256, "md5": new.public.md5},
        )
    )
    return new, uploaded.key_id


def _rotate(plan: RotatePlan, aws: Aws, report: Reporter) -> None:
    ssh_config = plan.setup.ssh_config
    record = rotation.Rotation(
        user=plan.user,
        key_path=str(plan.key_path),
        backup=str(plan.backup),
        old_key_id=plan.old_registered.key_id if plan.old_registered else None,
        old_public=plan.old.public.line,
        keep_old=plan.options.keep_old,
        repo=plan.options.repo,
        started=rotation.now(),
    )
    rotation.save(ssh_config, record)  # before the first change
    undo = Undo()
    undo.push(lambda: rotation.clear(ssh_config), "record")
    key_id = None
    try:
        new, key_id = _new_key(plan, aws, report, undo)
        record = record.with_new_key(key_id)
        rotation.save(ssh_config, record)
        report.step(_verify(plan, key_id, new.private_path, aws, report))
        with contextlib.suppress(OSError, LocalFileError):  # the next rotate's default --repo
            proved_repo.remember(ssh_config, plan.setup.region, plan.options.repo)
    except GitAccessError as error:
        undo.run()
        report.kept_by_undo(undo.kept)
        if key_id is None:
            raise
        fate = "is still in IAM" if "new key" in undo.kept else "was deleted from IAM"
        raise GitAccessError(
            f"git ls-remote failed with the new key {key_id}, so the rotation was undone "
            f"(the old key is still in use; {key_id} {fate}): {error.cause}",
            error.fix,
            details={**error.details, "new_key_id": key_id},
        ) from None
    except BaseException:
        undo.run()
        report.kept_by_undo(undo.kept)
        raise
    rotate_finish.finish(plan.setup, record, aws, report, move_to_top=plan.config.move_to_top)


def act(plan: RotatePlan, aws: Aws, report: Reporter) -> None:
    interrupted = plan.interrupted
    if interrupted is not None:
        if plan.finishes:
            rotate_finish.finish(plan.setup, interrupted, aws, report, resumed=True)
            return
        report.step(rotate_finish.take_back(plan.setup, interrupted, aws))
        listed = tuple(aws.list_keys(plan.user))
        registration.check(registration.Registration(plan.user, None, listed))
        plan = dataclasses.replace(plan, listed=listed, interrupted=None)
    _rotate(plan, aws, report)
