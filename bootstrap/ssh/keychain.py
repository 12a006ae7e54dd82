"""macOS: a key with a passphrase gets `AddKeysToAgent yes` and `UseKeychain yes` in our block,
so Apple's ssh asks for the passphrase once and keeps it in the Keychain. (The block guards
UseKeychain with `IgnoreUnknown`, so another OpenSSH reading the same file skips it.)
"""

from __future__ import annotations

import base64
import sys
from pathlib import Path

_OPENSSH_MAGIC = b"openssh-key-v1\x00"


def key_has_passphrase(key_path: Path, passphrase: bytes | None) -> bool:
    """Will the key at `key_path` need a passphrase (a new key made with one, or an encrypted
    existing one)? Read from the file's header; nothing is decrypted."""
    if passphrase:
        return True
    try:
        data = key_path.read_bytes().strip()
    except OSError:
        return False
    if data.startswith(b"-----BEGIN OPENSSH PRIVATE KEY-----"):
        try:
            raw = base64.b64decode(b"".join(data.splitlines()[1:-1]))
            start = len(_OPENSSH_MAGIC)  # then the cipher name, an SSH string
            length = int.from_bytes(raw[start : start + 4], "big")
            cipher = raw[start + 4 : start + 4 + length]
        except ValueError:
            return False
        return cipher != b"none"
    return b"ENCRYPTED" in data


def wants_keychain(key_path: Path, passphrase: bytes | None, platform: str | None = None) -> bool:
    """macOS only: a key with a passphrase gets AddKeysToAgent + UseKeychain (Apple's ssh then
    asks once and keeps the passphrase in the Keychain)."""
    return (platform or sys.platform) == "darwin" and key_has_passphrase(key_path, passphrase)
