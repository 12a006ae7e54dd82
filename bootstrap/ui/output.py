"""What the user sees: ✓/✗ lines for people, one JSON object for scripts.

Every command ends a failure the same way (`end_failed`): its JSON document with the same
`error` object (`error_json`), then `error: <cause>` and `  fix: <fix>` on stderr.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from collections.abc import Collection, Mapping, Sequence
from typing import Any, TextIO

from bootstrap.errors import BootstrapError, StoppedByUser
from bootstrap.results import StepResult

_MARKS = {"created": "✓", "updated": "✓", "unchanged": "✓", "skipped": "-"}
# In the summary before changes: what each step is about to do.
_PLANNED = {"created": "+", "updated": "~", "unchanged": "=", "skipped": "·"}
GREEN, RED, YELLOW, BOLD = "32", "31", "33", "1"


def color_allowed(stream: TextIO) -> bool:
    """Color only on a terminal, and never with NO_COLOR set (no-color.org) or TERM=dumb."""
    return stream.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


def error_json(error: BootstrapError) -> dict[str, Any]:
    """The `error` object of every command's JSON document."""
    return {"cause": error.cause, "fix": error.fix, "exit_code": error.exit_code, **error.details}


def say_error(error: BootstrapError, err: TextIO | None = None, *, color: bool = False) -> None:
    """`error: <cause>` and, when there is one, `  fix: <fix>`."""
    err = err or sys.stderr
    label = f"\033[{RED}merror:\033[0m" if color else "error:"
    err.write(f"{label} {error.cause}\n")
    if error.fix:
        err.write(f"  fix: {error.fix}\n")
    err.flush()


def end_failed(
    error: BootstrapError,
    *,
    debug: bool,
    document: Mapping[str, Any] | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
    color: bool = False,
    lines: bool = True,
    ensure_ascii: bool = True,
) -> int:
    """End a failed command; its exit code. `document` (with --json) is the command's JSON
    object, printed on stdout; then the error lines (`lines`: False when the caller already
    said it its own way) and, with --debug, the traceback, on stderr. Call it while handling
    `error`, so that the traceback is its."""
    if document is not None:
        out = out or sys.stdout
        out.write(json.dumps(document, indent=2, default=str, ensure_ascii=ensure_ascii) + "\n")
        out.flush()
    if lines:
        say_error(error, err, color=color)
    if debug:
        traceback.print_exc()
    return error.exit_code


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
        self.color = color_allowed(self.out)
        self.err_color = color_allowed(self.err)  # each stream may be a file on its own
        self._planned: list[str] | None = None  # the steps of the act phase, once it began
        self._undoable: frozenset[str] = frozenset()
        self._acted_from = 0  # results before this index came from looking, not acting

    def _paint(self, text: str, code: str, *, on_err: bool = False) -> str:
        allowed = self.err_color if on_err else self.color
        return f"\033[{code}m{text}\033[0m" if allowed else text

    @property
    def progress(self) -> bool:
        """Whether to let git's progress through: people at a terminal, not JSON readers."""
        return not self.as_json and self.err.isatty()

    def step(self, result: StepResult) -> None:
        self.results.append(result)
        if self.as_json:
            return
        action = f"would be {result.action}" if self.dry_run and result.changed else result.action
        mark = self._paint(_MARKS.get(result.action, "✓"), GREEN)
        self.out.write(f"{mark} {result.step:<12} {action}: {result.summary}\n")
        self.out.flush()

    def info(self, message: str) -> None:
        if not self.as_json:
            self.out.write(f"  {message}\n")
            self.out.flush()

    def note(self, message: str) -> None:
        """Something the user should know while answering (gh's `!` lines); never in JSON."""
        if not self.as_json:
            self.err.write(self._paint("!", YELLOW, on_err=True) + f" {message}\n")
            self.err.flush()

    def warn(self, message: str) -> None:
        self.warnings.append(message)
        self.err.write(self._paint("warning:", YELLOW, on_err=True) + f" {message}\n")
        self.err.flush()

    def summary(self, planned: Sequence[StepResult]) -> None:
        """What acting will do, before the one confirmation that precedes any change."""
        if self.as_json:
            return
        self.out.write(self._paint("Summary", BOLD) + "\n")
        for result in planned:
            mark = _PLANNED.get(result.action, "·")
            self.out.write(f"  {mark} {result.step:<12} {result.summary}\n")
        self.out.write("  (+ create, ~ change, = already in place)\n")
        self.out.flush()

    def acting(self, planned: Sequence[str], undone_on_failure: Collection[str] = ()) -> None:
        """The act phase begins: `planned` steps report in this order. When one of
        `undone_on_failure` fails, what the earlier steps did is undone, and we say so."""
        self._planned = list(planned)
        self._undoable = frozenset(undone_on_failure)
        self._acted_from = len(self.results)

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
            doc["error"] = error_json(error)
        return doc

    def finish(self, error: BootstrapError | None = None) -> None:
        if self.as_json:
            self.out.write(json.dumps(self.document(error), indent=2, default=str) + "\n")
        elif error is None:
            for line in self.next_steps:
                self.out.write(self._paint(line, BOLD) + "\n")
        self.out.flush()

    def _failed_step(self) -> tuple[str | None, list[str]]:
        """The step that was running when the act phase failed, and what was undone."""
        if self._planned is None:
            return None, []
        acted = self.results[self._acted_from :]
        failed = self._planned[len(acted)] if len(acted) < len(self._planned) else None
        undone = [r.step for r in acted if r.changed] if failed in self._undoable else []
        return failed, undone

    def failed(self, error: BootstrapError, debug: bool) -> int:
        """Say what failed and finish the output; the exit code. --debug adds the traceback."""
        self.failure(error)
        document = self.document(error) if self.as_json else None
        return end_failed(error, debug=debug, document=document, out=self.out, lines=False)

    def failure(self, error: BootstrapError, step: str | None = None) -> None:
        failed, undone = self._failed_step()
        step = step or failed
        if step and not self.as_json:
            self.out.write(self._paint("✗", RED) + f" {step:<12} failed\n")
            if undone:
                self.out.write(f"  undone: {', '.join(undone)} (nothing is left half-done)\n")
            self.out.flush()
        if isinstance(error, StoppedByUser):
            # Not an error: the user chose to stop. Say what that left behind.
            kept = not undone and any(r.changed for r in self.results[self._acted_from :])
            left = "the steps marked ✓ above were kept" if kept else "nothing was changed"
            self.err.write(f"\n{error.cause} ({left})\n")
        else:
            say_error(error, self.err, color=self.err_color)
        self.err.flush()
