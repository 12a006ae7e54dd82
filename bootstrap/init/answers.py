"""The answers `init` settles before its first side effect."""

from __future__ import annotations

from collections.abc import Callable
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
    mfa: bool | None = None  # --mfa / --no-mfa; None: as the git config's helper line has it
    mfa_serial: str | None = None
    mfa_duration: str | None = None  # as typed (12h, 43200)
    mfa_code: str | None = field(default=None, repr=False)


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
    # --protocol ssh was given: never offer HTTPS instead (the wizard's own "SSH?" may be).
    ssh_insisted: bool = False
    # HTTPS signed with an MFA session (init --mfa); None: as the git config has it.
    mfa: bool | None = None
    mfa_serial: str | None = None  # None: the user's one device (iam:ListMFADevices)
    mfa_duration: int | None = None  # seconds; None: 12 h, or what the last session asked
    mfa_code: str | None = field(default=None, repr=False)  # --mfa-code
    # How to ask for a code when a session must be started: the wizard's prompter.secret at a
    # terminal; None unattended (then --mfa-code, or MissingAnswer).
    mfa_ask: Callable[[str], str] | None = field(default=None, repr=False, compare=False)
