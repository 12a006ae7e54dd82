"""Ctrl-C after the prompts, while acting: what was done is undone, and the run ends with
"Stopped by user" and exit 130, like Ctrl-C at a prompt."""

from __future__ import annotations

import io
from types import SimpleNamespace
from typing import Any

import pytest

from bootstrap import cli
from bootstrap.init import pipeline, setup_steps, ssh_setup, wizard
from bootstrap.results import CREATED, StepResult
from bootstrap.ui.output import Reporter
from bootstrap.undo import Undo


def interrupt_at_registration(monkeypatch: pytest.MonkeyPatch, undone: list[str]) -> None:
    """The key step acts (and leaves its undo); Ctrl-C lands during the registration."""

    def make_key(answers: Any, pair: Any, undo: Undo, ahead: Any) -> tuple[Any, StepResult]:
        undo.push(lambda: undone.append("key removed"))
        return object(), StepResult("key", CREATED, "a new key")

    def register(*args: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(setup_steps, "make_key", make_key)
    monkeypatch.setattr(setup_steps, "register", register)


def plan() -> Any:
    return SimpleNamespace(
        answers=SimpleNamespace(),
        endpoint=SimpleNamespace(git_host="git-codecommit.us-east-1.amazonaws.com"),
        pair=None,
        found=None,
        user="alice",
    )


def test_ctrl_c_while_acting_runs_the_undo_and_still_stops(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    undone: list[str] = []
    interrupt_at_registration(monkeypatch, undone)
    with pytest.raises(KeyboardInterrupt):
        ssh_setup.act(plan(), aws=None, report=Reporter("init", as_json=False))  # type: ignore[arg-type]
    assert undone == ["key removed"]


def test_ctrl_c_while_acting_exits_130_saying_stopped_and_undone(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    undone: list[str] = []
    interrupt_at_registration(monkeypatch, undone)

    def run(answers: Any, prompter: Any, report: Reporter, early: Any) -> None:
        report.acting(
            ["key", "registration", "ssh config", "host key", "test clone"],
            undone_on_failure=["key", "registration", "ssh config", "host key"],
        )
        ssh_setup.act(plan(), None, report)  # type: ignore[arg-type]

    monkeypatch.setattr(wizard, "resolve_init", lambda *args, **kwargs: None)
    monkeypatch.setattr(pipeline, "run", run)
    monkeypatch.setattr("sys.stdin", io.StringIO())  # no terminal
    code = cli.main(["init", "--yes", "--region", "us-east-1", "--repo", "r"])
    captured = capsys.readouterr()
    assert code == 130
    assert undone == ["key removed"]
    assert "✓ key" in captured.out and "✗ registration failed" in captured.out
    assert "undone: key" in captured.out
    assert "Stopped by user (nothing was changed)" in captured.err
    assert "Traceback" not in captured.err
