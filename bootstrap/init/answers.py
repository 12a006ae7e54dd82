"""The answers `init` settles before its first side effect."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class InitFlags:
    """`init`'s flags as given (None: not given), for the wizard to complete."""

    profile: str | None = None
    region: str | None = None
    user: str | None = None
    key: str | None = None
    key_bits: int | None = None
    passphrase_env: str | None = None
    ssh_config: str | None = None
    repo: str | None = None
    no_clone: bool = False
    clone_dir: str | None = None
    accept_host_key: str | None = None
    dry_run: bool = False
    retest: bool = False
    protocol: str | None = None


@dataclass(frozen=True)
class InitAnswers:
    """Everything `init` needs, settled before the first side effect."""

    profile: str | None
    region: str
    user: str | None
    key_path: Path
    key_bits: int
    passphrase: bytes | None = field(repr=False)  # never printed, logged or put in JSON
    repo: str | None
    clone: bool
    clone_dir: Path | None
    ssh_config: Path
    ssh_config_is_default: bool
    accept_host_key: str | None
    dry_run: bool = False
    retest: bool = False  # clone even when this exact setup was proved before
    protocol: str | None = None  # ssh | https; None: decided by who the credentials are
