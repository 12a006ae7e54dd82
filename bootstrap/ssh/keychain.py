"""macOS: a key with a passphrase gets `AddKeysToAgent yes` and `UseKeychain yes` in our block,
so Apple's ssh asks for the passphrase once and keeps it in the Keychain. (The block guards
UseKeychain with `IgnoreUnknown`, so another OpenSSH reading the same file skips it.)
"""

from __future__ import annotations

import sys
from pathlib import Path

from bootstrap.ssh import keys, locations


def key_has_passphrase(key_path: Path, passphrase: bytes | None) -> bool:
    """Will the key at `key_path` need a passphrase (a new key made with one, or an encrypted
    existing one)? Read from the file's header; nothing is decrypted."""
    if passphrase:
        return True
    try:
        return keys.read_private_key(key_path.read_bytes()).encrypted
    except (OSError, ValueError):  # no key there yet, or none ssh could use: nothing to keep
        return False


def wants_keychain(key_path: Path, passphrase: bytes | None, platform: str | None = None) -> bool:
    """macOS only: a key with a passphrase gets AddKeysToAgent + UseKeychain (Apple's ssh then
    asks once and keeps the passphrase in the Keychain)."""
    return (platform or sys.platform) == "darwin" and key_has_passphrase(key_path, passphrase)


def passphrase_tip(key_path: Path, platform: str | None = None) -> str:
    """How not to type the key's passphrase at every git command: macOS keeps it in the
    Keychain (the block's UseKeychain/AddKeysToAgent); elsewhere ssh-agent holds it."""
    shown = locations.tilde(key_path)
    if (platform or sys.platform) == "darwin":
        return (
            f"Note: {shown} has a passphrase; the ssh config block has `UseKeychain yes` and "
            "`AddKeysToAgent yes`, so ssh asks for it once and the macOS Keychain keeps it"
        )
    return (
        f"Note: {shown} has a passphrase; `ssh-add {shown}` gives it to ssh-agent once, so "
        "git does not ask at every command (or put `AddKeysToAgent yes` in your ssh config)"
    )
