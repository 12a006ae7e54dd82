"""The second half of a rotation, after git has worked with the new key: the swap, then the old
key's retirement. A re-run after a kill does it again from the record (rotation.py): each step
finds what is already done and does the rest. Also what a re-run does when the interrupted
rotation had not switched the block yet: take out what it left (KEY.new, its key in IAM)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from bootstrap.aws import registration
from bootstrap.aws.iam import Aws
from bootstrap.errors import BootstrapError, IamError, LocalFileError
from bootstrap.lifecycle import rotate_files, rotation
from bootstrap.lifecycle.installed import Change, Installed
from bootstrap.results import SKIPPED, UPDATED, StepResult
from bootstrap.ssh import config_plan, keys, locations
from bootstrap.ui.output import Reporter


def switched(record: rotation.Rotation, setup: Installed) -> bool:
    """The block logs in as the new key: the rotation got past its git check."""
    new_id = record.new_key_id
    return new_id is not None and new_id != record.old_key_id and setup.block_key_id == new_id


def retire_step(user: str, old_id: str, keep_old: bool) -> StepResult:
    if keep_old:
        summary = f"{old_id} in IAM (kept, Inactive: --keep-old)"
        return Change("old key", "deactivated", summary, {"key_id": old_id})
    return Change("old key", "deleted", f"{old_id} from IAM user {user}", {"key_id": old_id})


def _interrupted_at(record: rotation.Rotation) -> str:
    return f"the rotation interrupted at {record.started}"


def preview(record: rotation.Rotation) -> list[StepResult]:
    steps = [
        StepResult(
            "ssh config",
            UPDATED,
            f"finish {_interrupted_at(record)}: {locations.tilde(Path(record.key_path))} is the "
            f"new key {record.new_key_id}",
        )
    ]
    if record.old_key_id:
        steps.append(retire_step(record.user, record.old_key_id, record.keep_old))
    return steps


def take_back_preview(record: rotation.Rotation) -> StepResult:
    return Change(
        "leftover",
        "deleted",
        f"what {_interrupted_at(record)} left: {locations.tilde(record.staging)} and its key "
        "in IAM",
    )


def leftover_error(staging: Path, aws: Aws, user: str) -> LocalFileError:
    """KEY.new with no record of ours: name both files, and whether IAM has that key."""
    pub = keys.public_path_for(staging)
    names = " and ".join(str(p) for p in (staging, pub) if p.exists())
    where = "its public half is missing, so IAM was not asked"
    fix = f"check it is not a key you use, then delete it: rm {names.replace(' and ', ' ')}"
    if pub.exists():
        try:
            public = keys.PublicKey.parse(pub.read_text(), str(pub))
            match = registration.find(aws, user, public, None).match
        except (BootstrapError, OSError):
            match, where = None, "IAM could not be asked whether it has that key"
        else:
            if match is None:
                where = f"IAM user {user} does not have that key"
            else:
                where = f"IAM has that key as {match.key_id} ({match.status})"
                fix += (
                    f", and from IAM: aws iam delete-ssh-public-key --user-name {user} "
                    f"--ssh-public-key-id {match.key_id}"
                )
    return LocalFileError(
        f"{names} are in the way (left by an interrupted rotate?): {where}",
        fix + "; then run again",
    )


def take_back(setup: Installed, record: rotation.Rotation, aws: Aws) -> StepResult:
    """The interrupted rotation never switched the block: the old key is still the key. Take
    out its new key (from IAM too) and its backup name, then forget it."""
    staging, key = record.staging, Path(record.key_path)
    pub = keys.public_path_for(staging)
    gone: list[str] = []
    if pub.exists():
        gone = registration.withdraw(aws, record.user, keys.PublicKey.parse(pub.read_text()))
    elif record.new_key_id and aws.get_key(record.user, record.new_key_id) is not None:
        aws.delete_key(record.user, record.new_key_id)
        gone = [record.new_key_id]
    rotate_files.unlink(staging, pub)
    rotate_files.drop_extra_backup(key, Path(record.backup))
    rotation.clear(setup.ssh_config)
    in_iam = f" and {', '.join(gone)} from IAM user {record.user}" if gone else ""
    return Change(
        "leftover",
        "deleted",
        f"what {_interrupted_at(record)} left: {locations.tilde(staging)}{in_iam}",
        {"key_ids": gone},
    )


def _write_block(setup: Installed, key_id: str, identity: Path, move_to_top: bool) -> None:
    plan = config_plan.plan(
        setup.ssh_config, setup.ssh_config_is_default, setup.endpoint.host_pattern, identity
    )
    plan = dataclasses.replace(plan, move_to_top=move_to_top)
    config_plan.write(plan, key_id)
    config_plan.verify_written(plan, setup.host, key_id, identity)


def finish(
    setup: Installed,
    record: rotation.Rotation,
    aws: Aws,
    report: Reporter,
    *,
    resumed: bool = False,
    move_to_top: bool = False,
) -> None:
    """The swap and the retirement. Safe to repeat."""
    key, staging, backup = Path(record.key_path), record.staging, Path(record.backup)
    new_id = record.new_key_id or ""
    try:
        if staging.exists():
            if not backup.exists():  # else a kill came after this step
                rotate_files.keep_old(key, backup)
            # One atomic write switches from the old key at KEY to the new one at KEY.new.
            _write_block(setup, new_id, staging, move_to_top)
            rotate_files.move_in(staging, key)
        _write_block(setup, new_id, key, move_to_top)
        rotate_files.unlink(staging, keys.public_path_for(staging))
    except (OSError, BootstrapError) as error:
        cause = error.cause if isinstance(error, BootstrapError) else str(error)
        raise LocalFileError(
            f"the new key {new_id} works, but switching to it stopped half-way: {cause}",
            "fix that, then run `bootstrap rotate` again: it finishes the rotation (the key "
            "the ssh config names works meanwhile)",
        ) from None
    lead = f"finished {_interrupted_at(record)}: " if resumed else ""
    report.step(
        Change(
            "old key file",
            "moved",
            f"{lead}the old key to {locations.tilde(backup)}; {locations.tilde(key)} is the new "
            "key",
            {"path": str(key), "backup": str(backup)},
        )
    )
    report.step(
        StepResult(
            "ssh config",
            UPDATED,
            f"{locations.tilde(setup.ssh_config)}: User {new_id}",
            {"path": str(setup.ssh_config), "key_id": new_id},
        )
    )
    report.step(retire(record, aws))
    rotation.clear(setup.ssh_config)


def retire(record: rotation.Rotation, aws: Aws) -> StepResult:
    """The old key out of use in IAM, only after git worked with the new key. Until this is
    done the record stays, so a re-run retires it."""
    old_id, user = record.old_key_id, record.user
    if old_id is None:
        return Change("old key", SKIPPED, f"the old key is not registered to {user}")
    try:
        if aws.get_key(user, old_id) is not None:
            aws.set_key_status(user, old_id, "Inactive")
            if not record.keep_old:
                aws.delete_key(user, old_id)
    except BootstrapError as error:
        raise IamError(
            f"the new key works and is in use, but the old key {old_id} is still in IAM "
            f"(retiring it failed: {error.cause})",
            "run `bootstrap rotate` again to retire it, or do it yourself: aws iam "
            f"delete-ssh-public-key --user-name {user} --ssh-public-key-id {old_id}",
            details={"old_key_id": old_id},
        ) from None
    return retire_step(user, old_id, record.keep_old)
