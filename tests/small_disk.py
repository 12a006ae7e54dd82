"""A small file system for the full-disk tests: a 64 KiB tmpfs (root only: the test is
skipped elsewhere) that can be filled to the last byte."""

from __future__ import annotations

import errno
import os
import subprocess
from pathlib import Path

import pytest


def mount(*args: str) -> None:
    """`mount ARGS`, or skip the test when this machine does not let us."""
    done = subprocess.run(["mount", *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount here ({done.stderr.strip()}): needs root")


def mount_tmpfs(where: Path, options: str = "size=64k") -> None:
    mount("-t", "tmpfs", "-o", options, "tmpfs", str(where))


def fill(folder: Path) -> None:
    """Write into `folder` until its file system is full (the file is `filler`)."""
    fd = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
    finally:
        os.close(fd)
