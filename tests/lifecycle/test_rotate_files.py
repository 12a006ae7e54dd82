"""rotate's key files: dated backup names, the swap, and putting the old key back."""

from __future__ import annotations

import datetime
import os
import stat
from pathlib import Path

import pytest

from bootstrap.lifecycle import rotate
from bootstrap.ssh import keys
from bootstrap.undo import Undo

DAY = datetime.date(2026, 11, 28)


def pair(path: Path, body: bytes) -> keys.KeyPair:
    """A stand-in pair: only the file names and bytes matter to the swap."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, body)
    os.close(fd)
    keys.public_path_for(path).write_bytes(body + b".pub")
    return keys.KeyPair(path, keys.PublicKey("ssh-rsa", body))


def test_backup_name_is_dated_and_never_reused(tmp_path: Path) -> None:
    key = tmp_path / "codecommit_rsa"
    first = rotate.backup_name(key, DAY)
    assert first.name == "codecommit_rsa.2026-11-28.bak"
    first.write_text("x")
    assert rotate.backup_name(key, DAY).name == "codecommit_rsa.2026-11-28-2.bak"
    first.unlink()
    keys.public_path_for(first).write_text("a leftover public half")
    assert rotate.backup_name(key, DAY).name == "codecommit_rsa.2026-11-28-2.bak"


@pytest.mark.parametrize("old_has_pub", [True, False])
def test_swap_then_undo_puts_the_old_key_back(tmp_path: Path, old_has_pub: bool) -> None:
    key = tmp_path / "codecommit_rsa"
    pair(key, b"old")
    if not old_has_pub:
        keys.public_path_for(key).unlink()
    new = pair(tmp_path / "codecommit_rsa.new", b"new")
    backup = tmp_path / "codecommit_rsa.2026-11-28.bak"
    inode = key.stat().st_ino
    undo = Undo()

    rotate.swap_in(key, backup, new, undo)

    assert key.read_bytes() == b"new" and backup.read_bytes() == b"old"
    assert backup.stat().st_ino == inode  # the same file under a second name, never a copy
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert keys.public_path_for(key).read_bytes() == b"new.pub"
    assert keys.public_path_for(backup).exists() == old_has_pub
    assert not new.private_path.exists()

    undo.run()

    assert key.read_bytes() == b"old" and key.stat().st_ino == inode
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["codecommit_rsa", *(["codecommit_rsa.pub"] if old_has_pub else [])]
    )


def test_undo_before_the_rename_drops_only_the_extra_name(tmp_path: Path) -> None:
    # rename(2) of one link onto another of the same file does nothing: _restore must unlink.
    key = tmp_path / "codecommit_rsa"
    pair(key, b"old")
    backup = tmp_path / "codecommit_rsa.2026-11-28.bak"
    os.link(key, backup)
    assert rotate._restore(backup, key)
    assert key.read_bytes() == b"old" and not backup.exists()
