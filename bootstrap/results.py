"""What a step did (created, updated, unchanged, found, cloned, verified, skipped, failed), with
its summary for the user, and the one JSON shape every command gives a step or a check."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# What a step did (its `action`).
CREATED = "created"
UPDATED = "updated"
UNCHANGED = "unchanged"  # looked, and nothing needed doing: no write, no change
FOUND = "found"  # only looked something up (the identity): there is nothing to change
CLONED = "cloned"  # a throw-away test clone, made and removed: proves access, keeps nothing
VERIFIED = "verified"  # a live check ran and passed (git ls-remote on an existing clone)
CHECKED = "checked"  # a read-only check of status or doctor
SKIPPED = "skipped"
FAILED = "failed"
# remove and rotate also say "removed", "deleted", "deactivated", "moved" (installed.Change).
ACTIONS = (
    CREATED,
    UPDATED,
    UNCHANGED,
    FOUND,
    CLONED,
    VERIFIED,
    CHECKED,
    SKIPPED,
    FAILED,
    "removed",
    "deleted",
    "deactivated",
    "moved",
)

# How it went (its `status`): the same four words for init's steps and doctor's checks.
OK, WARN, FAIL = "ok", "warn", "fail"
STATUSES = (OK, WARN, FAIL, SKIPPED)
# The keys every step has; a step's own details never replace them.
STEP_KEYS = ("step", "status", "action", "changed", "summary", "fix")


def step_json(
    step: str,
    status: str,
    action: str,
    summary: str,
    *,
    changed: bool = False,
    fix: str = "",
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The one shape of an entry of `steps`, for every command (init's steps, rotate's and
    remove's, status's and doctor's checks): the step keys, then the step's own details."""
    own = {key: value for key, value in (details or {}).items() if key not in STEP_KEYS}
    return {
        "step": step,
        "status": status,
        "action": action,
        "changed": changed,
        "summary": summary,
        "fix": fix,
        **own,
    }


@dataclass(frozen=True)
class StepResult:
    """What one step did (or, in a dry run, would do)."""

    step: str
    action: str  # created | updated | unchanged | found | cloned | verified | skipped | failed
    summary: str
    details: dict[str, Any] = field(default_factory=dict)
    fix: str = ""

    @property
    def changed(self) -> bool:
        return self.action in (CREATED, UPDATED)

    @property
    def status(self) -> str:
        return {SKIPPED: SKIPPED, FAILED: FAIL}.get(self.action, OK)

    def as_json(self) -> dict[str, Any]:
        return step_json(
            self.step,
            self.status,
            self.action,
            self.summary,
            changed=self.changed,
            fix=self.fix,
            details=self.details,
        )
