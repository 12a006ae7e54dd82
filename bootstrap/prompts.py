"""How the wizard asks questions, without knowing what draws them.

The flow depends only on the `Prompter` protocol; `QuestionaryPrompter` draws real prompts,
`NoPrompter` stands in when there is no terminal (or with --yes) and never asks.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Protocol

from bootstrap.errors import StoppedByUser

Validator = Callable[[str], "str | None"]  # returns an error message, or None if valid


class Prompter(Protocol):
    interactive: bool

    def text(
        self, message: str, *, default: str = "", validate: Validator | None = None
    ) -> str: ...

    def select(
        self, message: str, choices: Sequence[str], *, default: str | None = None
    ) -> str: ...

    def confirm(self, message: str, *, default: bool = True) -> bool: ...

    def secret(self, message: str) -> str: ...


class NoPrompter:
    """No terminal, or --yes: the wizard must never ask."""

    interactive = False

    def _never(self, message: str) -> str:
        raise AssertionError(f"asked '{message}' without a terminal")

    def text(self, message: str, *, default: str = "", validate: Validator | None = None) -> str:
        return self._never(message)

    def select(self, message: str, choices: Sequence[str], *, default: str | None = None) -> str:
        return self._never(message)

    def confirm(self, message: str, *, default: bool = True) -> bool:
        return bool(self._never(message))

    def secret(self, message: str) -> str:
        return self._never(message)


class QuestionaryPrompter:
    """Real prompts on the terminal. Ctrl-C or Esc stops the run with nothing changed."""

    interactive = True

    def _ask(self, question: object) -> object:
        answer = question.unsafe_ask()  # type: ignore[attr-defined]
        if answer is None:
            raise StoppedByUser()
        return answer

    def text(self, message: str, *, default: str = "", validate: Validator | None = None) -> str:
        import questionary

        def check(value: str) -> bool | str:
            problem = validate(value) if validate else None
            return problem or True

        return str(self._ask(questionary.text(message, default=default, validate=check)))

    def select(self, message: str, choices: Sequence[str], *, default: str | None = None) -> str:
        import questionary

        return str(self._ask(questionary.select(message, choices=list(choices), default=default)))

    def confirm(self, message: str, *, default: bool = True) -> bool:
        import questionary

        return bool(self._ask(questionary.confirm(message, default=default)))

    def secret(self, message: str) -> str:
        import questionary

        return str(self._ask(questionary.password(message)))


def has_terminal() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def for_run(assume_yes: bool) -> Prompter:
    if assume_yes or not has_terminal():
        return NoPrompter()
    return QuestionaryPrompter()
