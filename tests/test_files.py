"""files.py: a kill at any moment leaves the old file or the new one; locks really exclude.

The kill test runs atomic_write in a child process whose system calls (mkstemp, fchmod, fsync,
replace) each stop twice, before and after, to report the stage on a pipe and wait for a go
line. The parent lets it reach stage k, SIGKILLs it there, and checks the file: for every k it
holds exactly the old bytes or exactly the new ones. No sleeps: the pipe is the clock.
"""

from __future__ import annotations

import fcntl
import os
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bootstrap import files

REPO_ROOT = Path(__file__).resolve().parent.parent
OLD = b"Host old\n    User before\n" * 200
NEW = b"# >>> bootstrap\nHost new\n    User after\n# <<< bootstrap\n" * 300

CHILD = textwrap.dedent(
    """
    import os, sys, tempfile
    from pathlib import Path
    from bootstrap import files

    def stop(stage):
        sys.stdout.write(stage + "\\n")
        sys.stdout.flush()
        if sys.stdin.readline() != "go\\n":
            os._exit(3)

    def paused(name, call):
        def wrapper(*args, **kwargs):
            stop("before " + name)
            result = call(*args, **kwargs)
            stop("after " + name)
            return result
        return wrapper

    os.fchmod = paused("fchmod", os.fchmod)
    os.fsync = paused("fsync", os.fsync)
    os.replace = paused("replace", os.replace)
    tempfile.mkstemp = paused("mkstemp", tempfile.mkstemp)
    files.atomic_write(Path(sys.argv[1]), sys.stdin.buffer.read(int(sys.argv[2])), 0o600,
                       backup=True)
    stop("done")
    """
)


def start_child(target: Path) -> subprocess.Popen[bytes]:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(target), str(len(NEW))],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=REPO_ROOT,
    )
    assert child.stdin is not None
    child.stdin.write(NEW)
    child.stdin.flush()
    return child


def run_to_stage(target: Path, kill_at: int | None) -> list[str]:
    """Run the child, answering `go` at each stage; SIGKILL it at stage `kill_at`."""
    child = start_child(target)
    assert child.stdin is not None and child.stdout is not None
    stages: list[str] = []
    while line := child.stdout.readline().decode().strip():
        stages.append(line)
        if len(stages) - 1 == kill_at:
            child.send_signal(signal.SIGKILL)
            break
        child.stdin.write(b"go\n")
        child.stdin.flush()
    child.wait()
    child.stdin.close()
    child.stdout.close()
    return stages


def test_a_kill_at_any_stage_leaves_the_old_file_or_the_new_one(tmp_path: Path) -> None:
    target = tmp_path / "config"
    target.write_bytes(OLD)
    stages = run_to_stage(target, None)
    assert stages[-1] == "done" and "before replace" in stages
    assert target.read_bytes() == NEW

    seen = []
    for kill_at in range(len(stages)):
        target.write_bytes(OLD)
        target.chmod(0o600)
        reached = run_to_stage(target, kill_at)
        assert len(reached) == kill_at + 1
        now = target.read_bytes()
        assert now in (OLD, NEW), f"torn file after a kill at '{reached[-1]}'"
        seen.append(now == NEW)
        backup = tmp_path / ("config" + files.BACKUP_SUFFIX)
        if backup.exists():
            assert backup.read_bytes() == OLD  # a torn backup would be as bad
    # The switch happens exactly once, at the rename: old before it, new after it.
    first_new = seen.index(True)
    assert not any(seen[:first_new]) and all(seen[first_new:])
    assert stages[first_new] == "after replace"


def test_atomic_write_keeps_the_symlink_and_writes_its_target(tmp_path: Path) -> None:
    target = tmp_path / "dotfiles" / "ssh_config"
    target.parent.mkdir()
    target.write_bytes(OLD)
    link = tmp_path / "config"
    link.symlink_to(target)
    files.atomic_write(link, NEW, 0o600, backup=True)
    assert link.is_symlink() and target.read_bytes() == NEW
    assert (tmp_path / ("config" + files.BACKUP_SUFFIX)).read_bytes() == OLD
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_a_link_into_a_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    link = tmp_path / "config"
    link.symlink_to(tmp_path / "gone" / "ssh_config")
    with pytest.raises(files.LocalFileError, match="does not exist"):
        files.atomic_write(link, NEW)


def test_bytes_that_are_not_utf8_survive_a_round_trip() -> None:
    data = b"# caf\xe9 \xff\xfe\r\nHost *\n"
    assert files.encode(files.decode(data)) == data


def test_lock_excludes_another_process_until_released(tmp_path: Path) -> None:
    folder = tmp_path / ".ssh"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path; from bootstrap import files\n"
            "with files.locked(Path(sys.argv[1])):\n"
            "    print('locked', flush=True); sys.stdin.readline()\n",
            str(folder),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO_ROOT,
    )
    assert holder.stdin is not None and holder.stdout is not None
    assert holder.stdout.readline() == "locked\n"
    # The missing folder was created (0700) so that every run locks the same one.
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        with pytest.raises(BlockingIOError):
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        holder.stdin.write("release\n")
        holder.stdin.flush()
        assert holder.wait() == 0
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free now
    finally:
        os.close(fd)


def test_a_temporary_file_left_by_a_killed_write_is_swept(tmp_path: Path) -> None:
    config = tmp_path / "config"
    stale, fresh = tmp_path / ".config.abc123.tmp", tmp_path / ".config.def456.tmp"
    stale.write_bytes(b"half")
    fresh.write_bytes(b"being written")
    old = os.stat(fresh).st_mtime - files.STALE_TMP_SECONDS - 60
    os.utime(stale, (old, old))
    files.atomic_write(config, b"Host x\n")
    assert not stale.exists() and fresh.exists()
    assert config.read_bytes() == b"Host x\n"
