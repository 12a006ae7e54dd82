"""A full disk, a read-only or immutable file, a folder where a file should be: the two-line
error with exit 5, naming the file and what to do; never a traceback, never a 0-byte key
(issue 15, section 4, "Local files").

The disk faults are real where this machine allows it (a small tmpfs mounted on the case's
~/.ssh, `chattr +i`: both need root, and the tests skip without it); permission denied cannot
be produced for root, so it is raised in-process at the one call that meets it.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import small_disk

from bootstrap import files
from bootstrap.errors import EXIT_LOCAL, LocalFileError
from sandbox.case import SandboxCase


def two_lines(stderr: str) -> tuple[str, str]:
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.startswith(("error:", "  fix:"))]
    assert len(lines) == 2, stderr
    return lines[0], lines[1]


@pytest.fixture
def small_ssh_dir(sandbox: SandboxCase) -> Iterator[Path]:
    """The case's ~/.ssh on its own 64 KiB tmpfs, with what was in it copied over."""
    ssh_dir = sandbox.ssh_dir
    kept = sandbox.home / "ssh-before"
    shutil.copytree(ssh_dir, kept)
    small_disk.mount_tmpfs(ssh_dir, "size=64k,mode=0700")
    try:
        shutil.copytree(kept, ssh_dir, dirs_exist_ok=True)
        yield ssh_dir
    finally:
        subprocess.run(["umount", "-l", str(ssh_dir)], check=False)


@pytest.mark.e2e
def test_a_full_disk_names_the_key_and_leaves_no_empty_key(
    sandbox: SandboxCase, small_ssh_dir: Path
) -> None:
    repo = sandbox.ready()
    small_disk.fill(small_ssh_dir)
    done = sandbox.init("--repo", repo)
    assert done.returncode == EXIT_LOCAL, done.stderr
    error, fix = two_lines(done.stderr)
    assert "codecommit_rsa" in error and "the disk is full" in error
    assert "free some space" in fix
    assert not (small_ssh_dir / "codecommit_rsa").exists()  # no 0-byte key blocks the re-run
    assert sandbox.iam_keys() == []


@pytest.mark.e2e
def test_a_read_only_ssh_folder_is_named(sandbox: SandboxCase, small_ssh_dir: Path) -> None:
    repo = sandbox.ready()
    small_disk.mount("-o", "remount,ro", str(small_ssh_dir))
    done = sandbox.init("--repo", repo)
    assert done.returncode == EXIT_LOCAL, done.stderr
    error, fix = two_lines(done.stderr)
    assert str(small_ssh_dir) in error and "read-only" in error
    assert "writable" in fix
    assert sandbox.iam_keys() == []


@pytest.fixture
def immutable_config(sandbox: SandboxCase) -> Iterator[Path]:
    config = sandbox.ssh_dir / "config"
    sandbox.write_routing()
    if shutil.which("chattr") is None:
        pytest.skip("needs chattr")
    done = subprocess.run(["chattr", "+i", str(config)], capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip("chattr +i is not possible here (needs root, and a file system with it)")
    try:
        yield config
    finally:
        subprocess.run(["chattr", "-i", str(config)], check=False)


@pytest.mark.e2e
def test_an_immutable_ssh_config_is_named_and_undone(
    sandbox: SandboxCase, immutable_config: Path
) -> None:
    repo = sandbox.create_repo()
    before = immutable_config.read_bytes()
    done = sandbox.init("--repo", repo)
    assert done.returncode == EXIT_LOCAL, done.stderr
    error, fix = two_lines(done.stderr)
    assert str(immutable_config) in error and "immutable" in error
    assert f"`lsattr {immutable_config}`" in error
    assert f"chattr -i {immutable_config}" in fix
    assert immutable_config.read_bytes() == before
    assert not list(immutable_config.parent.glob(".config.*.tmp"))


@pytest.mark.e2e
def test_a_folder_where_the_ssh_config_should_be(sandbox: SandboxCase) -> None:
    repo = sandbox.create_repo()
    (sandbox.ssh_dir / "config").mkdir()
    done = sandbox.init("--repo", repo)
    assert done.returncode == EXIT_LOCAL, done.stderr
    error, _ = two_lines(done.stderr)
    assert str(sandbox.ssh_dir / "config") in error and "directory" in error
    assert sandbox.iam_keys() == []


@pytest.mark.e2e
def test_a_folder_where_the_key_should_be(sandbox: SandboxCase) -> None:
    repo = sandbox.ready()
    (sandbox.ssh_dir / "codecommit_rsa").mkdir()
    done = sandbox.init("--repo", repo)
    assert done.returncode == EXIT_LOCAL, done.stderr
    error, fix = two_lines(done.stderr)
    assert f"{sandbox.ssh_dir / 'codecommit_rsa'} is not a key file: it is a folder" in error
    assert "chmod" not in fix
    assert sandbox.iam_keys() == []


# -- in-process: what root never meets ------------------------------------------------------------


def test_permission_denied_names_the_file_and_the_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def denied(*args: object, **kwargs: object) -> tuple[int, str]:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    monkeypatch.setattr(files.tempfile, "mkstemp", denied)
    with pytest.raises(LocalFileError) as refused:
        files.atomic_write(tmp_path / "config", b"x")
    assert refused.value.exit_code == EXIT_LOCAL
    assert refused.value.cause == f"cannot write {tmp_path / 'config'}: permission denied"
    assert f"ls -ld {tmp_path} {tmp_path / 'config'}" in refused.value.fix


def test_a_short_write_of_a_key_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(fd: int, data: object) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(files.os, "write", full)
    with pytest.raises(LocalFileError) as refused:
        files.create_private(tmp_path / "codecommit_rsa", b"-----BEGIN")
    assert "the disk is full" in refused.value.cause
    assert not (tmp_path / "codecommit_rsa").exists()
