"""rotate's key files: dated backup names, the old key's second name, the new key moving in."""

from __future__ import annotations

import datetime
import os
import stat
from pathlib import Path

import pytest

from bootstrap.lifecycle import rotate, rotate_files
from bootstrap.ssh import keys

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
def test_the_old_key_keeps_a_second_name_and_again_is_a_no_op(
    tmp_path: Path, old_has_pub: bool
) -> None:
    key = tmp_path / "codecommit_rsa"
    pair(key, b"old")
    if not old_has_pub:
        keys.public_path_for(key).unlink()
    backup = tmp_path / "codecommit_rsa.2026-11-28.bak"

    rotate_files.keep_old(key, backup)
    rotate_files.keep_old(key, backup)  # after a kill, the re-run does it again

    assert backup.stat().st_ino == key.stat().st_ino  # a second name, never a copy
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert keys.public_path_for(backup).exists() == old_has_pub


def test_the_new_key_takes_the_name_and_the_staging_key_stays(tmp_path: Path) -> None:
    key = tmp_path / "codecommit_rsa"
    pair(key, b"old")
    staging = tmp_path / "codecommit_rsa.new"
    pair(staging, b"new")

    rotate_files.move_in(staging, key)
    rotate_files.move_in(staging, key)  # repeatable

    assert key.read_bytes() == b"new" and keys.public_path_for(key).read_bytes() == b"new.pub"
    assert staging.read_bytes() == b"new"  # the block may still name it: it stays for now
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_dropping_the_backup_removes_only_a_second_name(tmp_path: Path) -> None:
    key = tmp_path / "codecommit_rsa"
    pair(key, b"old")
    backup = tmp_path / "codecommit_rsa.2026-11-28.bak"
    os.link(key, backup)
    other = tmp_path / "codecommit_rsa.2026-11-27.bak"
    pair(other, b"older")

    rotate_files.drop_extra_backup(key, backup)
    rotate_files.drop_extra_backup(key, other)

    assert key.read_bytes() == b"old" and not backup.exists()
    assert other.read_bytes() == b"older"  # a real backup of another key stays
