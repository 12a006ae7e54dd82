"""Retrying only what propagation explains, with an injected clock (no real waiting)."""

from __future__ import annotations

from bootstrap import gitcheck
from bootstrap.gitcheck import GitRun

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
    result = gitcheck.with_propagation_retry(attempt, True, time.sleep, time.clock)  # type: ignore[arg-type]
    assert result.returncode == 0 and result.attempts == 3
    assert time.slept == [2.0, 4.0]


def test_retries_stop_within_about_a_minute() -> None:
    time = FakeTime()
    calls, attempt = attempts(DENIED)
    result = gitcheck.with_propagation_retry(attempt, True, time.sleep, time.clock)  # type: ignore[arg-type]
    assert result.returncode == 128
    assert sum(time.slept) <= gitcheck.PROPAGATION_WINDOW
    assert len(calls) > 3


def test_no_retry_when_the_key_was_not_just_uploaded() -> None:
    time = FakeTime()
    calls, attempt = attempts(DENIED)
    gitcheck.with_propagation_retry(attempt, False, time.sleep, time.clock)  # type: ignore[arg-type]
    assert len(calls) == 1 and time.slept == []


def test_other_failures_are_not_retried() -> None:
    time = FakeTime()
    calls, attempt = attempts(GitRun(128, "fatal: repository 'x' does not exist"))
    gitcheck.with_propagation_retry(attempt, True, time.sleep, time.clock)  # type: ignore[arg-type]
    assert len(calls) == 1
