"""RSA key pairs for CodeCommit: generate, load, validate, fingerprint.

IAM accepts only ssh-rsa keys of 2048 to 16384 bits. Reading and checking an existing pair needs
no passphrase: the public half of an OpenSSH private key is stored in the clear.
"""

from __future__ import annotations

import base64
import getpass
import hashlib
import os
import socket
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from bootstrap import files
from bootstrap.errors import LocalFileError, UsageError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

MIN_BITS = 2048
MAX_BITS = 16384
ALLOWED_NEW_BITS = (2048, 3072, 4096)
DEFAULT_BITS = 4096


def check_new_bits(bits: int, flag: str = "--key-bits") -> None:
    """Only the sizes we offer for a new key (IAM would take up to 16384)."""
    if bits not in ALLOWED_NEW_BITS:
        raise UsageError(
            f"{flag} {bits} is not offered",
            f"choose one of {', '.join(map(str, ALLOWED_NEW_BITS))}",
        )


def passphrase_from_env(env_var: str | None) -> bytes | None:
    """--passphrase-env VAR: the passphrase in $VAR, so that it never appears in argv."""
    if not env_var:
        return None
    value = os.environ.get(env_var)
    if value is None:
        raise UsageError(
            f"--passphrase-env names ${env_var}, which is not set",
            f"export {env_var} with the passphrase, or leave out --passphrase-env",
        )
    return value.encode() if value else None


_OPENSSH_MAGIC = b"openssh-key-v1\x00"


@dataclass(frozen=True)
class PublicKey:
    """A public key as OpenSSH writes it: type, base64 blob, comment."""

    key_type: str
    blob: bytes
    comment: str = ""

    @classmethod
    def parse(cls, line: str, source: str = "public key") -> PublicKey:
        parts = line.strip().split(None, 2)
        if len(parts) < 2:
            raise LocalFileError(
                f"{source} is not an OpenSSH public key line",
                "expected 'ssh-rsa AAAA… comment'",
            )
        try:
            blob = base64.b64decode(parts[1], validate=True)
        except ValueError:
            raise LocalFileError(f"{source} has an invalid base64 body", "recreate it") from None
        return cls(parts[0], blob, parts[2] if len(parts) > 2 else "")

    @property
    def material(self) -> str:
        """Type and body without the comment: what identifies a key (IAM ignores comments)."""
        return f"{self.key_type} {base64.b64encode(self.blob).decode()}"

    @property
    def line(self) -> str:
        return f"{self.material} {self.comment}".rstrip()

    @property
    def bits(self) -> int:
        if self.key_type != "ssh-rsa":
            return 0
        fields = _ssh_strings(self.blob, 3)
        return int.from_bytes(fields[2], "big").bit_length()

    @property
    def sha256(self) -> str:
        digest = hashlib.sha256(self.blob).digest()
        return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")

    @property
    def md5(self) -> str:
        digest = hashlib.md5(self.blob, usedforsecurity=False).hexdigest()
        return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


@dataclass(frozen=True)
class KeyPair:
    private_path: Path
    public: PublicKey

    @property
    def public_path(self) -> Path:
        return public_path_for(self.private_path)


def public_path_for(private_path: Path) -> Path:
    return private_path.with_name(private_path.name + ".pub")


def _ssh_strings(data: bytes, count: int, offset: int = 0) -> list[bytes]:
    """Read `count` SSH wire-format strings (uint32 length + bytes)."""
    out = []
    for _ in range(count):
        if offset + 4 > len(data):
            raise ValueError("truncated key data")
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        offset += 4
        out.append(data[offset : offset + length])
        offset += length
    return out


def check_acceptable(public: PublicKey, source: str) -> None:
    """Refuse, before anything is uploaded, what IAM would refuse."""
    if public.key_type != "ssh-rsa":
        raise LocalFileError(
            f"{source} is a {public.key_type} key; CodeCommit accepts only ssh-rsa",
            "pass --key with a new path (e.g. --key ~/.ssh/codecommit_rsa) "
            "and bootstrap will create an RSA key there",
        )
    if not MIN_BITS <= public.bits <= MAX_BITS:
        raise LocalFileError(
            f"{source} is RSA {public.bits} bits; IAM accepts {MIN_BITS} to {MAX_BITS}",
            "pass --key with a new path and bootstrap will create a 4096-bit key there",
        )


@dataclass(frozen=True)
class PrivateKeyFile:
    """A private key file as it reads without its passphrase."""

    data: bytes = field(repr=False)
    encrypted: bool
    # An OpenSSH file keeps its public key in the clear; a PEM one only inside the private key.
    public: PublicKey | None

    def load(self, passphrase: bytes | None) -> PrivateKeyTypes:
        """The private key itself, opened with `passphrase` (None: none). Raises TypeError (a
        passphrase missing, or given for a key without one), ValueError (a wrong one, or data
        that is no key) or cryptography's UnsupportedAlgorithm."""
        from cryptography.hazmat.primitives import serialization

        if self.public is not None:
            return serialization.load_ssh_private_key(self.data, passphrase)
        return serialization.load_pem_private_key(self.data, passphrase)


def read_private_key(data: bytes) -> PrivateKeyFile:
    """Read a private key file (OpenSSH, else PEM) as far as it goes without decrypting it.

    Raises ValueError for an OpenSSH file that is not one. A PEM file is not checked here: only
    `load` can tell (cryptography is imported then, not before).
    """
    text = data.strip()
    if not text.startswith(b"-----BEGIN OPENSSH PRIVATE KEY-----"):
        # PEM (PKCS#1/PKCS#8) says so in its headers ("Proc-Type: 4,ENCRYPTED", or
        # "BEGIN ENCRYPTED PRIVATE KEY").
        return PrivateKeyFile(data, b"ENCRYPTED" in data, None)
    raw = base64.b64decode(b"".join(text.splitlines()[1:-1]))
    if not raw.startswith(_OPENSSH_MAGIC):
        raise ValueError("not an openssh-key-v1 file")
    # cipher, kdf, kdf options, then a uint32 key count, then the first public key blob.
    offset = len(_OPENSSH_MAGIC)
    header = _ssh_strings(raw, 3, offset)
    offset += sum(4 + len(h) for h in header) + 4
    (blob,) = _ssh_strings(raw, 1, offset)
    (key_type,) = _ssh_strings(blob, 1)
    return PrivateKeyFile(data, header[0] != b"none", PublicKey(key_type.decode(), blob))


def _public_from_private_file(data: bytes, path: Path, passphrase: bytes | None) -> PublicKey:
    read = read_private_key(data)
    if read.public is not None:
        return read.public
    from cryptography.hazmat.primitives import serialization

    try:
        key = read.load(passphrase)
    except TypeError:
        raise LocalFileError(
            f"{path} is an encrypted PEM key and no passphrase was given",
            "pass --passphrase-env VAR with the passphrase in $VAR",
        ) from None
    line = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    return PublicKey.parse(line.decode())


def load_pair(private_path: Path, passphrase: bytes | None = None) -> KeyPair | None:
    """The existing pair at `private_path`, validated; None if there is no key there.

    Raises LocalFileError when something is there but cannot be used: we never overwrite it.
    """
    pub_path = public_path_for(private_path)
    if private_path.exists() and not private_path.is_file():
        kind = "a folder" if private_path.is_dir() else "a device, a pipe or a socket"
        raise LocalFileError(
            f"{private_path} is not a key file: it is {kind}",
            "pass --key with the path of a private key file",
        )
    if is_empty_leftover(private_path):
        return None  # a crash between creating and writing it: no one's key; write_pair replaces it
    if not private_path.exists():
        if pub_path.exists():
            raise LocalFileError(
                f"{pub_path} exists but its private key {private_path} does not",
                f"move {pub_path} away, or pass --key with another path",
            )
        return None
    mode = private_path.stat().st_mode & 0o777
    if mode & 0o077:
        raise LocalFileError(
            f"{private_path} is readable by others (mode {mode:o}); ssh refuses to use it",
            f"chmod 600 {private_path}",
        )
    try:
        from_private = _public_from_private_file(
            private_path.read_bytes(), private_path, passphrase
        )
    except (ValueError, IndexError):
        raise LocalFileError(
            f"{private_path} is not a private key bootstrap can read",
            "pass --key with another path and bootstrap will create a new key there",
        ) from None
    check_acceptable(from_private, str(private_path))
    if pub_path.exists():
        on_disk = PublicKey.parse(pub_path.read_text(), str(pub_path))
        if on_disk.material != from_private.material:
            raise LocalFileError(
                f"{pub_path} does not belong to {private_path}",
                f"regenerate it with: ssh-keygen -y -f {private_path} > {pub_path}",
            )
        return KeyPair(private_path, on_disk)
    return KeyPair(private_path, from_private)


def default_comment() -> str:
    return f"{getpass.getuser()}@{socket.gethostname()} codecommit"


@dataclass(frozen=True)
class NewKey:
    """A generated pair not yet on disk: the private key in OpenSSH format, and its public key."""

    private_bytes: bytes = field(repr=False)
    public: PublicKey


def generate_pair(private_path: Path, bits: int, passphrase: bytes | None, comment: str) -> KeyPair:
    """Create a new RSA pair in OpenSSH format: private 0600 from birth, public 0644."""
    return write_pair(private_path, new_key(bits, passphrase, comment))


def new_key(bits: int, passphrase: bytes | None, comment: str) -> NewKey:
    """Generate an RSA pair in memory (cryptography releases the GIL while it works)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase)
        if passphrase
        else serialization.NoEncryption()
    )
    private_bytes = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, encryption
    )
    public_line = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    return NewKey(private_bytes, PublicKey.parse(f"{public_line.decode()} {comment}"))


def is_empty_leftover(private_path: Path) -> bool:
    """An empty file where the key should be, with no public key beside it: what a crash (or a
    full disk) between creating and writing a key leaves. It holds no key anyone can use."""
    try:
        return private_path.stat().st_size == 0 and not public_path_for(private_path).exists()
    except OSError:
        return False


def write_pair(private_path: Path, key: NewKey) -> KeyPair:
    if is_empty_leftover(private_path):
        private_path.unlink()
    files.create_private(private_path, key.private_bytes)
    try:
        files.atomic_write(public_path_for(private_path), (key.public.line + "\n").encode(), 0o644)
    except BaseException:
        private_path.unlink()
        raise
    return KeyPair(private_path, key.public)


def write_missing_public(pair: KeyPair) -> None:
    files.atomic_write(pair.public_path, (pair.public.line + "\n").encode(), 0o644)
