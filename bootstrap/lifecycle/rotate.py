"""`bootstrap rotate`: a new key in place of the old one, proven with git before the old one goes.

look (read-only: old key, IAM, limit, planned block)
  ─► new key at KEY.new ─► upload ─► old key linked to KEY.DATE.bak, new key renamed to KEY
  ─► block switched to the new key id ─► git ls-remote (with the propagation retry)
  ─► only then: old key Inactive in IAM, and deleted (unless --keep-old)

The working key is never lost: the old private key gets its backup name (a hard link) before
anything replaces it, and every step up to the git check is undone if a later one fails. The
old key in IAM is touched only once git has worked with the new one.
"""

from __future__ import annotations

import datetime
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from bootstrap import files, git
from bootstrap.aws import registration
from bootstrap.aws.iam import Aws, RegisteredKey
from bootstrap.diagnosis import evidence, rules
from bootstrap.errors import BootstrapError, GitAccessError, IamError, LocalFileError
from bootstrap.lifecycle.installed import Change, Installed, identify
from bootstrap.results import CREATED, SKIPPED, UNCHANGED, UPDATED, StepResult
from bootstrap.ssh import askpass, config_plan, keys, locations
from bootstrap.ssh import client as ssh_client
from bootstrap.ui.output import Reporter
from bootstrap.undo import Undo

NEW_SUFFIX = ".new"


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

    @property
    def key_path(self) -> Path:
        return self.setup.key_path

    @property
    def staging(self) -> Path:
        return self.key_path.with_name(self.key_path.name + NEW_SUFFIX)

    @property
    def url(self) -> str:
        return self.setup.endpoint.ssh_url(self.options.repo)

    def old_key_step(self) -> StepResult:
        old = self.old_registered
        if old is None:
            return Change("old key", SKIPPED, f"the old key is not registered to {self.user}")
        if self.options.keep_old:
            summary = f"{old.key_id} in IAM (kept, Inactive: --keep-old)"
            return Change("old key", "deactivated", summary, {"key_id": old.key_id})
        summary = f"{old.key_id} from IAM user {self.user}"
        return Change("old key", "deleted", summary, {"key_id": old.key_id})

    def preview(self) -> list[StepResult]:
        where = locations.tilde(self.key_path)
        old_id = self.old_registered.key_id if self.old_registered else "not registered"
        return [
            StepResult("new key", CREATED, f"a new RSA {self.options.bits} key at {where}"),
            StepResult(
                "registration",
                CREATED,
                f"upload it to {self.user} ({len(self.listed)} of "
                f"{registration.IAM_KEY_LIMIT} keys used)",
            ),
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
            StepResult("git check", SKIPPED, f"would run git ls-remote {self.url}"),
            self.old_key_step(),
        ]


def backup_name(key_path: Path, today: datetime.date | None = None) -> Path:
    """KEY.YYYY-MM-DD.bak, or KEY.YYYY-MM-DD-2.bak… if a rotation already ran that day."""
    stamp = (today or datetime.date.today()).isoformat()
    for n in range(1, 1000):
        name = f"{key_path.name}.{stamp}{'' if n == 1 else f'-{n}'}.bak"
        candidate = key_path.with_name(name)
        if not candidate.exists() and not keys.public_path_for(candidate).exists():
            return candidate
    raise LocalFileError(
        f"too many backups of {key_path} dated {stamp}", "delete old backups, then run again"
    )


def look(setup: Installed, options: RotateOptions, aws: Aws) -> RotatePlan:
    """Every read, no write: the old key, IAM and its key limit, the planned block."""
    block = setup.block
    if block is None:
        raise LocalFileError(
            f"{setup.ssh_config} has no bootstrap block: there is no setup to rotate",
            "run `bootstrap init` first",
        )
    old = keys.load_pair(setup.key_path)
    if old is None:
        raise LocalFileError(
            f"there is no key at {setup.key_path} to rotate",
            "pass --key with the key the block uses, or run `bootstrap init`",
        )
    staging = setup.key_path.with_name(setup.key_path.name + NEW_SUFFIX)
    for leftover in (staging, keys.public_path_for(staging)):
        if leftover.exists():
            raise LocalFileError(
                f"{leftover} is in the way (left by an interrupted rotate?)",
                f"check it is not a key you use, delete it, then run again: rm {leftover}",
            )
    identity = identify(aws, setup)
    user = identity.user_name or ""
    found = registration.find(aws, user, old.public, setup.block_key_id)
    listed = found.listed if found.listed is not None else tuple(aws.list_keys(user))
    # The new key needs a free slot: explain the limit before anything changes.
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
        backup_name(setup.key_path),
        identity.arn,
    )


def _keep_as(source: Path, name: Path) -> None:
    """Give `source` a second name (a hard link: same bytes, same 0600); copy if we cannot."""
    try:
        os.link(source, name)
    except FileExistsError:
        raise
    except OSError:
        files.create_private(name, source.read_bytes())
        shutil.copymode(source, name)


def _restore(kept: Path, original: Path) -> bool:
    """Move `kept` back to `original`. rename(2) does nothing when both names are links to the
    same file (the swap had not happened yet), so then the extra name is simply dropped."""
    if not kept.exists():
        return False
    if original.exists() and os.path.samefile(kept, original):
        kept.unlink()
    else:
        os.replace(kept, original)
    return True


def swap_in(key: Path, backup: Path, new: keys.KeyPair, undo: Undo) -> StepResult:
    """Old key → backup name (kept), new key → the key path; each rename atomic."""
    pub, backup_pub = keys.public_path_for(key), keys.public_path_for(backup)
    had_pub = pub.exists()

    def put_back() -> None:
        _restore(backup, key)
        if not _restore(backup_pub, pub) and not had_pub:
            pub.unlink(missing_ok=True)

    _keep_as(key, backup)
    undo.push(put_back)
    if had_pub:
        _keep_as(pub, backup_pub)
    os.replace(new.private_path, key)
    os.replace(new.public_path, pub)
    return Change(
        "old key file",
        "moved",
        f"the old key to {locations.tilde(backup)}; {locations.tilde(key)} is the new key",
        {"path": str(key), "backup": str(backup)},
    )


def _verify(plan: RotatePlan, key_id: str, aws: Aws, report: Reporter) -> StepResult:
    """git ls-remote with the new key. A failure is explained as init explains its clone's
    (evidence.explain: the user's policies, what ssh sends, the key in IAM), while the new
    key and block are still in place, before they are undone."""
    context = rules.Context(
        region=plan.setup.region,
        repo=plan.options.repo,
        key_id=key_id,
        key_path=str(plan.key_path),
        fresh_upload=True,
        user_name=plan.user,
        user_arn=plan.user_arn,
        profile=plan.setup.profile,
    )

    def waiting(delay: float) -> None:
        report.info(f"CodeCommit does not accept the new key yet; retrying in {delay:.0f} s")

    ssh_config = plan.config.ssh_flag_config
    with askpass.environment(plan.options.passphrase) as extra:
        env = ssh_client.git_env(ssh_config, extra)
        try:
            git.ls_remote(plan.url, env, fresh_upload=True, on_retry=waiting)
        except git.GitFailed as failed:
            raise evidence.explain(failed, context, aws, plan.setup.host, ssh_config) from None
    return StepResult(
        "git check", UNCHANGED, f"git ls-remote {plan.url} works with {key_id}", {"url": plan.url}
    )


def _switch(plan: RotatePlan, aws: Aws, report: Reporter, undo: Undo) -> str:
    """Steps 1-3 (new key, block, git check); returns the new key id. Raises after undoing."""
    files.ensure_private_dir(plan.key_path.parent)
    new = keys.generate_pair(
        plan.staging, plan.options.bits, plan.options.passphrase, keys.default_comment()
    )
    undo.push(lambda: _unlink(new.private_path, new.public_path))
    uploaded, _ = registration.upload(aws, plan.user, new.public)
    key_id = uploaded.key_id
    undo.push(lambda: aws.set_key_status(plan.user, key_id, "Inactive"))
    report.step(
        StepResult(
            "new key",
            CREATED,
            f"RSA {new.public.bits}, {new.public.sha256}, uploaded to {plan.user} as {key_id}",
            {"key_id": key_id, "sha256": new.public.sha256, "md5": new.public.md5},
        )
    )
    report.step(swap_in(plan.key_path, plan.backup, new, undo))
    config_plan.write(plan.config, key_id)
    undo.push(lambda: config_plan.restore(plan.config))
    config_plan.verify_written(plan.config, plan.setup.host, key_id, plan.key_path)
    report.step(
        StepResult(
            "ssh config",
            UPDATED,
            f"{locations.tilde(plan.setup.ssh_config)}: User {key_id}",
            {"path": str(plan.setup.ssh_config), "key_id": key_id},
        )
    )
    try:
        report.step(_verify(plan, key_id, aws, report))
    except GitAccessError as error:
        error.details["new_key_id"] = key_id
        raise
    return key_id


def _unlink(*paths: Path) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def _retire_old(plan: RotatePlan, aws: Aws) -> StepResult:
    """Step 4, only after git worked with the new key. Nothing here is undone."""
    old = plan.old_registered
    step = plan.old_key_step()
    if old is None:
        return step
    try:
        aws.set_key_status(plan.user, old.key_id, "Inactive")
        if not plan.options.keep_old:
            aws.delete_key(plan.user, old.key_id)
    except BootstrapError as error:
        raise IamError(
            f"the new key works and is in use, but retiring the old key {old.key_id} "
            f"failed: {error.cause}",
            f"do it yourself: aws iam delete-ssh-public-key --user-name {plan.user} "
            f"--ssh-public-key-id {old.key_id}",
            details={"old_key_id": old.key_id},
        ) from None
    return step


def act(plan: RotatePlan, aws: Aws, report: Reporter) -> None:
    undo = Undo()
    try:
        _switch(plan, aws, report, undo)
    except GitAccessError as error:
        undo.run()
        new_id = error.details.get("new_key_id")
        if new_id is None:
            raise
        raise GitAccessError(
            f"git ls-remote failed with the new key {new_id}, so the rotation was undone "
            f"(the old key is back in use; {new_id} is Inactive in IAM): {error.cause}",
            error.fix,
            details=error.details,
        ) from None
    except BaseException:
        undo.run()
        raise
    report.step(_retire_old(plan, aws))
