"""`bootstrap remove`: undo what `init` set up, and only that.

look (read-only: our key in IAM, the managed block, marked known_hosts lines, key files)
  ─► delete our key from IAM (asked first; --keep-iam-key skips)
  ─► take the managed block out of the ssh config (every other byte stays)
  ─► take the known_hosts lines marked `added-by-bootstrap` for CodeCommit hosts out
  ─► take our credential sections out of the global git config (an HTTPS setup)
  ─► delete the cached MFA sessions (init --mfa) of the profiles the helper signed with
  ─► delete the key files, only with --delete-key

IAM goes first: it is the step that can be refused, and nothing local has changed if it is.
Running it again, or where nothing was set up, finds nothing to do and exits 0.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

from bootstrap import files
from bootstrap.aws import endpoints
from bootstrap.aws.iam import Aws, RegisteredKey
from bootstrap.errors import LocalFileError
from bootstrap.https import git_config, mfa_session
from bootstrap.lifecycle import rotation
from bootstrap.lifecycle.installed import Change, Installed, identify
from bootstrap.results import SKIPPED, UNCHANGED, StepResult
from bootstrap.ssh import client as ssh_client
from bootstrap.ssh import (
    hostkeys,
    keys,
    known_hosts,
    locations,
    managed_block,
    proved_repo,
    verified,
)


@dataclass(frozen=True)
class RemoveOptions:
    keep_iam_key: bool
    delete_key: bool


@dataclass(frozen=True)
class RemovePlan:
    setup: Installed
    options: RemoveOptions
    user: str | None  # None: IAM was not asked (--keep-iam-key, or nothing to look for)
    iam_keys: tuple[RegisteredKey, ...]  # ours, in IAM
    config_after: str | None  # None: no block to remove
    known_hosts: tuple[known_hosts.MarkedEntry, ...]
    candidates: frozenset[str]
    key_files: tuple[Path, ...]
    delete_iam: bool = True  # False when the user answered no
    git_config: Path | None = None  # the global git config, when it has our HTTPS sections
    git_sections: tuple[str, ...] = ()
    mfa_profiles: tuple[str, ...] = ()  # whose cached MFA session goes (init --mfa)
    mfa_caches: tuple[Path, ...] = ()  # those that exist

    @property
    def iam_ids(self) -> str:
        return ", ".join(key.key_id for key in self.iam_keys)

    def iam_step(self) -> StepResult:
        if self.options.keep_iam_key:
            return Change("registration", SKIPPED, "--keep-iam-key: IAM was not changed")
        if not self.iam_keys:
            whose = f"IAM user {self.user}" if self.user else "IAM (no key or block to go by)"
            return Change("registration", UNCHANGED, f"no key of ours in {whose}")
        if not self.delete_iam:
            return Change("registration", SKIPPED, f"kept {self.iam_ids} in IAM (you said no)")
        return Change(
            "registration",
            "deleted",
            f"{self.iam_ids} from IAM user {self.user}",
            {"key_ids": [key.key_id for key in self.iam_keys], "user": self.user},
        )

    def config_step(self) -> StepResult:
        where = locations.tilde(self.setup.ssh_config)
        details = {"path": str(self.setup.ssh_config)}
        if self.config_after is None:
            return Change("ssh config", UNCHANGED, f"no bootstrap block in {where}", details)
        if (
            not self.config_after.lstrip(managed_block.BOM)
            and not self.setup.ssh_config.is_symlink()
        ):
            return Change("ssh config", "deleted", f"{where} (only the block was in it)", details)
        return Change("ssh config", "removed", f"the bootstrap block from {where}", details)

    def host_key_step(self) -> StepResult:
        if not self.known_hosts:
            return Change("host key", UNCHANGED, "no known_hosts entry added by bootstrap")
        paths = sorted({locations.tilde(entry.path) for entry in self.known_hosts})
        count = len(self.known_hosts)
        return Change(
            "host key",
            "removed",
            f"{count} {'entry' if count == 1 else 'entries'} added by bootstrap from "
            f"{', '.join(paths)}",
            {"entries": [f"{entry.path}:{entry.line}" for entry in self.known_hosts]},
        )

    def key_step(self) -> StepResult:
        where = locations.tilde(self.setup.key_path)
        if self.key_files:
            shown = ", ".join(locations.tilde(path) for path in self.key_files)
            return Change("key", "deleted", shown, {"paths": [str(p) for p in self.key_files]})
        if not self.setup.key_path.exists():
            return Change("key", UNCHANGED, f"no key at {where}")
        return Change("key", SKIPPED, f"kept {where} (--delete-key deletes it)")

    def git_step(self) -> StepResult:
        if not self.git_sections or self.git_config is None:
            return Change("git", UNCHANGED, "no credential section of bootstrap in the git config")
        where = git_config.tilde(self.git_config)
        urls = ", ".join(self.git_sections)
        return Change("git", "removed", f"{where}: {urls}", {"sections": list(self.git_sections)})

    def mfa_step(self) -> StepResult | None:
        """Only for an MFA setup, or where a session is cached (None: no such line)."""
        if self.mfa_caches:
            shown = ", ".join(mfa_session.tilde(path) for path in self.mfa_caches)
            details = {"paths": [str(path) for path in self.mfa_caches]}
            return Change("mfa session", "deleted", f"the cached MFA session: {shown}", details)
        if self.mfa_profiles:
            names = ", ".join(self.mfa_profiles)
            return Change("mfa session", UNCHANGED, f"no MFA session cached for profile {names}")
        return None

    def steps(self) -> list[StepResult]:
        steps = [self.iam_step(), self.config_step(), self.host_key_step(), self.git_step()]
        mfa = self.mfa_step()
        return [*steps, *([mfa] if mfa else []), self.key_step()]


def _local_publics(key_path: Path) -> list[keys.PublicKey]:
    """The key's public half, and those of the old keys `rotate` kept (KEY.DATE.bak)."""
    found = []
    try:
        pair = keys.load_pair(key_path)
    except LocalFileError:
        pair = None  # unreadable here: the block's key id still names our key
    if pair is not None:
        found.append(pair.public)
    backups = sorted(key_path.parent.glob(f"{key_path.name}.*.bak.pub"))
    leftover = keys.public_path_for(rotation.staging_for(key_path))  # an interrupted rotate's
    for public in [*backups, leftover]:
        with contextlib.suppress(LocalFileError, OSError):
            found.append(keys.PublicKey.parse(public.read_text(), str(public)))
    return found


def _ours_in_iam(aws: Aws, setup: Installed) -> tuple[str | None, tuple[RegisteredKey, ...]]:
    """Our keys in IAM: the one the block logs in as, and any whose material is the local key's
    or an old key's that `rotate --keep-old` left Inactive."""
    publics = _local_publics(setup.key_path)
    if not publics and not setup.block_key_id:
        return None, ()
    user = identify(aws, setup).user_name or ""
    materials = {public.material for public in publics}
    interrupted = rotation.load(setup.ssh_config)
    named = {setup.block_key_id, interrupted.new_key_id if interrupted else None} - {None}
    ours = []
    for listed in aws.list_keys(user):
        full = aws.get_key(user, listed.key_id)
        if full is None:
            continue
        if listed.key_id in named or _material(full) in materials:
            ours.append(full)
    return user, tuple(ours)


def _material(key: RegisteredKey) -> str | None:
    try:
        return keys.PublicKey.parse(key.body or "").material
    except LocalFileError:
        return None


def _known_hosts_files(setup: Installed) -> tuple[tuple[Path, ...], str | None]:
    """The user's known_hosts files for the host, and the name init filed it under. If ssh
    cannot read the config (remove is also for cleaning up a broken setup), ssh's defaults."""
    try:
        options = ssh_client.effective_options(setup.host, setup.ssh_flag_config)
    except LocalFileError:
        ssh_dir = locations.ssh_dir()
        return (ssh_dir / "known_hosts", ssh_dir / "known_hosts2"), None
    target = hostkeys.Target.from_options(setup.host, options)
    return target.user_known_hosts, target.known_hosts_name


def look(setup: Installed, options: RemoveOptions, aws: Aws) -> RemovePlan:
    """Every read, no write. A malformed block stops here, before anything changes."""
    text = setup.config_text
    block = setup.block
    config_after = managed_block.remove_block(text or "") if block is not None else None
    paths, name = _known_hosts_files(setup)
    git_hosts = {endpoints.resolve(region).git_host for region in endpoints.codecommit_regions()}
    candidates = frozenset(known_hosts.candidate_names(git_hosts, [name] if name else []))
    entries = known_hosts.find(paths, set(candidates))
    key_files: tuple[Path, ...] = ()
    if options.delete_key:
        pair = (setup.key_path, keys.public_path_for(setup.key_path))
        key_files = tuple(path for path in pair if path.exists() or path.is_symlink())
    user, ours = (None, ()) if options.keep_iam_key else _ours_in_iam(aws, setup)
    git = git_config.look()
    mfa_profiles, mfa_caches = _mfa_caches(git, setup)
    return RemovePlan(
        setup,
        options,
        user,
        ours,
        config_after,
        tuple(entries),
        candidates,
        key_files,
        git_config=git.path,
        git_sections=git.ours,
        mfa_profiles=mfa_profiles,
        mfa_caches=mfa_caches,
    )


def _mfa_caches(git: git_config.Look, setup: Installed) -> tuple[tuple[str, ...], tuple[Path, ...]]:
    """The profiles the --mfa helper lines sign with, and the cached sessions that exist for
    them and for the profile this run names."""
    lines = git_config.helper_lines(git)
    mfa = [mfa_session.profile_name(line.profile) for line in lines if line.mfa]
    ours = tuple(dict.fromkeys(mfa))
    names = dict.fromkeys([*ours, mfa_session.profile_name(setup.profile)])
    caches = tuple(path for path in map(mfa_session.cache_path, names) if path.is_file())
    return ours, caches


def _write_config(plan: RemovePlan) -> None:
    path, after = plan.setup.ssh_config, plan.config_after
    if after is None:
        return
    if not after.lstrip(managed_block.BOM) and not path.is_symlink():
        path.unlink()  # only our block was in it: init created it
    else:  # a symlink's target (a dotfiles repository) is the user's: emptied, never deleted
        data = after.encode("utf-8", "surrogateescape")  # bytes that were not UTF-8 kept as is
        files.atomic_write(path, data, path.stat().st_mode & 0o777)


def act(plan: RemovePlan, aws: Aws) -> list[StepResult]:
    """IAM first (it can be refused), then the local files. Returns what was done."""
    if plan.delete_iam and plan.user is not None:
        for key in plan.iam_keys:
            aws.delete_key(plan.user, key.key_id)
    _write_config(plan)
    for path in sorted({entry.path for entry in plan.known_hosts}):
        known_hosts.remove(path, set(plan.candidates))
    if plan.git_sections:
        git_config.remove()
    for path in plan.mfa_caches:
        mfa_session.forget_file(path)
    for path in plan.key_files:
        path.unlink(missing_ok=True)
    if plan.delete_iam and not plan.options.keep_iam_key:
        # An interrupted rotate's new key is out of IAM now: its private half is of no use.
        staging = rotation.staging_for(plan.setup.key_path)
        for path in (staging, keys.public_path_for(staging)):
            path.unlink(missing_ok=True)
        rotation.clear(plan.setup.ssh_config)
    proved_repo.forget(plan.setup.ssh_config)
    verified.forget(plan.setup.ssh_config)  # proofs of a setup that is gone
    return plan.steps()
