"""A silent port 22 at a terminal: init offers HTTPS before anything is written, and goes on
over HTTPS only if the user says so."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from init_answers import sample_answers
from wizard_fakes import FakePrompter

from bootstrap.aws.iam import Identity
from bootstrap.errors import PortUnreachable
from bootstrap.init import pipeline, ssh_setup
from bootstrap.init.answers import InitAnswers
from bootstrap.ui.output import Reporter


def answers(tmp_path: Path, protocol: str | None = None) -> InitAnswers:
    # ssh_insisted: as from --protocol ssh
    return sample_answers(tmp_path, user="alice", protocol=protocol, ssh_insisted=protocol == "ssh")


@pytest.fixture
def silent_port_22(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[str]:
    monkeypatch.setenv("HOME", str(tmp_path))  # the git config init reads is a temporary one

    def unreachable(*args: Any, **kwargs: Any) -> Any:
        raise PortUnreachable(
            "cannot connect to git-codecommit.us-east-1.amazonaws.com port 22", ""
        )

    switched: list[str] = []
    monkeypatch.setattr(ssh_setup, "look", unreachable)
    monkeypatch.setattr(
        pipeline, "run_https", lambda answers, identity, why, *a, **k: switched.append(why)
    )
    return switched


def test_the_user_who_says_yes_goes_on_over_https(
    tmp_path: Path, silent_port_22: list[str]
) -> None:
    prompter = FakePrompter({"Set up git over HTTPS": True})
    pipeline.run(answers(tmp_path), prompter, Reporter("init", as_json=False))  # type: ignore[arg-type]
    assert silent_port_22 == ["port 22 does not answer, so HTTPS"]


def test_the_user_who_says_no_gets_the_error(tmp_path: Path, silent_port_22: list[str]) -> None:
    prompter = FakePrompter({"Set up git over HTTPS": False})
    with pytest.raises(PortUnreachable):
        pipeline.run(answers(tmp_path), prompter, Reporter("init", as_json=False))  # type: ignore[arg-type]
    assert silent_port_22 == []


def test_ssh_chosen_in_the_wizard_is_offered_https_when_port_22_is_silent(
    tmp_path: Path, silent_port_22: list[str]
) -> None:
    prompter = FakePrompter({"Set up git over HTTPS (port 443) instead?": False})
    chosen = dataclasses.replace(answers(tmp_path, "ssh"), ssh_insisted=False)
    with pytest.raises(PortUnreachable):
        pipeline.run(chosen, prompter, Reporter("init", as_json=False))  # type: ignore[arg-type]
    assert [asked.message for asked in prompter.asked] == [
        "Set up git over HTTPS (port 443) instead?"
    ]


def test_protocol_ssh_never_switches(tmp_path: Path, silent_port_22: list[str]) -> None:
    prompter = FakePrompter({})  # any question fails the test
    with pytest.raises(PortUnreachable):
        pipeline.run(answers(tmp_path, "ssh"), prompter, Reporter("init", as_json=False))  # type: ignore[arg-type]
    assert silent_port_22 == []


def test_identity_is_not_asked_again(tmp_path: Path) -> None:
    assert pipeline.who_is(None, answers(tmp_path)) == Identity("user", "alice")  # type: ignore[arg-type]
