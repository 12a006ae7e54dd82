"""Setups a test clone has proved, so that a re-run that changes nothing need not clone again.

A clone costs a connection and seconds, and a fleet that runs `init` on every converge would pay
it on every machine every time. After a clone succeeds, `init` records a digest of everything
that clone depended on: region, repository, IAM user, key id, public key, and the bytes of the
ssh config and known_hosts files. A re-run whose digest is recorded, and that would change
nothing, reports the test clone `unchanged` without connecting. Any difference (another key or
key id, an edited config, a new known_hosts line) means a new clone.

What no local file shows (an IAM policy changed, the server's host key changed) is checked by
`bootstrap doctor --repo NAME` or `init --retest`.

The record lives beside the ssh config, under the same lock: `bootstrap.verified.json`.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path

from bootstrap import files

RECORD_NAME = "bootstrap.verified.json"
KEPT = 20  # digests remembered; older ones cost one clone each if ever needed again


def record_path(ssh_config: Path) -> Path:
    return ssh_config.parent / RECORD_NAME


def digest(
    *,
    region: str,
    repo: str,
    user: str,
    key_id: str,
    public_key: str,
    ssh_config: Path,
    known_hosts: Path,
) -> str:
    """What a test clone depended on, as one hex digest (files read now, byte for byte)."""
    parts = [region, repo, user, key_id, public_key.strip()]
    for path in (ssh_config, known_hosts):
        try:
            parts.append(hashlib.sha256(files.real_target(path).read_bytes()).hexdigest())
        except FileNotFoundError:
            parts.append("missing")
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def _read(record: Path) -> dict[str, str]:
    try:
        loaded = json.loads(record.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError, UnicodeDecodeError):
        return {}  # no record, or not ours to trust: clone again
    if not isinstance(loaded, dict):
        return {}
    return {str(k): str(v) for k, v in loaded.items()}


def proved_at(ssh_config: Path, setup: str) -> str | None:
    """When a clone proved this exact setup (ISO time), or None."""
    return _read(record_path(ssh_config)).get(setup)


def remember(ssh_config: Path, setup: str) -> None:
    """Record that a clone just proved `setup` (the KEPT newest setups are kept)."""
    record = record_path(ssh_config)
    entries = _read(record)
    if setup in entries:
        return  # proved again (--retest): the record, like every other file, stays as it was
    entries[setup] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    newest = dict(list(entries.items())[-KEPT:])
    files.atomic_write(record, (json.dumps(newest, indent=1) + "\n").encode())


def forget(ssh_config: Path) -> bool:
    """Drop every record (`remove` does); True if there was one."""
    try:
        record_path(ssh_config).unlink()
    except FileNotFoundError:
        return False
    return True
