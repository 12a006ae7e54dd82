"""Retrying only what propagation explains, with an injected clock (no real waiting); and a
kept clone that fails or is interrupted leaves no partial directory."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bootstrap import git
from bootstrap.git import GitFailed, GitRun

DENIED = GitRun(128, "git@host: Permission denied (publickey).\nfatal: Could not read")
OK = GitRun(0, "")


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


def attempts(*results: GitRun) -> tuple[list[int], object]:
    calls: list[int] = []
    queue = list(results)

    def attempt() -> GitRun:
        calls.append(1)
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return calls, attempt


def test_publickey_denied_after_fresh_upload_is_retried_until_it_works() -> None:
    time = FakeTime()
    _, attempt = attempts(DENIED, DENIED, OK)
    result = git.with_propagation_retry(attempt, True, time.sleep, time.clock)  # type: ignore[arg-type]
    assert result.returncode == 0 and result.attempts == 3
    assert time.slept == [2.0, 4.0]


def test_retries_stop_within_about_a_minute() -> None:
    time = FakeTime()
    calls, attempt = attempts(DENIED)
    result = git.with_propagation_retry(attempt, True, time.sleep, time.clock)  # type: ignore[arg-type]
    assert result.returncode == 128
    assert sum(time.slept) <= git.PROPAGATION_WINDOW
    assert len(calls) > 3


def test_no_retry_when_the_key_was_not_just_uploaded() -> None:
    time = FakeTime()
    calls, attempt = attempts(DENIED)
    git.with_propagation_retry(attempt, False, time.sleep, time.clock)  # type: ignore[arg-type]
    assert len(calls) == 1 and time.slept == []


def test_other_failures_are_not_retried() -> None:
    time = FakeTime()
    calls, attempt = attempts(GitRun(128, "fatal: repository 'x' does not exist"))
    git.with_propagation_retry(attempt, True, time.sleep, time.clock)  # type: ignore[arg-type]
    assert len(calls) == 1


# --- a kept clone that fails or is interrupted leaves nothing behind ---------------------------

FAILED = GitRun(128, "fatal: repository 'x' does not exist")


def partial_clone(result: GitRun | None) -> git.Runner:
    """A runner that does what git does first (the directory and its .git), then fails with
    `result`, or is interrupted (Ctrl-C) when `result` is None."""

    def run(args: list[str], env: dict[str, str], show_progress: bool) -> GitRun:
        dest = Path(args[-1])
        (dest / ".git" / "objects").mkdir(parents=True, exist_ok=True)
        (dest / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
        if result is None:
            raise KeyboardInterrupt
        return result

    return run


def clone_into(target: Path, runner: git.Runner) -> None:
    git.test_clone(
        "ssh://git-codecommit.us-east-1.amazonaws.com/v1/repos/x",
        {},
        keep_in=target,
        fresh_upload=False,
        runner=runner,
    )


def test_failed_clone_into_a_new_directory_removes_it_and_the_parents_it_made(
    tmp_path: Path,
) -> None:
    (tmp_path / "mine.txt").write_text("the user's")
    with pytest.raises(GitFailed) as failed:
        clone_into(tmp_path / "work" / "team" / "x", partial_clone(FAILED))
    assert "does not exist" in failed.value.run.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.txt"]


def test_interrupted_clone_into_a_new_directory_removes_it(tmp_path: Path) -> None:
    with pytest.raises(KeyboardInterrupt):
        clone_into(tmp_path / "work" / "x", partial_clone(None))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("result", [FAILED, None], ids=["failed", "interrupted"])
def test_an_empty_directory_that_was_there_is_kept_and_emptied(
    tmp_path: Path, result: GitRun | None
) -> None:
    target = tmp_path / "x"
    target.mkdir()
    with pytest.raises((GitFailed, KeyboardInterrupt)):
        clone_into(target, partial_clone(result))
    assert target.is_dir() and list(target.iterdir()) == []


def test_a_parent_that_gained_other_content_is_left(tmp_path: Path) -> None:
    def also_elsewhere(args: list[str], env: dict[str, str], show_progress: bool) -> GitRun:
        dest = Path(args[-1])
        (dest / ".git").mkdir(parents=True)
        (dest.parent / "notes.txt").write_text("written meanwhile by someone else")
        return FAILED

    with pytest.raises(GitFailed):
        clone_into(tmp_path / "work" / "x", also_elsewhere)
    assert [p.name for p in (tmp_path / "work").iterdir()] == ["notes.txt"]


def test_real_git_failing_into_a_new_nested_directory_leaves_nothing(tmp_path: Path) -> None:
    # git removes the directory it was cloning into, but not the parents it created for it.
    env = {**os.environ, "GIT_SSH_COMMAND": "false", "GIT_TERMINAL_PROMPT": "0"}
    with pytest.raises(GitFailed):
        git.test_clone(
            "ssh://git-codecommit.us-east-1.amazonaws.com/v1/repos/x",
            env,
            keep_in=tmp_path / "work" / "team" / "x",
            fresh_upload=False,
        )
    assert list(tmp_path.iterdir()) == []
