"""Every write to the user's disk: atomic replacement, private files, backups and locks."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import glob
import os
import stat
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from bootstrap.errors import LocalFileError

BACKUP_SUFFIX = ".bootstrap.bak"


# What an OSError means for the user, and what to do: (what happened, the fix). `{path}` and
# `{folder}` are filled in.
_WHY = {
    errno.ENOSPC: ("the disk is full", "free some space on that disk, then run again"),
    errno.EDQUOT: ("your disk quota is used up", "free some space, then run again"),
    errno.EACCES: (
        "permission denied",
        "check who owns {path} and its folder, and their modes (`ls -ld {folder} {path}`)",
    ),
    errno.EPERM: (
        "the file system does not permit it (an immutable file? `lsattr {path}` shows `i`)",
        "if you made it immutable, `sudo chattr -i {path}`; or pass another path",
    ),
    errno.EROFS: (
        "the file system is read-only",
        "remount it read-write, or pass a path on a writable disk",
    ),
    errno.EISDIR: ("it is a directory", "move that directory away, or pass the path of a file"),
    errno.ENOTDIR: (
        "a part of the path is a file, not a folder",
        "check the path, or pass another one",
    ),
}


def local_file_error(path: Path, exc: OSError, doing: str = "write") -> LocalFileError:
    """`exc`, met while `doing` `path`, as the two-line error: the file, what happened, the fix."""
    what, fix = _WHY.get(
        exc.errno or 0, (exc.strerror or str(exc), "check {path} and its folder, then run again")
    )
    folder = path.parent
    detail = f" ({exc.strerror})" if exc.strerror and exc.strerror.lower() not in what else ""
    what = what.format(path=path, folder=folder)
    return LocalFileError(
        f"cannot {doing} {path}: {what}{detail}",
        fix.format(path=path, folder=folder),
        details={"path": str(path), "errno": errno.errorcode.get(exc.errno or 0, "")},
    )


@contextlib.contextmanager
def as_local_file_error(path: Path, doing: str = "write") -> Iterator[None]:
    """An OSError inside, as local_file_error (a LocalFileError passes through)."""
    try:
        yield
    except OSError as exc:
        raise local_file_error(path, exc, doing) from None


def real_target(path: Path) -> Path:
    """Follow symlinks (as dotfiles managers make them) so we write the file, not the link."""
    return Path(os.path.realpath(path))


def ensure_private_dir(path: Path) -> bool:
    """Make `path` exist with mode 0700. Returns True if it was created or tightened."""
    with as_local_file_error(path, "create the folder"):
        if not path.exists():
            path.mkdir(mode=0o700, parents=True, exist_ok=True)  # another run may be first
            os.chmod(path, 0o700)
            return True
        if not path.is_dir():
            raise LocalFileError(
                f"{path} should be a folder, but it is a file",
                f"move {path} away, then run again",
            )
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
    except OSError as exc:
        raise local_file_error(path, exc) from None
    try:
        os.fchmod(fd, 0o600)
        view = memoryview(data)
        while view:  # a short write (a disk filling up) must not leave half a key
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    except BaseException as exc:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(path)  # never leave an empty or torn file of ours (a 0-byte key)
        if isinstance(exc, OSError):
            raise local_file_error(path, exc) from None
        raise
    os.close(fd)


def atomic_write(path: Path, data: bytes, mode: int = 0o600, backup: bool = False) -> None:
    """Replace `path` so that readers see the old bytes or the new ones, never a torn file.

    The new bytes go to a private temporary file in the same folder, are flushed to disk, and
    only then renamed over the old file (rename is atomic). A symlink is followed and the link
    kept. With `backup`, the previous version is kept as `<name>.bootstrap.bak` beside the name
    the user knows (not in a dotfiles repository the link points into).
    """
    target = real_target(path)
    if not target.parent.is_dir():
        raise LocalFileError(
            f"{path} points to {target}, whose folder {target.parent} does not exist",
            f"create {target.parent} or fix the link, then run again",
        )
    if target.is_dir():
        raise local_file_error(path, IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR)))
    with as_local_file_error(path):
        _replace(path, target, data, mode, backup)


# A temporary file of ours older than this was left by a run that was killed mid-write.
STALE_TMP_SECONDS = 600


def _sweep_stale_tmp(target: Path) -> None:
    """Remove `.NAME.*.tmp` files that a killed run left beside `target` (never a fresh one:
    another run may be writing it right now)."""
    now = time.time()
    with contextlib.suppress(OSError):
        for leftover in target.parent.glob(f".{glob.escape(target.name)}.*.tmp"):
            with contextlib.suppress(OSError):
                info = leftover.lstat()
                if stat.S_ISREG(info.st_mode) and now - info.st_mtime > STALE_TMP_SECONDS:
                    leftover.unlink()


def _replace(path: Path, target: Path, data: bytes, mode: int, backup: bool) -> None:
    _sweep_stale_tmp(target)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(data)
            tmp.flush()
            os.fsync(tmp.fileno())
        if backup and target.exists():
            atomic_write(path.with_name(path.name + BACKUP_SUFFIX), target.read_bytes())
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    _fsync_dir(target.parent)


def mode_of(path: Path) -> int | None:
    """Permission bits of the file `path` names (through a symlink), None if missing."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return None


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_text_exact(path: Path) -> str | None:
    """The file's text with line endings and BOM untouched, or None if it does not exist."""
    try:
        with open(path, "rb") as handle:
            return decode(handle.read())
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise local_file_error(path, exc, "read") from None


def decode(data: bytes) -> str:
    """UTF-8, with any other byte (a Latin-1 comment, say) kept as is: `encode` gives back the
    exact bytes, so a file we did not write in UTF-8 survives byte for byte."""
    return data.decode("utf-8", "surrogateescape")


def encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


@contextlib.contextmanager
def locked_unless(dry_run: bool, directory: Path) -> Iterator[None]:
    """`locked(directory)`, except in a dry run, which writes nothing and waits for no one.
    A run that writes holds it from its first look to its last write."""
    if dry_run:
        yield
        return
    with locked(directory):
        yield


@contextlib.contextmanager
def locked(directory: Path) -> Iterator[None]:
    """Hold an exclusive lock on `directory` so two runs never interleave their reads and writes.

    Locking the folder itself leaves no lock file behind. A missing folder is created first
    (0700, as ssh-keygen would): locking its parent instead would let a run that starts after
    another created it lock a different folder, and the two would no longer exclude each other.
    """
    if not directory.is_dir():
        ensure_private_dir(directory)
    with as_local_file_error(directory, "lock the folder"):
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
