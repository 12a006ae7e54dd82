"""Reverse what a run already did when a later setup step fails: never half-configured.

An action may carry a tag (the step it reverses). A later action that finds it must not be
reversed after all (the private key of a key that may still be in IAM) calls `keep(tag, why)`
while the undo runs: the tagged actions not yet run are dropped, and `kept` says why.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field

from bootstrap import interrupts


@dataclass
class Undo:
    """What to reverse, newest first."""

    actions: list[tuple[Callable[[], None], str]] = field(default_factory=list)
    kept: dict[str, str] = field(default_factory=dict)  # tag -> why it was not reversed

    def push(self, action: Callable[[], None], tag: str = "") -> None:
        self.actions.append((action, tag))

    def keep(self, tag: str, why: str) -> None:
        """Do not reverse what `tag`'s actions would (those not run yet)."""
        self.actions = [(action, t) for action, t in self.actions if t != tag]
        self.kept[tag] = why

    def run(self) -> None:
        """Every reversal, to the end: a Ctrl-C meanwhile waits (interrupts.held)."""
        with interrupts.held():
            while self.actions:
                action, _tag = self.actions.pop()
                # Best effort: one failed reversal must not stop the others.
                with contextlib.suppress(Exception):
                    action()
