"""Find and remove the known_hosts entries `init` added, and only those.

`init` ends each line it adds with the comment `added-by-bootstrap` (hostkeys.ENTRY_MARKER). We
take a line only if it carries that marker AND names a CodeCommit host (in clear, or hashed by
HashKnownHosts), so a user's own lines, and any marked line for another host, stay. Every other
byte of the file is kept, whatever its line endings.
"""

from __future__ import annotations

import base64
import hmac
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from bootstrap import files
from bootstrap.ssh import hostkeys

_CODECOMMIT_HOST = re.compile(
    r"^git-codecommit(-fips)?\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$", re.IGNORECASE
)
_WITH_PORT = re.compile(r"^\[(?P<host>[^\]]+)\]:\d+$")


@dataclass(frozen=True)
class MarkedEntry:
    path: Path
    line: int  # 1-based
    host: str  # the name as written ("|1|…" when hashed)


def candidate_names(codecommit_hosts: Iterable[str], extra: Iterable[str] = ()) -> set[str]:
    """The clear names a hashed entry of ours can hide: every CodeCommit git host (the caller
    lists them: ssh/ knows nothing of AWS regions), plus `extra` (the name `init` would use
    here, e.g. a HostKeyAlias or `[host]:port`)."""
    return set(codecommit_hosts) | set(extra)


def _is_codecommit_name(name: str, hashed_candidates: set[str]) -> bool:
    if name.startswith("|1|"):
        try:
            _, _, salt_b64, digest_b64 = name.split("|", 3)
            salt, digest = base64.b64decode(salt_b64), base64.b64decode(digest_b64)
        except ValueError:
            return False
        return any(
            hmac.compare_digest(hostkeys.name_hash(c, salt), digest) for c in hashed_candidates
        )
    bare = _WITH_PORT.match(name)
    return name in hashed_candidates or bool(
        _CODECOMMIT_HOST.match(bare.group("host") if bare else name)
    )


def is_ours(line: bytes, candidates: set[str]) -> bool:
    """`NAMES KEYTYPE KEY added-by-bootstrap`, every name a CodeCommit host."""
    fields = line.decode("utf-8", errors="replace").split()
    if len(fields) != 4 or fields[-1] != hostkeys.ENTRY_MARKER or fields[0].startswith("@"):
        return False
    return all(_is_codecommit_name(name, candidates) for name in fields[0].split(","))


def find(paths: Iterable[Path], candidates: set[str]) -> list[MarkedEntry]:
    found = []
    for path in paths:
        if not path.is_file():
            continue
        for number, line in enumerate(path.read_bytes().splitlines(), start=1):
            if is_ours(line, candidates):
                found.append(MarkedEntry(path, number, line.split()[0].decode()))
    return found


def without_ours(data: bytes, candidates: set[str]) -> bytes:
    """The file's bytes with our lines (and their line endings) taken out."""
    return b"".join(
        line for line in data.splitlines(keepends=True) if not is_ours(line, candidates)
    )


def remove(path: Path, candidates: set[str]) -> int:
    """Take our lines out of `path` atomically; delete the file if nothing else was in it.
    Returns how many lines were removed."""
    data = path.read_bytes()
    kept = without_ours(data, candidates)
    removed = len(data.splitlines()) - len(kept.splitlines())
    if removed == 0:
        return 0
    if kept.strip():
        files.atomic_write(path, kept, path.stat().st_mode & 0o777)
    else:
        files.real_target(path).unlink()
    return removed
