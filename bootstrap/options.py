"""The values that flow between steps: the answers, and each step's result."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CREATED = "created"
UPDATED = "updated"
UNCHANGED = "unchanged"
SKIPPED = "skipped"


@dataclass(frozen=True)
class InitAnswers:
    """Everything `init` needs, settled before the first side effect."""

    profile: str | None
    region: str
    user: str | None
    key_path: Path
    key_bits: int
    passphrase: bytes | None = field(repr=False)  # never printed, logged or put in JSON
    repo: str | None
    clone: bool
    clone_dir: Path | None
    ssh_config: Path
    ssh_config_is_default: bool
    accept_host_key: str | None
    dry_run: bool = False
    retest: bool = False  # clone even when this exact setup was proved before


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
