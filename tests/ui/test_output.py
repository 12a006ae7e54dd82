"""The Reporter: ✓/✗ lines, the summary before changes, color rules, and stopping."""

from __future__ import annotations

import io
import json

import pytest

from bootstrap.errors import GitAccessError, IamError, MissingAnswer, StoppedByUser
from bootstrap.results import CREATED, SKIPPED, UNCHANGED, StepResult
from bootstrap.ui import output
from bootstrap.ui.output import Reporter

SETUP = ["key", "registration", "ssh config", "host key"]
PLANNED = [*SETUP, "test clone"]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def reporter(
    monkeypatch: pytest.MonkeyPatch, *, tty: bool = False, as_json: bool = False
) -> Reporter:
    monkeypatch.setattr("sys.stdout", Terminal() if tty else io.StringIO())
    monkeypatch.setattr("sys.stderr", Terminal() if tty else io.StringIO())
    return Reporter("init", as_json)


def out(report: Reporter) -> str:
    assert isinstance(report.out, io.StringIO)
    return report.out.getvalue()


def err(report: Reporter) -> str:
    assert isinstance(report.err, io.StringIO)
    return report.err.getvalue()


def test_color_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    report = reporter(monkeypatch, tty=True)
    report.step(StepResult("key", CREATED, "a key"))
    assert "\033[32m✓\033[0m key" in out(report)


def test_no_color_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("TERM", "xterm-256color")
    report = reporter(monkeypatch, tty=True)
    report.step(StepResult("key", CREATED, "a key"))
    report.failure(IamError("denied", "ask"))
    assert "\033[" not in out(report) + err(report)
    assert out(report).startswith("✓ key")


def test_never_color_when_not_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    report = reporter(monkeypatch, tty=False)
    report.step(StepResult("key", CREATED, "a key"))
    report.note("listing unavailable")
    assert "\033[" not in out(report) + err(report)


def test_a_redirected_stderr_gets_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setattr("sys.stdout", Terminal())
    monkeypatch.setattr("sys.stderr", io.StringIO())  # 2> errors.log
    report = Reporter("init", as_json=False)
    report.failure(IamError("denied", "ask"))
    assert err(report) == "error: denied\n  fix: ask\n"


def test_summary_marks_what_will_change_and_what_is_in_place(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    report = reporter(monkeypatch)
    report.summary(
        [
            StepResult("key", CREATED, "a new RSA 4096 key at ~/.ssh/codecommit_rsa"),
            StepResult("host key", UNCHANGED, "git-codecommit.us-east-1.amazonaws.com is known"),
            StepResult("test clone", SKIPPED, "would test-clone ssh://x into /w/repo"),
        ]
    )
    lines = out(report).splitlines()
    assert lines[0] == "Summary"
    assert lines[1] == "  + key          a new RSA 4096 key at ~/.ssh/codecommit_rsa"
    assert lines[2].startswith("  = host key     git-codecommit.us-east-1")
    assert lines[3].startswith("  · test clone")
    assert report.results == []  # a summary is not a result


def test_a_failed_setup_step_is_crossed_and_earlier_changes_said_undone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    report = reporter(monkeypatch)
    report.step(StepResult("identity", UNCHANGED, "IAM user alice"))  # from looking
    report.acting(PLANNED, undone_on_failure=SETUP)
    report.step(StepResult("key", CREATED, "a key"))
    report.step(StepResult("registration", CREATED, "uploaded"))
    report.failure(IamError("cannot write ~/.ssh/config", "fix it"))
    text = out(report)
    assert "✗ ssh config   failed" in text
    assert "undone: key, registration" in text
    assert "error: cannot write ~/.ssh/config" in err(report)


def test_a_failed_clone_keeps_the_setup(monkeypatch: pytest.MonkeyPatch) -> None:
    report = reporter(monkeypatch)
    report.acting(PLANNED, undone_on_failure=SETUP)
    for step in SETUP:
        report.step(StepResult(step, CREATED, "done"))
    report.failure(GitAccessError("repository 'x' does not exist", "check --repo"))
    assert "✗ test clone   failed" in out(report)
    assert "undone" not in out(report)


def test_stopped_at_a_prompt_says_nothing_changed_and_is_no_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    report = reporter(monkeypatch)
    report.failure(StoppedByUser())
    assert err(report) == "\nStopped by user (nothing was changed)\n"
    assert "✗" not in out(report)


def test_stopped_while_cloning_says_the_setup_was_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    report = reporter(monkeypatch)
    report.acting(PLANNED, undone_on_failure=SETUP)
    for step in SETUP:
        report.step(StepResult(step, CREATED, "done"))
    report.failure(StoppedByUser())
    assert "✗ test clone   failed" in out(report)
    assert "Stopped by user (the steps marked ✓ above were kept)" in err(report)


def test_stopped_during_a_setup_step_says_nothing_changed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    report = reporter(monkeypatch)
    report.acting(PLANNED, undone_on_failure=SETUP)
    report.step(StepResult("key", CREATED, "a key"))
    report.failure(StoppedByUser())
    assert "undone: key" in out(report)
    assert "Stopped by user (nothing was changed)" in err(report)


def test_json_gets_no_notes_summary_or_progress(monkeypatch: pytest.MonkeyPatch) -> None:
    report = reporter(monkeypatch, tty=True, as_json=True)
    report.note("listing unavailable")
    report.summary([StepResult("key", CREATED, "a key")])
    assert not report.progress
    report.finish()
    assert json.loads(out(report))["ok"] is True
    assert err(report) == ""


def test_git_progress_only_for_people_at_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    assert reporter(monkeypatch, tty=True).progress
    assert not reporter(monkeypatch, tty=False).progress


def test_a_failed_command_ends_with_its_document_and_the_two_lines() -> None:
    """What every command (status, doctor, policy, cli.main, the Reporter) ends a failure with."""
    error = MissingAnswer("--region", "the AWS region")
    stdout, stderr = io.StringIO(), io.StringIO()
    document = {"command": "status", "ok": False, "error": output.error_json(error)}
    code = output.end_failed(error, debug=False, document=document, out=stdout, err=stderr)
    assert code == error.exit_code
    assert json.loads(stdout.getvalue())["error"] == {
        "cause": error.cause,
        "fix": "pass --region",
        "exit_code": error.exit_code,
        "flag": "--region",
    }
    assert stderr.getvalue() == f"error: {error.cause}\n  fix: pass --region\n"


def test_the_reporters_json_error_is_the_shared_one(monkeypatch: pytest.MonkeyPatch) -> None:
    report = reporter(monkeypatch, as_json=True)
    error = MissingAnswer("--repo", "a repository")
    assert report.failed(error, debug=False) == error.exit_code
    assert json.loads(out(report))["error"] == output.error_json(error)
    assert err(report) == f"error: {error.cause}\n  fix: pass --repo\n"
