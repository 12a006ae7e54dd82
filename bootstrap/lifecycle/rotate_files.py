"""rotate's key files: the dated backup name, and the new key taking the key's name.

Every step here can be repeated after a kill: names are added with hard links and replaced with
rename(2), so each file is at every moment the old key or the new one, never torn, and the
staging key (KEY.new) stays until the block names KEY again.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import shutil
from pathlib import Path

from bootstrap import files
from bootstrap.errors import LocalFileError
from bootstrap.ssh import keys


def backup_name(key_path: Path, today: datetime.date | None = None) -> Path:
    """KEY.YYYY-MM-DD.bak, or KEY.YYYY-MM-DD-2.bak… if a rotation already ran that day."""
    stamp = (today or datetime.date.today()).isoformat()
    for n in range(1, 1000):
        name = f"{key_path.name}.{stamp}{'' if n == 1 else f'-{n}'}.bak"
        candidate = key_path.with_name(name)
        if not candidate.exists() and not keys.public_path_for(candidate).exists():
            return candidate
    raise LocalFileError(
        f"too many backups of {key_path} dated {stamp}", "delete old backups, then run again"
    )


def keep_as(source: Path, name: Path) -> None:
    """Give `source` a second name (a hard link: same bytes, same 0600); copy if we cannot.
    Done already (after a kill): nothing to do."""
    if name.exists() and (
        os.path.samefile(source, name) or name.read_bytes() == source.read_bytes()
    ):
        return
    try:
        os.link(source, name)
    except FileExistsError:
        raise
    except OSError:
        files.create_private(name, source.read_bytes())
        shutil.copymode(source, name)


def keep_old(key: Path, backup: Path) -> None:
    """The old key (and its .pub) keeps its backup name before anything replaces it."""
    keep_as(key, backup)
    pub = keys.public_path_for(key)
    if pub.exists():
        keep_as(pub, keys.public_path_for(backup))


def take_name(source: Path, target: Path) -> None:
    """`target` becomes `source`'s file in one rename; `source` keeps its name too."""
    if target.exists() and os.path.samefile(source, target):
        return  # done before a kill (and rename(2) of two links to one file does nothing)
    tmp = target.with_name(f".{target.name}.bootstrap-rotate.tmp")
    tmp.unlink(missing_ok=True)
    try:
        os.link(source, tmp)
    except OSError:
        files.create_private(tmp, source.read_bytes())
        shutil.copymode(source, tmp)
    os.replace(tmp, target)


def move_in(staging: Path, key: Path) -> None:
    """The new key takes the key's name: the .pub first, then the private key (the block names
    the staging key meanwhile, so a key and .pub that disagree for a moment are never used)."""
    take_name(keys.public_path_for(staging), keys.public_path_for(key))
    take_name(staging, key)


def drop_extra_backup(key: Path, backup: Path) -> None:
    """Undo `keep_old` while the key is still the old one: the backup is only a second name."""
    for name, original in (
        (backup, key),
        (keys.public_path_for(backup), keys.public_path_for(key)),
    ):
        with contextlib.suppress(FileNotFoundError):
            if os.path.samefile(name, original) or name.read_bytes() == original.read_bytes():
                name.unlink()


def unlink(*paths: Path) -> None:
    for path in paths:
        path.unlink(missing_ok=True)
