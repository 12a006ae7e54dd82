"""Where ssh and the AWS SDK look for their files.

ssh takes `~` from the user database (the account's home), not from `$HOME`; the AWS SDK takes
it from `$HOME`. We place ssh files where ssh will read them; config_files.location_warnings says so
when the two differ.
"""

from __future__ import annotations

import os
import pwd
from pathlib import Path

from bootstrap.errors import UsageError


def ssh_home() -> Path:
    """The home directory ssh expands `~` to."""
    return Path(pwd.getpwuid(os.getuid()).pw_dir)


def ssh_dir() -> Path:
    return ssh_home() / ".ssh"


def default_ssh_config() -> Path:
    return ssh_dir() / "config"


def default_key_path() -> Path:
    return ssh_dir() / "codecommit_rsa"


def tilde(path: Path) -> str:
    """The path as ssh would accept it in a config, shortened to `~/…` under ssh's home."""
    home = ssh_home()
    try:
        return "~/" + str(path.relative_to(home))
    except ValueError:
        return str(path)


def expand(path: str) -> Path:
    """Expand a user-given path the way ssh does: `~` is the account's home."""
    if path == "~" or path.startswith("~/"):
        return ssh_home() / path[2:]
    return Path(path).absolute()


def check_key_path(path: Path) -> Path:
    """`--key PATH` as a place for a private key: a key file, or a new name in a folder that
    exists (only ~/.ssh is created, as ssh-keygen would). A folder, a device, a public key or a
    folder that does not exist is refused before anything is done."""
    if path.is_dir():
        raise UsageError(
            f"--key {path} is a folder, not a key file",
            f"pass the path of a key file, e.g. --key {path / 'codecommit_rsa'}",
        )
    if path.exists() and not path.is_file():
        raise UsageError(
            f"--key {path} is not a regular file (a device, a pipe or a socket)",
            "pass the path of a private key file (bootstrap creates it if it is missing)",
        )
    if path.suffix == ".pub" or _starts_like_a_public_key(path):
        private = path.with_suffix("") if path.suffix == ".pub" else None
        hint = f"--key {private}" if private else "--key with the private key's path"
        raise UsageError(f"--key {path} is a public key; --key takes the private key", hint)
    folder = path.parent
    if not folder.exists() and folder != ssh_dir():
        raise UsageError(
            f"the folder of --key {path} does not exist ({folder})",
            f"create it first (mkdir -p -m 700 {folder}), or pass a path in a folder that exists",
        )
    return path


def check_ssh_config_path(path: Path) -> Path:
    """`--ssh-config PATH`: a file, or a new name; never a folder or a device."""
    if path.is_dir():
        raise UsageError(
            f"--ssh-config {path} is a folder, not an ssh config file",
            f"pass the path of a file, e.g. --ssh-config {path / 'config'}",
        )
    if path.exists() and not path.is_file():
        raise UsageError(
            f"--ssh-config {path} is not a regular file (a device, a pipe or a socket)",
            "pass the path of an ssh config file (bootstrap creates it if it is missing)",
        )
    return path


def _starts_like_a_public_key(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            start = handle.read(64)
    except OSError:
        return False
    return start.startswith((b"ssh-rsa ", b"ssh-ed25519 ", b"ecdsa-sha2-", b"sk-"))
