"""A tool killed (SIGKILL) during the test clone leaves nothing behind for long: git dies with
it (setpriv --pdeathsig), and the next run sweeps the scratch folders of runs that are gone
(issue 15, section 4, "Signals, pipes and encodings")."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest

from bootstrap import git
from sandbox.case import SandboxCase
from sandbox.poll import wait_until


def dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    return int(done.stdout)


def test_the_sweep_takes_only_folders_of_runs_that_are_gone(tmp_path: Path) -> None:
    gone = tmp_path / f"{git.SCRATCH_PREFIX}{dead_pid()}-abc"
    running = tmp_path / f"{git.SCRATCH_PREFIX}{os.getpid()}-def"
    not_ours = tmp_path / f"{git.SCRATCH_PREFIX}notapid-x"
    for folder in (gone, running, not_ours):
        (folder / "repo").mkdir(parents=True)
    assert git.sweep_scratch(tmp_path) == [gone]
    assert not gone.exists() and running.exists() and not_ours.exists()


@pytest.mark.e2e
def test_init_sweeps_the_scratch_of_a_killed_run(sandbox: SandboxCase, tmp_path: Path) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    left = scratch / f"{git.SCRATCH_PREFIX}{dead_pid()}-xyz"
    (left / "repo" / ".git").mkdir(parents=True)
    sandbox.env["TMPDIR"] = str(scratch)
    done = sandbox.init("--repo", sandbox.ready())
    assert done.returncode == 0, done.stderr
    assert list(scratch.iterdir()) == []  # the old one swept, this run's own removed


@pytest.mark.skipif(shutil.which("setpriv") is None, reason="needs setpriv (util-linux)")
def test_git_dies_with_a_killed_tool(tmp_path: Path) -> None:
    marker = str(uuid.uuid4().int)[:12]  # in git's URL, and in its stand-in ssh's arguments
    script = textwrap.dedent(
        f"""
        from bootstrap import git
        # `#`: git appends the host and command ("$@"), which sleep would refuse at once.
        env = {{**git.no_prompt_env(), "GIT_SSH_COMMAND": "exec sleep 600 0.{marker} #"}}
        git.ls_remote("ssh://pdeathsig-{marker}/r", env, fresh_upload=False)
        """
    )
    tool = subprocess.Popen([sys.executable, "-c", script], cwd=os.getcwd())
    try:
        wait_until(lambda: bool(_git_pids(marker)), "git to start", timeout=30)
        os.kill(tool.pid, signal.SIGKILL)
        tool.wait()
        wait_until(lambda: not _git_pids(marker), "git to die with the tool", timeout=10)
    finally:
        for pid in _git_pids(marker) + _git_pids(marker, program=b"sleep"):
            os.kill(pid, signal.SIGKILL)
        if tool.poll() is None:
            tool.kill()


def _git_pids(marker: str, program: bytes = b"git") -> list[int]:
    """`program` processes whose command line names `marker`, still running."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        named = marker.encode() in b" ".join(args)
        if state != "Z" and args and args[0].endswith(program) and named:
            pids.append(int(entry.name))
    return pids
