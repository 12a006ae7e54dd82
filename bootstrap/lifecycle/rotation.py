"""What a rotation is retiring, recorded before its first change, so that a re-run can finish it.

Rotation is how a leaked key is retired: a rotate killed half-way must never leave the old key
Active with nobody knowing. `bootstrap.rotation.json`, beside the ssh config (0600, replaced
atomically, under the same lock), names the old key, the new key once IAM has it, and the
backup name. It is deleted when the old key is retired, or when a failed rotation has been
undone. A re-run that finds it either finishes the rotation (the block already names the new
key) or takes out what the interrupted one left (`KEY.new`, and its key in IAM).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

from bootstrap import files

STATE_NAME = "bootstrap.rotation.json"
NEW_SUFFIX = ".new"


@dataclass(frozen=True)
class Rotation:
    user: str
    key_path: str
    backup: str
    old_key_id: str | None  # None: IAM no longer held the old key
    old_public: str
    keep_old: bool
    repo: str
    started: str
    new_key_id: str | None = None  # once the upload is known to have reached IAM

    @property
    def staging(self) -> Path:
        return staging_for(Path(self.key_path))

    def with_new_key(self, key_id: str) -> Rotation:
        return replace(self, new_key_id=key_id)


def staging_for(key_path: Path) -> Path:
    """Where rotate makes the new key before it takes the key's name: KEY.new."""
    return key_path.with_name(key_path.name + NEW_SUFFIX)


def state_path(ssh_config: Path) -> Path:
    return ssh_config.parent / STATE_NAME


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def save(ssh_config: Path, rotation: Rotation) -> None:
    data = json.dumps(asdict(rotation), indent=1) + "\n"
    files.atomic_write(state_path(ssh_config), data.encode(), 0o600)


def load(ssh_config: Path) -> Rotation | None:
    """The interrupted rotation, or None (no record, or one we cannot read: said by `look`)."""
    try:
        loaded = json.loads(state_path(ssh_config).read_text(encoding="utf-8"))
        return Rotation(**loaded)
    except FileNotFoundError:
        return None
    except (ValueError, TypeError, UnicodeDecodeError):
        return None


def clear(ssh_config: Path) -> None:
    state_path(ssh_config).unlink(missing_ok=True)
