"""Prompters for tests. FakePrompter answers by the prompt's TEXT, never by call order (like
gh's prompter stubs): reordering questions cannot make a test answer the wrong one. Confirming
is a terminal user who answers every yes/no question alike and is asked nothing else."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bootstrap.ui.prompts import Validator


class _Enter:
    def __repr__(self) -> str:
        return "ENTER"


ENTER: Any = _Enter()  # take the prompt's default, as pressing Enter would


@dataclass
class Asked:
    kind: str
    message: str
    choices: list[str] | None = None
    default: object = None
    refused: list[str] = field(default_factory=list)  # what a validator turned down


class FakePrompter:
    """`answers` maps the start of a prompt's text to its answer; a list gives successive
    answers to a prompt asked again. A prompt nobody stubbed fails the test."""

    interactive = True

    def __init__(self, answers: dict[str, Any]):
        self.answers = {text: list(a) if isinstance(a, list) else a for text, a in answers.items()}
        self.asked: list[Asked] = []

    def _answer_for(self, asked: Asked) -> Any:
        self.asked.append(asked)
        matches = [text for text in self.answers if asked.message.startswith(text)]
        if not matches:
            raise AssertionError(f"unexpected prompt: {asked.message!r}")
        answer = self.answers[max(matches, key=len)]
        if isinstance(answer, list):
            if not answer:
                raise AssertionError(f"asked {asked.message!r} more often than stubbed")
            answer = answer.pop(0)
        return asked.default if answer is ENTER else answer

    def question(self, start: str) -> Asked:
        """The (last) prompt whose text starts with `start`."""
        found = [asked for asked in self.asked if asked.message.startswith(start)]
        assert found, f"never asked {start!r}; asked {[a.message for a in self.asked]}"
        return found[-1]

    def messages(self) -> list[str]:
        return [asked.message for asked in self.asked]

    def text(self, message: str, *, default: str = "", validate: Validator | None = None) -> str:
        asked = Asked("text", message, None, default)
        while True:
            value = str(self._answer_for(asked))
            problem = validate(value) if validate else None
            if problem is None:
                return value
            asked.refused.append(value)  # the real prompt keeps asking
            self.asked.pop()

    def select(self, message: str, choices: Sequence[str], *, default: str | None = None) -> str:
        asked = Asked("select", message, list(choices), default)
        if default is None:
            asked.default = choices[0]  # where the pointer starts, as in questionary
        value = self._answer_for(asked)
        assert value in choices, f"{value!r} is not a choice of {message!r}: {choices}"
        return str(value)

    def confirm(self, message: str, *, default: bool = True) -> bool:
        return bool(self._answer_for(Asked("confirm", message, None, default)))

    def secret(self, message: str) -> str:
        return str(self._answer_for(Asked("secret", message)))


class Confirming:
    """Answers every confirm() with `answer`; any other prompt fails the test. `asked` holds
    each question's text, or (text, default) with `with_default`."""

    interactive = True

    def __init__(self, answer: bool, *, with_default: bool = False) -> None:
        self.answer = answer
        self.with_default = with_default
        self.asked: list[Any] = []

    def confirm(self, message: str, *, default: bool = True) -> bool:
        self.asked.append((message, default) if self.with_default else message)
        return self.answer

    def text(self, message: str, *, default: str = "", validate: Validator | None = None) -> str:
        raise AssertionError(message)

    def select(self, message: str, choices: Sequence[str], *, default: str | None = None) -> str:
        raise AssertionError(message)

    def secret(self, message: str) -> str:
        raise AssertionError(message)
