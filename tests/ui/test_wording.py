"""Words that say what happened: step words, `Next:` lines, help texts, exit codes, colour."""

from __future__ import annotations

import io
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from init_answers import sample_answers

from bootstrap import cli
from bootstrap.commands import rotate as rotate_command
from bootstrap.commands import status as status_command
from bootstrap.doctor import checkup
from bootstrap.doctor.checks import FAIL, OK, WARN, Check
from bootstrap.errors import EXIT_CODE_MEANINGS, GitAccessError
from bootstrap.init import clone_step
from bootstrap.init.answers import InitAnswers
from bootstrap.lifecycle.status import Check as StatusCheck
from bootstrap.results import CLONED, CREATED, FOUND, VERIFIED, StepResult
from bootstrap.ssh import keychain
from bootstrap.ui.output import Reporter

README = Path(__file__).resolve().parents[2] / "README.md"
COLOR = re.compile(r"\033\[")
COMMANDS = ("init", "status", "rotate", "remove", "doctor", "policy", "mfa")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def main(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = cli.main(list(argv))
    except SystemExit as stop:
        code = int(stop.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def help_of(capsys: pytest.CaptureFixture[str], command: str) -> str:
    code, out, _ = main(capsys, command, "--help")
    assert code == 0
    return " ".join(out.split())  # argparse wraps lines where it likes


def region_help(capsys: pytest.CaptureFixture[str], command: str) -> str:
    """What `COMMAND --help` says about --region, up to the next flag."""
    _, out, _ = main(capsys, command, "--help")
    after = out.split("\n  --region REGION", 1)[1]
    return " ".join(after.split("\n  -", 1)[0].split())  # option lines start with "  -"


# -- help texts and flags --------------------------------------------------------------------------


def test_dash_v_is_version(capsys: pytest.CaptureFixture[str]) -> None:
    short, long = main(capsys, "-V"), main(capsys, "--version")
    assert short == long and short[0] == 0 and short[1].startswith("bootstrap ")


def test_status_offers_no_yes_or_dry_run(capsys: pytest.CaptureFixture[str]) -> None:
    text = help_of(capsys, "status")
    assert "--yes" not in text and "--dry-run" not in text
    assert "Never asks and never changes anything" in text
    code, _, err = main(capsys, "status", "--dry-run")
    assert code == 2 and "unrecognized arguments: --dry-run" in err


@pytest.mark.parametrize("command", COMMANDS)
def test_region_help_names_aws_default_region(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert "$AWS_DEFAULT_REGION" in region_help(capsys, command)


def test_policys_region_is_not_the_repositorys(capsys: pytest.CaptureFixture[str]) -> None:
    region = region_help(capsys, "policy")
    assert "repository" not in region and "IAM is global" in region


def readme_exit_codes() -> dict[int, str]:
    section = README.read_text().split("\n## Exit codes\n", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| (\d+) \| (.+) \|$", section, re.MULTILINE)
    return {int(code): meaning for code, meaning in rows}


@pytest.mark.parametrize("command", (None, *COMMANDS))
def test_exit_codes_in_help_match_the_readme(
    command: str | None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert dict(EXIT_CODE_MEANINGS) == readme_exit_codes()
    _, out, _ = main(capsys, *([command] if command else []), "--help")
    listed = " ".join(out.split("exit codes:", 1)[1].split())
    for number, meaning in EXIT_CODE_MEANINGS:
        assert f"{number} {meaning}" in listed


def test_init_help_says_the_wizard_asks_what_the_flags_leave_open(
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = help_of(capsys, "init")
    assert "a wizard asks for whatever the flags leave open" in text
    assert "a value given by a flag is never asked" in text


def test_an_unknown_flag_shows_the_commands_usage(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = main(capsys, "init", "--bogus")
    assert code == 2 and out == ""
    assert err.startswith("usage: bootstrap init ")
    assert "bootstrap init: error: unrecognized arguments: --bogus" in err


# -- step words ------------------------------------------------------------------------------------


def reporter(monkeypatch: pytest.MonkeyPatch, *, as_json: bool = False) -> Reporter:
    monkeypatch.setattr("sys.stdout", io.StringIO())
    monkeypatch.setattr("sys.stderr", io.StringIO())
    return Reporter("init", as_json)


def test_steps_say_what_they_did(monkeypatch: pytest.MonkeyPatch) -> None:
    report = reporter(monkeypatch)
    report.step(StepResult("identity", FOUND, "IAM user alice"))
    report.step(StepResult("test clone", CLONED, "ssh://h/v1/repos/r into a temporary directory"))
    report.step(StepResult("git check", VERIFIED, "git ls-remote ssh://h/v1/repos/r works"))
    assert isinstance(report.out, io.StringIO)
    assert report.out.getvalue().splitlines() == [
        "✓ identity     found: IAM user alice",
        "✓ test clone   cloned: ssh://h/v1/repos/r into a temporary directory",
        "✓ git check    verified: git ls-remote ssh://h/v1/repos/r works",
    ]
    assert not report.changed  # a throw-away clone changes nothing


def test_a_failed_clone_is_a_failed_step_in_json(monkeypatch: pytest.MonkeyPatch) -> None:
    report = reporter(monkeypatch, as_json=True)
    report.acting(["key", "test clone"], undone_on_failure=["key"])
    report.step(StepResult("key", CREATED, "a key"))
    report.failure(GitAccessError("repository 'r' does not exist", "check --repo"))
    last = report.document(GitAccessError("repository 'r' does not exist", "check --repo"))
    assert last["steps"][-1] == {
        "step": "test clone",
        "status": "fail",
        "action": "failed",
        "changed": False,
        "summary": "repository 'r' does not exist",
        "fix": "check --repo",
    }


# -- Next: -----------------------------------------------------------------------------------------


def answers(tmp_path: Path, **changes: Any) -> InitAnswers:
    return sample_answers(tmp_path, region="eu-west-1", repo="payments", **changes)


URL = "ssh://git-codecommit.eu-west-1.amazonaws.com/v1/repos/payments"


def test_no_clone_still_says_what_is_next(tmp_path: Path) -> None:
    skipped = [StepResult("identity", FOUND, "alice"), StepResult("test clone", "skipped", "")]
    lines = clone_step.closing_lines(answers(tmp_path, clone=False), skipped, said=False)
    assert lines == [f"Next: git clone {URL}"]


def test_a_fresh_kept_clone_needs_no_git_pull(tmp_path: Path) -> None:
    kept = clone_step.ClonePlan(URL, tmp_path / "payments", existing_clone=False)
    assert clone_step.next_step(kept, None) == f"Next: cd {tmp_path / 'payments'}"
    existing = clone_step.ClonePlan(URL, tmp_path / "payments", existing_clone=True)
    assert clone_step.next_step(existing, None).endswith("&& git pull")


def test_a_key_with_a_passphrase_says_how_not_to_retype_it(tmp_path: Path) -> None:
    plain = clone_step.closing_lines(answers(tmp_path), [], said=True)
    assert plain == []
    protected = clone_step.closing_lines(answers(tmp_path, passphrase=b"s3cret"), [], said=True)
    assert len(protected) == 1 and "ssh-add" in protected[0] and "ssh-agent" in protected[0]
    mac = keychain.passphrase_tip(tmp_path / "k", platform="darwin")
    assert "UseKeychain yes" in mac and "AddKeysToAgent yes" in mac and "Keychain" in mac


def test_rotate_says_what_is_next() -> None:
    old = SimpleNamespace(key_id="APKAOLD")
    plan: Any = SimpleNamespace(old_registered=old, user="alice", options=SimpleNamespace())
    plan.options.keep_old = False
    assert rotate_command._next(plan).startswith("Next: keep using git as before")
    plan.options.keep_old = True
    assert "--ssh-public-key-id APKAOLD" in rotate_command._next(plan)


# -- colour: the same on every command -------------------------------------------------------------


def test_status_and_doctor_colour_their_marks_as_init_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    checks = [StatusCheck("key", True, "a key"), StatusCheck("ssh -G", False, "wrong", fix="f")]
    status_text = status_command._text(checks, "SSH", Terminal())
    assert "\033[32m✓\033[0m key" in status_text and "\033[31m✗\033[0m ssh -G" in status_text
    terminal = Terminal()
    emit = checkup.printer(terminal)
    for check in (Check("a", OK, "fine"), Check("b", WARN, "hm"), Check("c", FAIL, "no")):
        emit(check)
    painted = terminal.getvalue()
    assert "\033[32m✓\033[0m a" in painted and "\033[33m!\033[0m b" in painted
    assert "\033[31m✗\033[0m c" in painted


def test_no_color_is_honoured_by_status_and_doctor(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("TERM", "xterm-256color")
    text = status_command._text([StatusCheck("key", False, "none", fix="f")], "SSH", Terminal())
    terminal = Terminal()
    checkup.printer(terminal)(Check("c", FAIL, "no"))
    assert not COLOR.search(text + terminal.getvalue())
    piped = status_command._text([StatusCheck("k", True, "x")], "SSH", io.StringIO())
    assert not COLOR.search(piped)
