"""How the wizard asks questions, without knowing what draws them.

The flow depends only on the `Prompter` protocol; `QuestionaryPrompter` draws real prompts,
`NoPrompter` stands in when there is no terminal (or with --yes) and never asks.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from bootstrap.errors import StoppedByUser

Validator = Callable[[str], "str | None"]  # returns an error message, or None if valid

# Longer lists (regions, repositories) filter as you type instead of scrolling.
FILTER_FROM = 8


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
    """Real prompts on the terminal. Ctrl-C or Esc stops the run with nothing changed.

    `input`/`output` are prompt_toolkit's, for tests (a pipe input and a dummy output).
    """

    interactive = True

    def __init__(self, input: Any = None, output: Any = None) -> None:
        self._io = {
            name: value
            for name, value in (("input", input), ("output", output))
            if value is not None
        }

    def _ask(self, question: Any) -> Any:
        _stop_on_escape(question)
        try:
            answer = question.unsafe_ask()
        except KeyboardInterrupt:  # Ctrl-C (and our Esc binding)
            raise StoppedByUser() from None
        if answer is None:  # questionary's own way of saying "cancelled"
            raise StoppedByUser()
        return answer

    def text(self, message: str, *, default: str = "", validate: Validator | None = None) -> str:
        import questionary

        def check(value: str) -> bool | str:
            problem = validate(value) if validate else None
            return problem or True

        question = questionary.text(message, default=default, validate=check, **self._io)
        return str(self._ask(question))

    def select(self, message: str, choices: Sequence[str], *, default: str | None = None) -> str:
        import questionary

        choices = list(choices)
        searchable = len(choices) >= FILTER_FROM
        question = questionary.select(
            message,
            choices=choices,
            default=default if default in choices else None,
            use_search_filter=searchable,
            use_jk_keys=not searchable,  # j and k are letters to filter by
            # Short, so that the question fits a 40-column terminal on one line.
            instruction="(type to filter)" if searchable else None,
            **self._io,
        )
        return str(self._ask(question))

    def confirm(self, message: str, *, default: bool = True) -> bool:
        import questionary

        return bool(self._ask(questionary.confirm(message, default=default, **self._io)))

    def secret(self, message: str) -> str:
        import questionary

        return str(self._ask(questionary.password(message, **self._io)))


def _stop_on_escape(question: Any) -> None:
    """Make Esc stop the run like Ctrl-C; questionary binds only Ctrl-C."""
    from prompt_toolkit.key_binding import KeyBindings, merge_key_bindings
    from prompt_toolkit.keys import Keys

    bindings = KeyBindings()

    @bindings.add(Keys.Escape, eager=True)
    def _stop(event: Any) -> None:
        event.app.exit(exception=KeyboardInterrupt, style="class:aborting")

    app = question.application
    app.key_bindings = merge_key_bindings([app.key_bindings or KeyBindings(), bindings])


def has_terminal() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def for_run(assume_yes: bool) -> Prompter:
    if assume_yes or not has_terminal():
        return NoPrompter()
    return QuestionaryPrompter()
