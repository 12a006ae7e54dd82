"""Trust the CodeCommit host key only after checking it against AWS's published fingerprint.

No blind trust-on-first-use: we fetch the key with paramiko, compare its SHA256 fingerprint
with the published one (or the one the user pinned with --accept-host-key), and only then add a
known_hosts entry. An entry that already exists is left to ssh, which checks it on connect.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Protocol

from bootstrap import files, waits
from bootstrap.errors import HostKeyError, PortUnreachable, UsageError
from bootstrap.ssh import locations
from bootstrap.ssh.client import EffectiveOptions
from bootstrap.ssh.keys import PublicKey

_RSA_FIRST = ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"]


@dataclass(frozen=True)
class Target:
    """Where ssh really connects for a host, and the name it files the host key under."""

    host: str
    hostname: str
    port: int
    known_hosts_name: str
    user_known_hosts: tuple[Path, ...]
    global_known_hosts: tuple[Path, ...]
    hash_names: bool

    @classmethod
    def from_options(cls, host: str, options: EffectiveOptions) -> Target:
        hostname = options.first("hostname") or host
        port = int(options.first("port") or 22)
        alias = options.first("hostkeyalias")
        if alias and alias != "none":
            name = alias
        else:
            name = hostname if port == 22 else f"[{hostname}]:{port}"
        return cls(
            host,
            hostname,
            port,
            name,
            tuple(locations.expand(p) for p in options.all("userknownhostsfile") if p != "none"),
            tuple(locations.expand(p) for p in options.all("globalknownhostsfile") if p != "none"),
            (options.first("hashknownhosts") or "no") == "yes",
        )


def lookup(name: str, path: Path) -> list[str]:
    """The known_hosts lines for `name` in `path`, as ssh-keygen finds them (hashed or not).

    Asked of ssh-keygen rather than parsed here: it matches names exactly as ssh does
    (hashed names, patterns, `[host]:port`). Undecodable bytes are replaced, not fatal.
    """
    done = subprocess.run(
        ["ssh-keygen", "-F", name, "-f", str(path)],
        capture_output=True,
        text=True,
        errors="replace",
        stdin=subprocess.DEVNULL,
        check=False,
    )
    return [line for line in done.stdout.splitlines() if line and not line.startswith("#")]


def known_entry_file(target: Target) -> Path | None:
    """The known_hosts file that already has an entry for this host, if any."""
    for path in (*target.user_known_hosts, *target.global_known_hosts):
        if path.is_file() and lookup(target.known_hosts_name, path):
            return path
    return None


@dataclass(frozen=True)
class ServerOffer:
    """The server's RSA host key, and the host-key signature algorithms its KEXINIT offers
    (empty if they could not be read: then nothing is concluded from them)."""

    key: PublicKey
    host_key_algorithms: tuple[str, ...]


def _recording_transport(sock: socket.socket) -> Any:
    """A paramiko client transport that keeps the server's offered host-key algorithms, and
    can still read the key of a server that signs only with SHA-1 `ssh-rsa`.

    paramiko 5 dropped SHA-1 RSA signatures altogether; a server that offers nothing else
    (CodeCommit, as reported in 2022) must still have its key read, to be compared with the
    published fingerprint. SHA-1 is tried last, only when the server offers no SHA-2.
    """
    import paramiko
    from cryptography.hazmat.primitives import hashes
    from paramiko.message import Message

    class Sha1RSAKey(paramiko.RSAKey):  # type: ignore[misc]
        HASHES: ClassVar[dict[str, Any]] = {**paramiko.RSAKey.HASHES, "ssh-rsa": hashes.SHA1}

    class Recording(paramiko.Transport):  # type: ignore[misc]
        _key_info: ClassVar[dict[str, Any]] = {
            **paramiko.Transport._key_info,
            "ssh-rsa": Sha1RSAKey,
        }
        server_host_key_algorithms: tuple[str, ...] = ()

        def _parse_kex_init(self, m: Any) -> Any:
            # The payload after the message type: 16 bytes of cookie, then the name-lists
            # (kex, then server host key). Read from a copy; paramiko parses the original.
            try:
                copy = Message(m.asbytes())
                copy.get_bytes(16)
                copy.get_list()
                if not self.server_host_key_algorithms:
                    self.server_host_key_algorithms = tuple(copy.get_list())
            except Exception:  # never let our peek break the handshake
                pass
            return super()._parse_kex_init(m)

    transport = Recording(sock)
    options = transport.get_security_options()
    options.key_types = _RSA_FIRST + [k for k in options.key_types if k not in _RSA_FIRST]
    return transport


def fetch_offer(target: Target, timeout: float | None = None) -> ServerOffer:
    """Read the server's host key with paramiko (no authentication is attempted), within
    `timeout` seconds (waits.connect()) for the connection and again for the key exchange."""
    import paramiko

    timeout = timeout or waits.connect()

    # paramiko reports socket trouble through logging; our errors say it once, properly.
    logging.getLogger("paramiko").addHandler(logging.NullHandler())
    try:
        sock = socket.create_connection((target.hostname, target.port), timeout=timeout)
    except OSError as exc:
        raise PortUnreachable(
            f"cannot connect to {target.hostname} port {target.port} to read its host key: "
            f"{exc.strerror or exc}",
            f"check --region and your network; where port {target.port} is blocked, run "
            "again with --protocol https (git over port 443, through your proxy if you have one)",
        ) from None
    transport = _recording_transport(sock)
    transport.banner_timeout = timeout  # else paramiko's own 15 s could say it first
    try:
        transport.start_client(timeout=timeout)
        if not (transport.is_active() and transport.initial_kex_done):  # timed out, silently
            raise _silent(target, timeout)
        key = transport.get_remote_server_key()
    except paramiko.SSHException as exc:
        if "protocol banner" in str(exc):  # paramiko's banner wait ran out first
            raise _silent(target, timeout) from None
        raise HostKeyError(
            f"could not read the host key of {target.hostname}:{target.port}: {exc}",
            "check your network, then run again",
        ) from None
    except (OSError, EOFError) as exc:
        raise HostKeyError(
            f"could not read the host key of {target.hostname}:{target.port}: {exc}",
            "check your network, then run again",
        ) from None
    finally:
        transport.close()
    return ServerOffer(
        PublicKey(key.get_name(), key.asbytes()), tuple(transport.server_host_key_algorithms)
    )


def _silent(target: Target, timeout: float) -> PortUnreachable:
    return PortUnreachable(
        f"{target.hostname} port {target.port} accepted the connection but did not answer "
        f"within {timeout:.0f} seconds (no SSH host key came)",
        f"check --region and your network (a firewall or proxy that holds port {target.port} "
        "open but passes nothing); or run again with --protocol https",
    )


def fetch(target: Target, timeout: float | None = None) -> PublicKey:
    """The server's RSA host key, read with paramiko (no authentication is attempted)."""
    return fetch_offer(target, timeout).key


class Confirmer(Protocol):
    """What confirm_unpublished needs of a prompter. Declared here, not imported from ui/, so
    ssh/ stays below ui/; ui.prompts.Prompter has both members, so any prompter will do."""

    @property
    def interactive(self) -> bool: ...

    def confirm(self, message: str, *, default: bool = True) -> bool: ...


def confirm_unpublished(
    server_key: PublicKey,
    region: str,
    published: str | None,
    pinned: str | None,
    prompter: Confirmer,
) -> str | None:
    """For a region AWS publishes no fingerprint for: on a terminal, show the fingerprint and
    ask (default no); the fingerprint the user accepted is then pinned like --accept-host-key.
    Unattended, nothing is asked and `verify` demands --accept-host-key."""
    if pinned or published is not None or not prompter.interactive:
        return pinned
    actual = server_key.sha256
    question = (
        f"AWS publishes no host-key fingerprint for {region} that bootstrap knows. "
        f"The CodeCommit server presents {actual}. Trust it only if it matches the value "
        "your administrator or the AWS console gives you. Trust it?"
    )
    if prompter.confirm(question, default=False):
        return actual
    raise HostKeyError(
        f"the host key {actual} of the CodeCommit server for {region} was not trusted; "
        "nothing was written",
        f"once you have checked it, run again, or pass --accept-host-key {actual}",
        details={"fingerprint": actual},
    )


def verify(
    server_key: PublicKey, region: str, published: str | None, pinned: str | None
) -> list[str]:
    """Check the fingerprint; return warnings to show. Raises HostKeyError on a mismatch."""
    actual = server_key.sha256
    if pinned:
        if actual != pinned:
            raise HostKeyError(
                f"the server's host key is {actual}, not the {pinned} given by "
                "--accept-host-key; nothing was written",
                "do not connect: someone may be intercepting; check the fingerprint with "
                "your administrator",
            )
        if published and published != pinned:
            return [
                f"host key {actual} is not the one AWS publishes for {region} ({published}); "
                "trusted only because --accept-host-key names it"
            ]
        return []
    if published is None:
        raise HostKeyError(
            f"AWS publishes no host-key fingerprint for {region} that bootstrap knows; "
            f"the server presents {actual}",
            f"check it in the AWS console or with AWS support, then pass "
            f"--accept-host-key {actual}",
            details={"fingerprint": actual},
        )
    if actual != published:
        raise HostKeyError(
            f"WARNING: the host key of the CodeCommit server for {region} is {actual}, "
            f"but AWS publishes {published}; nothing was written",
            "do not connect: your network may be intercepting SSH; tell your security team",
            details={"fingerprint": actual, "published": published},
        )
    return []


def name_hash(name: str, salt: bytes) -> bytes:
    """HMAC-SHA1(salt, name): how HashKnownHosts hides a host name, for writing and matching."""
    return hmac.new(salt, name.encode(), hashlib.sha1).digest()


def hashed_name(name: str, salt: bytes | None = None) -> str:
    """A HashKnownHosts entry name: |1|salt|HMAC-SHA1(salt, name)."""
    salt = salt or os.urandom(20)
    digest = name_hash(name, salt)
    return f"|1|{base64.b64encode(salt).decode()}|{base64.b64encode(digest).decode()}"


# known_hosts allows a comment after the key: it marks the entries `bootstrap remove` may delete.
ENTRY_MARKER = "added-by-bootstrap"


def entry_line(target: Target, key: PublicKey) -> str:
    name = hashed_name(target.known_hosts_name) if target.hash_names else target.known_hosts_name
    return f"{name} {key.material} {ENTRY_MARKER}"


def add_entry(target: Target, key: PublicKey) -> Path:
    """Append the entry to the user's first known_hosts file, atomically."""
    path = target.user_known_hosts[0]
    files.ensure_private_dir(path.parent)
    existing = path.read_bytes() if path.exists() else b""
    if existing and not existing.endswith(b"\n"):
        existing += b"\n"
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o600
    files.atomic_write(path, existing + (entry_line(target, key) + "\n").encode(), mode)
    return path


def normalise_fingerprint(value: str | None) -> str | None:
    """--accept-host-key as ssh prints a fingerprint (SHA256:…), or None when not given."""
    if value is None:
        return None
    value = value.strip()
    if not value.startswith("SHA256:") or len(value) != 50:
        raise UsageError(
            f"--accept-host-key '{value}' is not a SHA256 fingerprint",
            "give it as ssh prints it: SHA256: followed by 43 characters",
        )
    return value
