"""The questionary adapter, driven by prompt_toolkit pipe input: real key presses, no terminal."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput
from prompt_toolkit.output.plain_text import PlainTextOutput

from bootstrap.errors import EXIT_INTERRUPTED, StoppedByUser
from bootstrap.ui import prompts
from bootstrap.ui.prompts import QuestionaryPrompter

ENTER, DOWN, UP, ESC, CTRL_C, BACKSPACE = "\r", "\x1b[B", "\x1b[A", "\x1b", "\x03", "\x7f"
REGIONS = ["ap-east-1", "eu-central-1", "eu-north-1", "eu-west-1", "eu-west-2"]
REGIONS += ["us-east-1", "us-east-2", "us-west-2"]


@pytest.fixture
def keys() -> Iterator[Callable[..., QuestionaryPrompter]]:
    """keys(*presses) -> a prompter whose terminal will receive those key presses."""
    with create_pipe_input() as pipe:

        def prompter(*presses: str, output: Any = None) -> QuestionaryPrompter:
            pipe.send_text("".join(presses))
            return QuestionaryPrompter(input=pipe, output=output or DummyOutput())

        yield prompter


def test_text_enter_takes_the_default(keys: Callable[..., QuestionaryPrompter]) -> None:
    assert keys(ENTER).text("Directory", default="./repo") == "./repo"


def test_text_takes_what_is_typed(keys: Callable[..., QuestionaryPrompter]) -> None:
    assert keys("team-repo", ENTER).text("Repository name") == "team-repo"


def test_text_refuses_what_the_validator_refuses(keys: Callable[..., QuestionaryPrompter]) -> None:
    seen: list[str] = []

    def validate(value: str) -> str | None:
        seen.append(value)
        return "no spaces" if " " in value else None

    prompter = keys("bad name", ENTER, BACKSPACE * 8, "good", ENTER)
    assert prompter.text("Repository name", validate=validate) == "good"
    assert "bad name" in seen


def test_select_enter_takes_the_default(keys: Callable[..., QuestionaryPrompter]) -> None:
    assert keys(ENTER).select("Size", ["2048", "3072", "4096"], default="4096") == "4096"


def test_select_arrows_move_from_the_default(keys: Callable[..., QuestionaryPrompter]) -> None:
    assert keys(UP, ENTER).select("Size", ["2048", "3072", "4096"], default="4096") == "3072"


def test_select_without_a_valid_default_starts_at_the_top(
    keys: Callable[..., QuestionaryPrompter],
) -> None:
    assert keys(ENTER).select("Repository", ["api", "web"], default="gone") == "api"


def test_a_long_list_filters_as_you_type(keys: Callable[..., QuestionaryPrompter]) -> None:
    assert len(REGIONS) >= prompts.FILTER_FROM
    prompter = keys("west-2", ENTER)
    assert prompter.select("AWS region", REGIONS, default="us-east-1") == "eu-west-2"


def test_filtering_then_arrows_pick_among_the_matches(
    keys: Callable[..., QuestionaryPrompter],
) -> None:
    prompter = keys("eu-w", DOWN, ENTER)
    assert prompter.select("AWS region", REGIONS, default="us-east-1") == "eu-west-2"


def test_a_short_list_keeps_j_and_k(keys: Callable[..., QuestionaryPrompter]) -> None:
    assert keys("j", ENTER).select("Clone", ["keep", "throw away"]) == "throw away"


def test_confirm_enter_takes_the_default(keys: Callable[..., QuestionaryPrompter]) -> None:
    assert keys(ENTER).confirm("Go ahead?", default=True) is True


def test_confirm_n_says_no(keys: Callable[..., QuestionaryPrompter]) -> None:
    assert keys("n").confirm("Go ahead?") is False


def test_secret_returns_what_was_typed_and_never_shows_it(
    keys: Callable[..., QuestionaryPrompter],
) -> None:
    screen = io.StringIO()
    prompter = keys("hunter22", ENTER, output=PlainTextOutput(screen))
    assert prompter.secret("Passphrase") == "hunter22"
    assert "Passphrase" in screen.getvalue()
    assert "hunter22" not in screen.getvalue()


ASKS: dict[str, Callable[[QuestionaryPrompter], object]] = {
    "text": lambda p: p.text("Repository name"),
    "select": lambda p: p.select("Size", ["2048", "4096"]),
    "filtered select": lambda p: p.select("AWS region", REGIONS),
    "confirm": lambda p: p.confirm("Go ahead?"),
    "secret": lambda p: p.secret("Passphrase"),
}


@pytest.mark.parametrize("key", [ESC, CTRL_C], ids=["esc", "ctrl-c"])
@pytest.mark.parametrize("kind", ASKS)
def test_esc_or_ctrl_c_stops_the_run(
    keys: Callable[..., QuestionaryPrompter], kind: str, key: str
) -> None:
    # The trailing Enter would answer the prompt if the key did not stop it (no hang).
    with pytest.raises(StoppedByUser) as stopped:
        ASKS[kind](keys("ab" if kind == "text" else "", key, ENTER))
    assert stopped.value.exit_code == EXIT_INTERRUPTED == 130
    assert stopped.value.cause == "Stopped by user"


def test_no_prompter_without_a_terminal_or_with_yes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prompts, "has_terminal", lambda: True)
    assert isinstance(prompts.for_run(False), QuestionaryPrompter)
    assert isinstance(prompts.for_run(True), prompts.NoPrompter)
    monkeypatch.setattr(prompts, "has_terminal", lambda: False)
    assert isinstance(prompts.for_run(False), prompts.NoPrompter)
    with pytest.raises(AssertionError, match="without a terminal"):
        prompts.NoPrompter().text("Repository name")
