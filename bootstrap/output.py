"""What the user sees: ✓/✗ lines for people, one JSON object for scripts."""

from __future__ import annotations

import json
import os
import sys
from typing import Any, TextIO

from bootstrap.errors import BootstrapError
from bootstrap.options import StepResult

_MARKS = {"created": "✓", "updated": "✓", "unchanged": "✓", "skipped": "-"}


def _color_allowed(stream: TextIO) -> bool:
    return stream.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


class Reporter:
    """Collects step results; prints them as they come (text) or once at the end (JSON)."""

    def __init__(self, command: str, as_json: bool, dry_run: bool = False):
        self.command = command
        self.as_json = as_json
        self.dry_run = dry_run
        self.results: list[StepResult] = []
        self.warnings: list[str] = []
        self.next_steps: list[str] = []
        self.out: TextIO = sys.stdout
        self.err: TextIO = sys.stderr
        self.color = _color_allowed(self.out)

    def _paint(self, text: str, code: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.color else text

    def step(self, result: StepResult) -> None:
        self.results.append(result)
        if self.as_json:
            return
        action = f"would be {result.action}" if self.dry_run and result.changed else result.action
        mark = self._paint(_MARKS.get(result.action, "✓"), "32")
        self.out.write(f"{mark} {result.step:<12} {action}: {result.summary}\n")
        self.out.flush()

    def info(self, message: str) -> None:
        if not self.as_json:
            self.out.write(f"  {message}\n")
            self.out.flush()

    def warn(self, message: str) -> None:
        self.warnings.append(message)
        self.err.write(self._paint("warning:", "33") + f" {message}\n")
        self.err.flush()

    @property
    def changed(self) -> bool:
        return any(result.changed for result in self.results)

    def document(self, error: BootstrapError | None = None) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "command": self.command,
            "ok": error is None,
            "dry_run": self.dry_run,
            "changed": self.changed and not self.dry_run,
            "steps": [result.as_json() for result in self.results],
            "warnings": self.warnings,
        }
        if self.dry_run:
            doc["would_change"] = self.changed
        if self.next_steps:
            doc["next"] = self.next_steps
        if error is not None:
            doc["error"] = {
                "cause": error.cause,
                "fix": error.fix,
                "exit_code": error.exit_code,
                **error.details,
            }
        return doc

    def finish(self, error: BootstrapError | None = None) -> None:
        if self.as_json:
            self.out.write(json.dumps(self.document(error), indent=2, default=str) + "\n")
        elif error is None:
            for line in self.next_steps:
                self.out.write(f"{line}\n")
        self.out.flush()

    def failure(self, error: BootstrapError, step: str | None = None) -> None:
        mark = self._paint("✗", "31")
        if step and not self.as_json:
            self.out.write(f"{mark} {step}\n")
        self.err.write(self._paint("error:", "31") + f" {error.cause}\n")
        if error.fix:
            self.err.write(f"  fix: {error.fix}\n")
        self.err.flush()
