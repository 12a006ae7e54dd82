"""init/access_ahead.py: the re-run's git ls-remote, begun while init looks, only when it can
be the check the act phase runs, and used only for exactly that check."""

from __future__ import annotations

from pathlib import Path

import pytest
from init_answers import sample_answers

from bootstrap import git
from bootstrap.init import access_ahead
from bootstrap.init.answers import InitAnswers
from bootstrap.ssh import managed_block

URL = "ssh://git-codecommit.us-east-1.amazonaws.com/v1/repos/r"


def answers(tmp_path: Path, **changes: object) -> InitAnswers:
    return sample_answers(tmp_path, ssh_config_is_default=False, **changes)


@pytest.fixture
def set_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """A managed block and a key in place; git's runs recorded instead of made."""
    block = managed_block.render_block(
        "git-codecommit.*.amazonaws.com", "APKAEXAMPLE", str(tmp_path / "codecommit_rsa"), "\n"
    )
    (tmp_path / "config").write_text(block)
    (tmp_path / "codecommit_rsa").write_text("a key")
    ran: list[list[str]] = []

    def run_git(args: list[str], env: dict[str, str], progress: bool) -> git.GitRun:
        ran.append(args)
        return git.GitRun(0, "")

    monkeypatch.setattr(git, "run_git", run_git)
    return ran


def test_a_rerun_starts_the_check_and_its_answer_serves_that_check(
    tmp_path: Path, set_up: list[list[str]]
) -> None:
    ahead = access_ahead.start(answers(tmp_path))
    assert ahead is not None
    config, text = tmp_path / "config", (tmp_path / "config").read_text()
    assert ahead.answer_for(URL, config, text) == git.GitRun(0, "")
    assert set_up == [["ls-remote", "--quiet", URL, "HEAD"]]
    assert ahead.answer_for(URL + "-other", config, text) is None  # not that check
    assert ahead.answer_for(URL, None, text) is None  # not through that config
    assert ahead.answer_for(URL, config, text + "# edited\n") is None  # nor those bytes


@pytest.mark.parametrize(
    "changes",
    [
        {"dry_run": True},
        {"retest": True},
        {"passphrase": b"secret"},
        {"clone": False},
        {"protocol": "https"},
        {"mfa": True},
    ],
)
def test_no_check_is_started_when_it_could_not_be_used(
    tmp_path: Path, set_up: list[list[str]], changes: dict[str, object]
) -> None:
    assert access_ahead.start(answers(tmp_path, **changes)) is None
    assert set_up == []


def test_no_check_without_a_managed_block(tmp_path: Path, set_up: list[list[str]]) -> None:
    (tmp_path / "config").write_text("Host *\n    User me\n")
    assert access_ahead.start(answers(tmp_path)) is None
