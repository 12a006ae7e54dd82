"""The ssh config step: plan the managed block, prove with `ssh -G` that it wins, write it."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bootstrap import files, gitcheck, locations, sshconfig
from bootstrap.errors import LocalFileError
from bootstrap.options import CREATED, UNCHANGED, UPDATED

# Stands in for the key id while it is not known yet (before the upload).
PLANNED_KEY_ID = "APKAKEYIDAFTERUPLOAD"


@dataclass(frozen=True)
class ConfigPlan:
    path: Path
    ssh_reads_by_default: bool
    before: str | None  # None: the file does not exist yet
    host_pattern: str
    identity_file: str
    extra_options: tuple[str, ...] = ()
    move_to_top: bool = False  # the existing block would lose where it stands

    def text_for(self, key_id: str) -> str:
        block = self.block_for(key_id)
        if self.move_to_top:
            return sshconfig.move_block_to_top(self.before or "", block)
        return sshconfig.apply_block(self.before or "", block)

    def block_for(self, key_id: str) -> str:
        return sshconfig.render_block(
            self.host_pattern,
            key_id,
            self.identity_file,
            sshconfig.newline_of(self.before or ""),
            self.extra_options,
        )

    def action_for(self, key_id: str) -> str:
        if self.before is None or sshconfig.current_block(self.before) is None:
            return CREATED
        return UNCHANGED if self.text_for(key_id) == self.before else UPDATED

    @property
    def ssh_flag_config(self) -> Path | None:
        """The config to pass to ssh with -F, when ssh would not read it by itself."""
        return None if self.ssh_reads_by_default else self.path


def key_id_in_block(text: str | None) -> str | None:
    """The key id our existing block logs in as: a hint that saves IAM calls."""
    block = sshconfig.current_block(text or "")
    if block is None:
        return None
    for directive in sshconfig.directives(block):
        if directive.keyword == "user" and directive.args:
            return directive.args[0]
    return None


def plan(path: Path, reads_by_default: bool, host_pattern: str, key_path: Path) -> ConfigPlan:
    return ConfigPlan(
        path, reads_by_default, files.read_text_exact(path), host_pattern, locations.tilde(key_path)
    )


def _check_effective(
    options: gitcheck.EffectiveOptions,
    key_id: str,
    key_path: Path,
    text: str,
    host: str,
    where: Path,
) -> None:
    user = options.first("user")
    identity = options.first("identityfile")
    if user == key_id and identity is not None and locations.expand(identity) == key_path:
        return
    keyword = "user" if user != key_id else "identityfile"
    winner = sshconfig.first_setting(text, host, keyword)
    blame = (
        f"line {winner.line} of {where} (`{winner.text}`) comes first"
        if winner
        else "a setting outside this file comes first"
    )
    raise LocalFileError(
        f"ssh would connect to {host} as '{user}' with {identity}, not as '{key_id}' with "
        f"{locations.tilde(key_path)}: {blame}",
        f"move that line below the '{sshconfig.BEGIN}' block, or remove it, then run again",
    )


def effective_after_write(plan: ConfigPlan, host: str) -> gitcheck.EffectiveOptions:
    """What ssh will use for `host` once the planned file is written (read before writing)."""
    if plan.ssh_flag_config is None:
        # ssh reads the file by itself, with the system-wide config after it; our block does
        # not change where it connects or which known_hosts it reads.
        return gitcheck.effective_options(host)
    return _options_for(plan.text_for(PLANNED_KEY_ID), host, plan.path)


def prove_candidate(plan: ConfigPlan, host: str, key_path: Path) -> ConfigPlan:
    """Check with the real `ssh -G` that the planned file makes our block win, before writing.

    If our existing block would lose where it stands (a `Host *` or `Include` added above it
    since), plan to move it to the top instead. If even that loses, say which line wins.
    """
    text = plan.text_for(PLANNED_KEY_ID)
    try:
        _check_effective(
            _options_for(text, host, plan.path), PLANNED_KEY_ID, key_path, text, host, plan.path
        )
        return plan
    except LocalFileError:
        if plan.move_to_top or sshconfig.current_block(plan.before or "") is None:
            raise
    return prove_candidate(dataclasses.replace(plan, move_to_top=True), host, key_path)


def _options_for(text: str, host: str, real_path: Path) -> gitcheck.EffectiveOptions:
    """`ssh -G` on the planned text, from a private temporary copy (Include paths still
    resolve against ~/.ssh, as they do for the real file)."""
    fd, name = tempfile.mkstemp(prefix="bootstrap-ssh-config-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        try:
            return gitcheck.effective_options(host, Path(name))
        except LocalFileError as exc:
            raise LocalFileError(
                exc.cause.replace(name, str(real_path)), exc.fix.replace(name, str(real_path))
            ) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)


def write(plan: ConfigPlan, key_id: str) -> str:
    """Write the block atomically (0600, previous version kept as a backup); the action."""
    action = plan.action_for(key_id)
    if action != UNCHANGED:
        files.ensure_private_dir(plan.path.parent)
        files.atomic_write(plan.path, plan.text_for(key_id).encode("utf-8"), 0o600, backup=True)
    return action


def restore(plan: ConfigPlan) -> None:
    """Put the file back as it was before `write` (used when a later step fails)."""
    if plan.before is None:
        with contextlib.suppress(FileNotFoundError):
            files.real_target(plan.path).unlink()
    else:
        files.atomic_write(plan.path, plan.before.encode("utf-8"), 0o600)


def verify_written(plan: ConfigPlan, host: str, key_id: str, key_path: Path) -> None:
    """After writing: the real ssh, reading the real file, must pick our user and key first."""
    text = files.read_text_exact(plan.path) or ""
    options = gitcheck.effective_options(host, plan.ssh_flag_config)
    _check_effective(options, key_id, key_path, text, host, plan.path)
