"""A kept clone (--clone-dir) that fails, or that the user stops with Ctrl-C, leaves no partial
directory behind; a directory that was there before is never removed.

git runs in its own session (so ssh can never prompt), which also means a Ctrl-C at the
terminal reaches only the tool: the tool must stop git itself. The interrupt test sends SIGINT
to the tool once git's ssh is running, a condition read from /proc, not guessed with a sleep.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.case import SandboxCase
from sandbox.poll import wait_until

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc"),
]


def processes() -> Iterator[tuple[int, int, str, str]]:
    """(pid, parent pid, state, command line) of every process we can read in /proc."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:  # gone meanwhile
            continue
        fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "
        yield int(entry.name), int(fields[1]), fields[0], cmdline


def descendants(root: int) -> dict[int, str]:
    """The live processes below `root`: pid → command line."""
    table = [(pid, ppid, cmd) for pid, ppid, state, cmd in processes() if state != "Z"]
    found: dict[int, str] = {}
    parents = {root}
    while True:
        more = {pid: cmd for pid, ppid, cmd in table if ppid in parents and pid not in found}
        if not more:
            return found
        found.update(more)
        parents = set(more)


def alive(pid: int) -> bool:
    return any(p == pid and state != "Z" for p, _, state, _ in processes())


def test_failed_clone_into_a_new_clone_dir_leaves_no_directory(sandbox: SandboxCase) -> None:
    sandbox.write_routing()
    work = sandbox.home / "work"
    target = work / "team" / "no-such-repo"
    done = sandbox.init("--repo", "no-such-repo", "--clone-dir", str(target))
    assert done.returncode == 7, done.stderr
    assert "does not exist" in done.stderr
    assert not work.exists()  # neither the clone nor the parents made for it


def test_failed_clone_into_an_empty_clone_dir_keeps_it_empty(sandbox: SandboxCase) -> None:
    sandbox.write_routing()
    target = sandbox.home / "src"
    target.mkdir()
    done = sandbox.init("--repo", "no-such-repo", "--clone-dir", str(target))
    assert done.returncode == 7, done.stderr
    assert target.is_dir() and list(target.iterdir()) == []


def test_ctrl_c_during_a_kept_clone_stops_git_and_removes_the_partial_dir(
    sandbox: SandboxCase, tmp_path: Path
) -> None:
    repo = sandbox.ready()
    assert sandbox.init("--repo", repo).returncode == 0  # set up; only the clone is left
    # An ssh whose connection for git never answers: it waits on a FIFO no one writes. Any
    # other use of ssh (ssh -G) goes to the real one.
    real_ssh = shutil.which("ssh", path=sandbox.env["PATH"])
    assert real_ssh is not None
    hang = tmp_path / "never-answers"
    os.mkfifo(hang)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "ssh"
    wrapper.write_text(
        "#!/bin/sh\n"
        f'case "$*" in *git-upload-pack*) exec cat "{hang}" ;; esac\n'
        f'exec {real_ssh} "$@"\n'
    )
    wrapper.chmod(0o755)
    sandbox.env["PATH"] = f"{bin_dir}:{sandbox.env['PATH']}"
    work = sandbox.home / "work"
    target = work / repo
    before = sandbox.snapshot()

    tool = subprocess.Popen(
        [sys.executable, "-m", "bootstrap", "init", "--yes", "--region", sandbox.region,
         "--repo", repo, "--clone-dir", str(target)],
        env=sandbox.env, cwd=sandbox.home, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    below: dict[int, str] = {}
    try:

        def cloning() -> bool:
            below.update(descendants(tool.pid))
            waiting = any(str(hang) in cmd for cmd in below.values())
            return waiting and (target / ".git").exists()

        wait_until(
            cloning, "git to have made the clone's directory and to wait on its ssh", timeout=120
        )
        tool.send_signal(signal.SIGINT)  # what Ctrl-C at the terminal sends
        out, err = tool.communicate(timeout=120)
    finally:
        if tool.poll() is None:
            tool.kill()
            tool.communicate()
        left = [pid for pid in below if alive(pid)]
        for pid in left:  # only if the tool did not stop them: the test's own processes
            os.kill(pid, signal.SIGKILL)

    assert tool.returncode == 130, err
    assert "Stopped by user" in err and "Traceback" not in err
    assert "test clone   failed" in out
    assert left == [], f"git or its ssh kept running: {below}"
    assert not work.exists()  # the partial clone and the parent made for it
    assert sandbox.snapshot() == before
