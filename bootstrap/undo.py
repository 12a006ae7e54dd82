"""Reverse what a run already did when a later setup step fails: never half-configured."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Undo:
    """What to reverse, newest first."""

    actions: list[Callable[[], None]] = field(default_factory=list)

    def push(self, action: Callable[[], None]) -> None:
        self.actions.append(action)

    def run(self) -> None:
        for action in reversed(self.actions):
            # Best effort: one failed reversal must not stop the others.
            with contextlib.suppress(Exception):
                action()
        self.actions.clear()
