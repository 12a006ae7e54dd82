"""What `init` installed, found again: the shared start of `status`, `rotate` and `remove`.

The managed block remembers the key id (its `User`) and the key (its `IdentityFile`), so these
commands need no flags beyond the ones `init` took; `--key` and `--ssh-config` only override.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bootstrap import files
from bootstrap.aws import endpoints, profiles, registration
from bootstrap.aws.iam import Aws, Identity
from bootstrap.results import SKIPPED, UNCHANGED, StepResult
from bootstrap.ssh import config_plan, locations, managed_block
from bootstrap.ui.prompts import Prompter


@dataclass(frozen=True)
class Change(StepResult):
    """A lifecycle step's result: `deleted`, `deactivated`, `removed` count as changes too."""

    @property
    def changed(self) -> bool:
        return self.action not in (UNCHANGED, SKIPPED)


@dataclass(frozen=True)
class Installed:
    """Where the setup lives on this machine, and what the managed block says about it."""

    profile: str | None
    region: str
    user: str | None  # --user: skips sts:GetCallerIdentity
    endpoint: endpoints.Endpoint
    ssh_config: Path
    ssh_config_is_default: bool
    config_text: str | None  # None: the file does not exist
    key_path: Path
    block_key_id: str | None
    block_identity: Path | None

    @property
    def block(self) -> str | None:
        return managed_block.current_block(self.config_text or "")

    @property
    def ssh_flag_config(self) -> Path | None:
        """The config to pass to ssh with -F, when ssh would not read it by itself."""
        return None if self.ssh_config_is_default else self.ssh_config

    @property
    def host(self) -> str:
        return self.endpoint.git_host


def _identity_file(block: str | None) -> Path | None:
    for directive in managed_block.directives(block or ""):
        if directive.keyword == "identityfile" and directive.args:
            return locations.expand(directive.args[0])
    return None


@dataclass(frozen=True)
class Where:
    """Where to look, as the flags give it; None: what `init` would use."""

    profile: str | None = None
    region: str | None = None
    user: str | None = None  # --user: skips sts:GetCallerIdentity
    key: str | None = None  # the private key's path, as typed (~ allowed)
    ssh_config: str | None = None


def find(where: Where, prompter: Prompter) -> Installed:
    """Resolve the flags like `init` does, then read the managed block (read-only)."""
    profile = profiles.resolve_profile(where.profile)
    region = profiles.resolve_region(where.region, profile, prompter)
    return _read(where, profile, region)


def reread(setup: Installed, where: Where) -> Installed:
    """`setup` as the ssh config says now: call it once the lock is held, so that what a run
    that held it before us changed (a `remove`, another `rotate`) is what we act on."""
    return _read(where, setup.profile, setup.region)


def _read(where: Where, profile: str | None, region: str) -> Installed:
    default_config = locations.default_ssh_config()
    ssh_config = (
        locations.check_ssh_config_path(locations.expand(where.ssh_config))
        if where.ssh_config
        else default_config
    )
    text = files.read_text_exact(ssh_config)
    block = managed_block.current_block(text or "")
    block_identity = _identity_file(block)
    if where.key:
        key_path = locations.check_key_path(locations.expand(where.key))
    else:
        key_path = block_identity or locations.default_key_path()
    return Installed(
        profile=profile,
        region=region,
        user=where.user,
        endpoint=endpoints.resolve(region),
        ssh_config=ssh_config,
        ssh_config_is_default=ssh_config == default_config,
        config_text=text,
        key_path=key_path,
        block_key_id=config_plan.key_id_in_block(text),
        block_identity=block_identity,
    )


def identify(aws: Aws, setup: Installed) -> Identity:
    """The IAM user whose keys we manage; the same refusal as `init` for roles and root."""
    fix = "sign in as the IAM user who owns the key (--profile), or pass --user NAME"
    return registration.key_owner(aws, setup.user, fix)
