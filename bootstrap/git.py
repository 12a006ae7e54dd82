"""Run the real git, bounded and without a terminal: `git clone` and `git ls-remote` for access.

A run reports what git said (`GitRun`, or `GitFailed` with it); explaining a failure is the
diagnosis package's job, where the evidence is. Nothing here waits on a prompt: git runs in its
own session with GIT_TERMINAL_PROMPT=0, and the caller's environment makes ssh non-interactive.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bootstrap import waits

PUBLICKEY_DENIED = "Permission denied (publickey"
# IAM→CodeCommit propagation of a new key takes about 10 s; give it up to a minute.
PROPAGATION_WINDOW = 60.0
_BACKOFF = (2.0, 4.0, 8.0, 12.0, 16.0, 18.0)
# A throw-away test clone's folder in $TMPDIR: `bootstrap-clone-PID-…`, swept once PID is gone.
SCRATCH_PREFIX = "bootstrap-clone-"
# How long git may take to clean up after the Ctrl-C we pass on, before it is killed.
STOP_GRACE = 5.0


# The line a run that hit its bound ends with, for the diagnosis to read (rules.py).
TIMED_OUT = "bootstrap: git had not finished after {seconds} s, and was stopped"


@dataclass(frozen=True)
class GitRun:
    returncode: int
    stderr: str
    attempts: int = 1


Runner = Callable[[list[str], dict[str, str], bool], GitRun]


def run_git(args: list[str], env: dict[str, str], show_progress: bool) -> GitRun:
    """Run git with no terminal; keep its stderr for diagnosis, echoing it when asked.

    The run is bounded (waits.git_run(), seconds): a server that never answers ends it, and
    its stderr then ends with the TIMED_OUT line. If we are interrupted (Ctrl-C) while git runs,
    git is stopped before we go on: in its own session, it never saw the Ctrl-C, and would
    otherwise carry on without us.
    """
    limit = waits.git_run()
    deadline = time.monotonic() + limit
    process = subprocess.Popen(
        [*dies_with_us(), "git", *args],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # no controlling terminal: ssh can never prompt
    )
    stderr = process.stderr
    assert stderr is not None
    chunks = []
    timed_out = False
    try:
        with selectors.DefaultSelector() as selector:
            selector.register(stderr, selectors.EVENT_READ)
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or not selector.select(left):
                    timed_out = True
                    break
                chunk = os.read(stderr.fileno(), 4096)
                if not chunk:
                    break
                chunks.append(chunk)
                if show_progress:
                    with contextlib.suppress(BrokenPipeError):  # a reader that left
                        sys.stderr.buffer.write(chunk)
                        sys.stderr.flush()
        if not timed_out:
            try:
                returncode = process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                timed_out = True  # closed its stderr but went on (a daemonised child)
        if timed_out:
            stop(process)
            returncode = process.returncode if process.returncode else -signal.SIGKILL
            chunks.append(f"\n{TIMED_OUT.format(seconds=limit)}\n".encode())
    except BaseException:
        stop(process)
        raise
    finally:
        stderr.close()
    return GitRun(returncode, b"".join(chunks).decode(errors="replace"))


def dies_with_us() -> list[str]:
    """`setpriv --pdeathsig KILL --`, where there is setpriv (util-linux): git, in a session of
    its own, is killed when we are (a SIGKILL gives us no chance to stop it), instead of going
    on to finish a clone nobody will remove. Without setpriv, the scratch sweep cleans up."""
    found = shutil.which("setpriv") if sys.platform.startswith("linux") else None
    return [found, "--pdeathsig", "KILL", "--"] if found else []


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop git and what it started (its ssh): the Ctrl-C it did not get, so that it cleans up
    as it would at a terminal; killed if it has not finished within STOP_GRACE seconds, or
    when a second Ctrl-C comes while we wait."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGINT)  # its own session: its group is its pid
    try:
        process.wait(timeout=STOP_GRACE)
    except (subprocess.TimeoutExpired, KeyboardInterrupt):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def with_propagation_retry(
    attempt: Callable[[], GitRun],
    fresh_upload: bool,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    on_retry: Callable[[float], None] | None = None,
) -> GitRun:
    """Retry 'Permission denied (publickey)' with backoff, only right after a fresh upload."""
    start = clock()
    attempts = 0
    for delay in (*_BACKOFF, None):
        result = attempt()
        attempts += 1
        denied = result.returncode != 0 and PUBLICKEY_DENIED in result.stderr
        if not (denied and fresh_upload) or delay is None:
            break
        if clock() - start + delay > PROPAGATION_WINDOW:
            break
        if on_retry:
            on_retry(delay)
        sleep(delay)
    return GitRun(result.returncode, result.stderr, attempts)


def no_prompt_env() -> dict[str, str]:
    """This process's environment (so git's proxy and CA settings hold), with git never asking
    for a username or password: our helper answers, or git fails."""
    return {**os.environ, "GIT_TERMINAL_PROMPT": "0"}


class GitFailed(Exception):
    """git exited non-zero: what it said, for the diagnosis to explain."""

    def __init__(self, run: GitRun, url: str) -> None:
        super().__init__(f"git failed for {url}")
        self.run = run
        self.url = url


def test_clone(
    url: str,
    env: dict[str, str],
    *,
    keep_in: Path | None,
    fresh_upload: bool,
    show_progress: bool = False,
    runner: Runner = run_git,
    on_retry: Callable[[float], None] | None = None,
) -> GitRun:
    """Clone `url` into `keep_in`, or into a temporary directory that is removed afterwards."""

    def into(dest: Path) -> GitRun:
        args = ["clone", *(["--progress"] if show_progress else ["--quiet"]), url, str(dest)]
        return with_propagation_retry(
            lambda: runner(args, env, show_progress), fresh_upload, on_retry=on_retry
        )

    if keep_in is not None:
        target = CloneTarget.before(keep_in)
        try:
            result = into(keep_in)
        except BaseException:  # Ctrl-C included: no partial clone is left behind
            target.remove_partial()
            raise
        if result.returncode != 0:
            target.remove_partial()
    else:
        sweep_scratch()
        with tempfile.TemporaryDirectory(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-") as scratch:
            result = into(Path(scratch) / "repo")
    if result.returncode != 0:
        raise GitFailed(result, url)
    return result


def sweep_scratch(folder: Path | None = None) -> list[Path]:
    """Remove the scratch folders of earlier runs that were killed before they could: ours
    (`bootstrap-clone-PID-…`, owned by this user) whose process is gone. Returns them."""
    folder = folder or Path(tempfile.gettempdir())
    swept = []
    with contextlib.suppress(OSError):
        for entry in folder.glob(f"{SCRATCH_PREFIX}*-*"):
            pid = entry.name[len(SCRATCH_PREFIX) :].split("-", 1)[0]
            if not pid.isdigit() or _alive(int(pid)):
                continue
            with contextlib.suppress(OSError):
                if entry.is_dir() and not entry.is_symlink() and entry.stat().st_uid == os.getuid():
                    shutil.rmtree(entry)
                    swept.append(entry)
    return swept


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


@dataclass(frozen=True)
class CloneTarget:
    """A clone's directory as it was before the clone: enough to take a failed or interrupted
    clone back out without touching anything that was there before."""

    path: Path
    created: tuple[Path, ...]  # `path` and the parents that did not exist yet, deepest first
    was_empty: bool  # `path` existed, as an empty directory

    @classmethod
    def before(cls, path: Path) -> CloneTarget:
        created = tuple(p for p in (path, *path.parents) if not p.exists())
        was_empty = not created and path.is_dir() and not any(path.iterdir())
        return cls(path, created, was_empty)

    def remove_partial(self) -> None:
        """Remove what the clone left: the directories this run created (a parent only while
        empty), or the contents of a directory that was empty. Never a directory that was
        there before."""
        if self.created:
            shutil.rmtree(self.path, ignore_errors=True)
            for parent in self.created[1:]:
                try:
                    parent.rmdir()
                except OSError:
                    break
        elif self.was_empty:
            for entry in list(self.path.iterdir()):
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink(missing_ok=True)


def ls_remote(
    url: str,
    env: dict[str, str],
    *,
    fresh_upload: bool,
    runner: Runner = run_git,
    on_retry: Callable[[float], None] | None = None,
) -> GitRun:
    result = with_propagation_retry(
        lambda: runner(["ls-remote", "--quiet", url, "HEAD"], env, False),
        fresh_upload,
        on_retry=on_retry,
    )
    if result.returncode != 0:
        raise GitFailed(result, url)
    return result


def origin_url(repo_dir: Path) -> str | None:
    """The `origin` URL of a clone at `repo_dir`, or None if it is not a clone."""
    if not (repo_dir / ".git").exists():
        return None
    done = subprocess.run(
        ["git", f"--git-dir={repo_dir / '.git'}", "config", "--get", "remote.origin.url"],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    return done.stdout.strip() or None
