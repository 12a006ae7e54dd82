"""The ssh config step: plan the managed block, prove with `ssh -G` that it wins, write it.

What ssh makes of a config is asked of ssh itself (`ssh -G` on the planned text, from a private
temporary copy, before writing; on the real file after). Our own parser only explains.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from bootstrap import files
from bootstrap.errors import LocalFileError
from bootstrap.results import CREATED, UNCHANGED, UPDATED
from bootstrap.ssh import client as ssh_client
from bootstrap.ssh import config_files, locations, managed_block
from bootstrap.ssh.keychain import wants_keychain as wants_keychain  # init decides with it

# Stands in for the key id while it is not known yet (before the upload).
PLANNED_KEY_ID = "APKAKEYIDAFTERUPLOAD"
REFUSED_BY_SSH = 0o022  # OpenSSH: "Bad owner or permissions" if group or others may write


@dataclass(frozen=True)
class ConfigPlan:
    path: Path
    ssh_reads_by_default: bool
    before: str | None  # None: the file does not exist yet
    host_pattern: str
    identity_file: str
    options: managed_block.BlockOptions = field(default_factory=managed_block.BlockOptions)
    move_to_top: bool = False  # the existing block would lose where it stands
    strip_bom: bool = False  # the local ssh refuses a UTF-8 BOM
    before_mode: int | None = None
    reasons: tuple[str, ...] = ()  # why the block carries extra options (said to the user)
    # The `.bootstrap.bak` beside it as it was (None: none), which `write` replaces and an
    # undo puts back: a fully undone run leaves no backup of its own behind.
    backup_before: bytes | None = field(default=None, repr=False)

    @property
    def backup_path(self) -> Path:
        return self.path.with_name(self.path.name + files.BACKUP_SUFFIX)

    def text_for(self, key_id: str) -> str:
        text = self.before or ""
        if self.strip_bom:
            text = text.removeprefix(managed_block.BOM)
        block = self.block_for(key_id)
        if self.move_to_top:
            text = managed_block.move_block_to_top(text, block)
        else:
            text = managed_block.apply_block(text, block)
        return managed_block.disable_handwritten(text, self.host_pattern)[0]

    def block_for(self, key_id: str) -> str:
        return managed_block.render_block(
            self.host_pattern,
            key_id,
            self.identity_file,
            managed_block.newline_of(self.before or ""),
            self.options,
        )

    @property
    def disabled(self) -> tuple[managed_block.DisabledLine, ...]:
        """Hand-written CodeCommit lines this plan comments out."""
        return managed_block.disable_handwritten(self.before or "", self.host_pattern)[1]

    @property
    def fixes_mode(self) -> bool:
        return self.before_mode is not None and bool(self.before_mode & REFUSED_BY_SSH)

    def action_for(self, key_id: str) -> str:
        if self.before is None or managed_block.current_block(self.before) is None:
            return CREATED
        if self.fixes_mode or self.text_for(key_id) != self.before:
            return UPDATED
        return UNCHANGED

    @property
    def ssh_flag_config(self) -> Path | None:
        """The config to pass to ssh with -F, when ssh would not read it by itself."""
        return None if self.ssh_reads_by_default else self.path

    def warnings(self) -> list[str]:
        """What this plan does beyond our block, each said once, plainly."""
        where = locations.tilde(self.path)
        said = list(self.reasons)
        if self.disabled:
            numbers = ", ".join(str(d.line) for d in self.disabled)
            what = "; ".join(f"`{d.text}`" for d in self.disabled)
            said.append(
                f"{where} has a hand-written CodeCommit section (lines {numbers}: {what}); "
                f"bootstrap comments those lines out ('{managed_block.DISABLED.strip()}') so that "
                "only its block decides the user and key; `bootstrap remove` puts them back"
            )
            said += [
                f"that section used the key {d.value}, bootstrap uses {self.identity_file}; "
                f"to keep using that key, run again with --key {d.value}"
                for d in self.disabled
                if d.keyword == "identityfile"
                and locations.expand(d.value) != locations.expand(self.identity_file)
            ]
        if self.strip_bom:
            said.append(
                f"{where} starts with a UTF-8 byte-order mark, which ssh reads as part of the "
                "first keyword ('Bad configuration option'); bootstrap removes it"
            )
        if self.fixes_mode and self.before_mode is not None:
            said.append(
                f"{where} is writable by group or others (mode {self.before_mode:o}), which "
                "OpenSSH refuses ('Bad owner or permissions'; Debian's build allows a private "
                "group); bootstrap makes it 0600"
            )
        return said


def key_id_in_block(text: str | None) -> str | None:
    """The key id our existing block logs in as: a hint that saves IAM calls."""
    block = managed_block.current_block(text or "")
    if block is None:
        return None
    for directive in managed_block.directives(block):
        if directive.keyword == "user" and directive.args:
            return directive.args[0]
    return None


def key_path_in_block(text: str | None) -> Path | None:
    """The private key our existing block names (its IdentityFile): what a run without --key
    keeps using, rather than a new key at the default path."""
    block = managed_block.current_block(text or "")
    for directive in managed_block.directives(block or ""):
        if directive.keyword == "identityfile" and directive.args:
            return locations.expand(directive.args[0])
    return None


def plan(
    path: Path,
    reads_by_default: bool,
    host_pattern: str,
    key_path: Path,
    *,
    keychain: bool | None = None,
    host: str | None = None,
) -> ConfigPlan:
    """Read-only. `keychain` None keeps what the existing block has (as `rotate` wants); `host`,
    when given, lets us notice a --ssh-config file that ssh reads through an Include."""
    before = files.read_text_exact(path)
    current = managed_block.current_block(before or "")
    carried = managed_block.options_in_block(current) if current else managed_block.BlockOptions()
    use_keychain = carried.keychain if keychain is None else keychain
    options = managed_block.BlockOptions(
        legacy_rsa=carried.legacy_rsa,
        keychain=use_keychain,
        ignore_unknown=managed_block.user_ignore_unknown(before or "") if use_keychain else (),
    )
    if not reads_by_default and host is not None and before is not None:
        reads_by_default = config_files.read_by_default(path, host)
    return ConfigPlan(
        path,
        reads_by_default,
        before,
        host_pattern,
        locations.tilde(key_path),
        options,
        strip_bom=(before or "").startswith(managed_block.BOM) and config_files.refuses_bom(),
        before_mode=files.mode_of(path),
        backup_before=_read_backup(path),
    )


def with_legacy_rsa(plan: ConfigPlan, reason: str | None) -> ConfigPlan:
    """Add (reason given) or leave out (None) the `+ssh-rsa` lines; see legacy_rsa.decide."""
    options = dataclasses.replace(plan.options, legacy_rsa=reason is not None)
    reasons = (*plan.reasons, reason) if reason else plan.reasons
    return dataclasses.replace(plan, options=options, reasons=reasons)


def result_notes(plan: ConfigPlan) -> tuple[str, dict[str, object]]:
    """The step's summary suffix and JSON details: everything done beyond writing the block."""
    notes = []
    if plan.move_to_top:
        notes.append("moved to the top, where it wins")
    if plan.disabled:
        lines = ", ".join(str(d.line) for d in plan.disabled)
        notes.append(f"hand-written CodeCommit lines {lines} commented out")
    if plan.options.legacy_rsa:
        notes.append("+ssh-rsa for a server that offers only SHA-1 signatures")
    if plan.options.keychain:
        notes.append("AddKeysToAgent and UseKeychain (macOS)")
    if plan.fixes_mode and plan.before_mode is not None:
        notes.append(f"mode {plan.before_mode:o} → 600")
    if plan.strip_bom:
        notes.append("UTF-8 byte-order mark removed")
    if not plan.ssh_reads_by_default:
        notes.append(f"ssh reads it only with -F {plan.path}")
    details: dict[str, object] = {
        "moved_to_top": plan.move_to_top,
        "disabled_lines": [{"line": d.line, "text": d.text} for d in plan.disabled],
        "legacy_rsa": plan.options.legacy_rsa,
        "keychain": plan.options.keychain,
        "mode_fixed": plan.fixes_mode,
        "bom_removed": plan.strip_bom,
        "read_by_default": plan.ssh_reads_by_default,
    }
    return (f" ({'; '.join(notes)})" if notes else ""), details


def _check_effective(
    options: ssh_client.EffectiveOptions,
    key_id: str,
    key_path: Path,
    text: str,
    host: str,
    where: Path,
) -> None:
    user = options.first("user")
    identity = options.first("identityfile")
    # `ssh -G` prints IdentityFile unexpanded: `%%` is our escaped `%` (managed_block.quote).
    same_key = identity is not None and locations.expand(identity.replace("%%", "%")) == key_path
    if user == key_id and same_key:
        return
    keyword = "user" if user != key_id else "identityfile"
    winner = managed_block.first_setting(text, host, keyword)
    blame = (
        f"line {winner.line} of {where} (`{winner.text}`) comes first"
        if winner
        else "a setting outside this file comes first"
    )
    raise LocalFileError(
        f"ssh would connect to {host} as '{user}' with {identity}, not as '{key_id}' with "
        f"{locations.tilde(key_path)}: {blame}",
        f"move that line below the '{managed_block.BEGIN}' block, or remove it, then run again",
    )


def effective_after_write(plan: ConfigPlan, host: str) -> ssh_client.EffectiveOptions:
    """What ssh will use for `host` once the planned file is written, asked before writing.

    Without the `+ssh-rsa` lines (so that deciding them gives the same answer on every run);
    they change nothing else. When ssh reads the file by itself it reads the system-wide
    config after it (Debian's sets HashKnownHosts yes), so the copy includes that too.
    """
    bare = dataclasses.replace(plan, options=dataclasses.replace(plan.options, legacy_rsa=False))
    text = bare.text_for(PLANNED_KEY_ID)
    system = config_files.system_config() if plan.ssh_reads_by_default else None
    if system is not None:
        text += ("" if text.endswith("\n") or not text else "\n") + "Match all\n"
        text += f"Include {managed_block.quote(str(system))}\n"
    return _options_for(text, host, plan.path)


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
        if plan.move_to_top or managed_block.current_block(plan.before or "") is None:
            raise
    return prove_candidate(dataclasses.replace(plan, move_to_top=True), host, key_path)


def _options_for(text: str, host: str, real_path: Path) -> ssh_client.EffectiveOptions:
    """`ssh -G` on the planned text, from a private temporary copy (Include paths still
    resolve against ~/.ssh, as they do for the real file)."""
    fd, name = tempfile.mkstemp(prefix="bootstrap-ssh-config-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(files.encode(text))
        try:
            return ssh_client.effective_options(host, Path(name))
        except LocalFileError as exc:
            raise config_files.explain_refusal(exc, name, real_path) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)


def write(plan: ConfigPlan, key_id: str) -> str:
    """Write the block atomically (0600, previous version kept as a backup); the action."""
    action = plan.action_for(key_id)
    if action != UNCHANGED:
        files.ensure_private_dir(plan.path.parent)
        files.atomic_write(plan.path, files.encode(plan.text_for(key_id)), 0o600, backup=True)
    return action


def _read_backup(path: Path) -> bytes | None:
    try:
        return path.with_name(path.name + files.BACKUP_SUFFIX).read_bytes()
    except OSError:
        return None


def restore(plan: ConfigPlan) -> None:
    """Put the file, and its backup, back as they were before `write` (used when a later
    step fails)."""
    if plan.before is None:
        with contextlib.suppress(FileNotFoundError):
            files.real_target(plan.path).unlink()
    else:
        files.atomic_write(plan.path, files.encode(plan.before), plan.before_mode or 0o600)
    if plan.backup_before is None:
        with contextlib.suppress(FileNotFoundError):
            plan.backup_path.unlink()
    else:
        files.atomic_write(plan.backup_path, plan.backup_before)


def verify_written(plan: ConfigPlan, host: str, key_id: str, key_path: Path) -> None:
    """After writing: the real ssh, reading the real file, must pick our user and key first."""
    text = files.read_text_exact(plan.path) or ""
    options = ssh_client.effective_options(host, plan.ssh_flag_config)
    _check_effective(options, key_id, key_path, text, host, plan.path)
