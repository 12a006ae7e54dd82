"""The repository a git check last proved this setup with, per region: what `rotate` checks the
new key with when no --repo is given.

`init` records it after its test clone (or ls-remote) worked, `rotate` after its git check. It
lives beside the ssh config, under the same lock: `bootstrap.repo.json` ({region: name}).
"""

from __future__ import annotations

import json
from pathlib import Path

from bootstrap import files

RECORD_NAME = "bootstrap.repo.json"


def record_path(ssh_config: Path) -> Path:
    return ssh_config.parent / RECORD_NAME


def _read(ssh_config: Path) -> dict[str, str]:
    try:
        loaded = json.loads(record_path(ssh_config).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError, UnicodeDecodeError):
        return {}
    return {str(k): str(v) for k, v in loaded.items()} if isinstance(loaded, dict) else {}


def proved(ssh_config: Path, region: str) -> str | None:
    """The repository last proved in `region`, or None (never, or the record is unreadable)."""
    return _read(ssh_config).get(region) or None


def remember(ssh_config: Path, region: str, repo: str) -> None:
    entries = _read(ssh_config)
    if entries.get(region) == repo:
        return
    entries[region] = repo
    files.atomic_write(record_path(ssh_config), (json.dumps(entries, indent=1) + "\n").encode())


def forget(ssh_config: Path) -> None:
    record_path(ssh_config).unlink(missing_ok=True)
