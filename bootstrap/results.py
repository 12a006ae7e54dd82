"""What a step did: created, updated, unchanged or skipped, with its summary for the user."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CREATED = "created"
UPDATED = "updated"
UNCHANGED = "unchanged"
SKIPPED = "skipped"


@dataclass(frozen=True)
class StepResult:
    """What one step did (or, in a dry run, would do)."""

    step: str
    action: str  # created | updated | unchanged | skipped
    summary: str
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return self.action in (CREATED, UPDATED)

    def as_json(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "action": self.action,
            "changed": self.changed,
            "summary": self.summary,
            **self.details,
        }
