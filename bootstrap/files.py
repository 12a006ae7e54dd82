"""Every write to the user's disk: atomic replacement, private files, backups and locks."""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from bootstrap.errors import LocalFileError

BACKUP_SUFFIX = ".bootstrap.bak"


def real_target(path: Path) -> Path:
    """Follow symlinks (as dotfiles managers make them) so we write the file, not the link."""
    return Path(os.path.realpath(path))


def ensure_private_dir(path: Path) -> bool:
    """Make `path` exist with mode 0700. Returns True if it was created or tightened."""
    if not path.exists():
        path.mkdir(mode=0o700, parents=True)
        os.chmod(path, 0o700)
        return True
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        os.chmod(path, mode & 0o700)
        return True
    return False


def create_private(path: Path, data: bytes) -> None:
    """Create a new file readable only by its owner from the first byte (never replaces)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise LocalFileError(
            f"{path} appeared while bootstrap was running",
            "another program is writing there; run bootstrap again",
        ) from None
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes, mode: int = 0o600, backup: bool = False) -> None:
    """Replace `path` so that readers see the old bytes or the new ones, never a torn file.

    A symlink is followed and the link kept. With `backup`, the previous version is kept
    beside it as `<name>.bootstrap.bak`.
    """
    target = real_target(path)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(data)
            tmp.flush()
            os.fsync(tmp.fileno())
        if backup and target.exists():
            atomic_write(target.with_name(target.name + BACKUP_SUFFIX), target.read_bytes())
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    _fsync_dir(target.parent)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_text_exact(path: Path) -> str | None:
    """The file's text with line endings and BOM untouched, or None if it does not exist."""
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            return handle.read()
    except FileNotFoundError:
        return None
    except UnicodeDecodeError as exc:
        raise LocalFileError(
            f"{path} is not UTF-8 text ({exc.reason} at byte {exc.start})",
            f"fix the encoding of {path} or pass another file with --ssh-config",
        ) from None


@contextlib.contextmanager
def locked(directory: Path) -> Iterator[None]:
    """Hold an exclusive lock on `directory` (or its nearest existing parent) so two runs never
    interleave their reads and writes. Locking the directory itself leaves no lock file behind."""
    while not directory.exists():
        directory = directory.parent
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
