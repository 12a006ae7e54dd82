"""What the user sees: ✓/✗ lines for people, one JSON object for scripts.

The JSON contract (README, "JSON output"): every command's `--json`, failures, usage errors
and unexpected errors included, prints one object with the same top-level keys (`CONTRACT`),
made here by `json_document`, whose `steps` all have the one shape of `results.step_json`. Every
command ends a failure the same way (`end_failed`): that document with its `error` object
(`error_json`), then `error: <cause>` and `  fix: <fix>` on stderr.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any, TextIO

from bootstrap.errors import EXIT_INTERNAL, EXIT_OK, BootstrapError, StoppedByUser, UsageError
from bootstrap.results import FAILED, StepResult

_MARKS = {"created": "✓", "updated": "✓", "unchanged": "✓", "skipped": "-", FAILED: "✗"}
# In the summary before changes: what each step is about to do.
_PLANNED = {"created": "+", "updated": "~", "unchanged": "=", "skipped": "·"}
GREEN, RED, YELLOW, BOLD = "32", "31", "33", "1"
# The top-level keys of every command's JSON object, in this order; a command adds its own after.
CONTRACT = (
    "command",
    "ok",
    "exit_code",
    "error",
    "dry_run",
    "changed",
    "would_change",
    "steps",
    "warnings",
    "next",
)


def color_allowed(stream: TextIO) -> bool:
    """Color only on a terminal, and never with NO_COLOR set (no-color.org) or TERM=dumb."""
    return stream.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


def paint(text: str, code: str, stream: TextIO) -> str:
    """`text` in colour `code` when `stream` may have colour (every command's one rule)."""
    return f"\033[{code}m{text}\033[0m" if color_allowed(stream) else text


def error_json(error: BootstrapError) -> dict[str, Any]:
    """The `error` object of every command's JSON document."""
    own = {k: v for k, v in error.details.items() if k not in ("cause", "fix", "exit_code")}
    return {"cause": error.cause, "fix": error.fix, "exit_code": error.exit_code, **own}


def json_document(
    command: str | None,
    *,
    error: BootstrapError | None = None,
    exit_code: int | None = None,
    dry_run: bool = False,
    changed: bool = False,
    would_change: bool | None = None,
    steps: Iterable[Mapping[str, Any]] = (),
    warnings: Iterable[str] = (),
    next_steps: Iterable[str] = (),
    **own: Any,
) -> dict[str, Any]:
    """A command's JSON object: the contract's keys, then the command's `own` (which never
    replace them). `ok` is true exactly when `error` is null; `exit_code` is the process's
    (10 for `init --check` that would change something is ok). `would_change` is null
    outside a dry run."""
    code = exit_code if exit_code is not None else error.exit_code if error else EXIT_OK
    doc: dict[str, Any] = {
        "command": command,
        "ok": error is None,
        "exit_code": code,
        "error": error_json(error) if error is not None else None,
        "dry_run": dry_run,
        "changed": changed and not dry_run,
        "would_change": (changed if would_change is None else would_change) if dry_run else None,
        "steps": [dict(step) for step in steps],
        "warnings": list(warnings),
        "next": list(next_steps),
    }
    return doc | {key: value for key, value in own.items() if key not in CONTRACT}


def print_document(
    doc: Mapping[str, Any], out: TextIO | None = None, *, ensure_ascii: bool = True
) -> None:
    out = out or sys.stdout
    out.write(json.dumps(doc, indent=2, default=str, ensure_ascii=ensure_ascii) + "\n")
    out.flush()


def usage_document(command: str | None, message: str, usage: str) -> dict[str, Any]:
    """argparse's complaint as the contract's failure (exit 2)."""
    fix = f"see `bootstrap {command + ' ' if command else ''}--help`"
    return json_document(command, error=UsageError(message, fix, details={"usage": usage}))


def unexpected_document(command: str | None, caught: BaseException) -> dict[str, Any]:
    """An exception nobody expected, as the contract's failure (exit 1)."""
    what = " ".join(str(caught).split()) or "no details"
    error = BootstrapError(
        f"unexpected error ({type(caught).__name__}): {what}",
        "this is a bug in bootstrap: please report it, with the traceback shown on stderr",
    )
    return json_document(command, error=error, exit_code=EXIT_INTERNAL)


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
    object (the contract's keys are filled in: `ok` false, `exit_code`, `error`), printed
    on stdout; then the error lines (`lines`: False when the caller already
    said it its own way) and, with --debug, the traceback, on stderr. Call it while handling
    `error`, so that the traceback is its."""
    if document is not None:
        own = {key: value for key, value in document.items() if key not in ("ok", "error")}
        command = own.pop("command", None)
        conformed = json_document(command, error=error, **own)
        print_document(conformed, out, ensure_ascii=ensure_ascii)
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
        self._kept: dict[str, str] = {}  # steps the undo kept on purpose, and why

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

    def kept_by_undo(self, kept: Mapping[str, str]) -> None:
        """Steps whose change the undo kept on purpose (step -> why), said after a failure."""
        self._kept = dict(kept)

    @property
    def changed(self) -> bool:
        return any(result.changed for result in self.results)

    def document(
        self, error: BootstrapError | None = None, exit_code: int | None = None
    ) -> dict[str, Any]:
        return json_document(
            self.command,
            error=error,
            exit_code=exit_code,
            dry_run=self.dry_run,
            changed=self.changed,
            steps=[result.as_json() for result in self.results],
            warnings=self.warnings,
            next_steps=self.next_steps if error is None else (),
        )

    def finish(self, error: BootstrapError | None = None, exit_code: int = EXIT_OK) -> None:
        if self.as_json:
            print_document(self.document(error, None if error else exit_code), self.out)
            return
        if error is None:
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
        kept = self._kept
        return failed, [step for step in undone if step not in kept]

    def failed(self, error: BootstrapError, debug: bool) -> int:
        """Say what failed and finish the output; the exit code. --debug adds the traceback."""
        self.failure(error)
        document = self.document(error) if self.as_json else None
        return end_failed(error, debug=debug, document=document, out=self.out, lines=False)

    def failure(self, error: BootstrapError, step: str | None = None) -> None:
        failed, undone = self._failed_step()
        step = step or failed
        if step:  # the step that failed is a step too (in JSON: action `failed`)
            details = {"undone": undone} if undone else {}
            self.results.append(StepResult(step, FAILED, error.cause, details, error.fix))
        if step and not self.as_json:
            self.out.write(self._paint("✗", RED) + f" {step:<12} failed\n")
            if undone:
                self.out.write(f"  undone: {', '.join(undone)} (nothing is left half-done)\n")
            self.out.flush()
        if self._kept and not self.as_json:
            for kept_step, why in self._kept.items():
                self.out.write(f"  kept: {kept_step}: {why}\n")
            self.out.flush()
        if isinstance(error, StoppedByUser):
            # Not an error: the user chose to stop. Say what that left behind.
            kept = not undone and any(r.changed for r in self.results[self._acted_from :])
            kept = kept or bool(self._kept)
            left = "the steps marked ✓ above were kept" if kept else "nothing was changed"
            self.err.write(f"\n{error.cause} ({left})\n")
        else:
            say_error(error, self.err, color=self.err_color)
        self.err.flush()
