"""Medians, ratios and the markdown the README shows."""

from __future__ import annotations

import datetime
import os
import platform
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

# Issue 7's targets: a fresh run at most 0.4 of the manual path; a re-run, which now checks
# access with one git ls-remote (issue 14), at most 0.3.
FRESH_TARGET = 0.4
RERUN_TARGET = 0.3


@dataclass
class Samples:
    """Seconds per run for one measured thing, in the order measured."""

    label: str
    seconds: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    def row(self, ratio_to: float | None = None) -> str:
        cells = [self.label, f"{self.median:.2f}", f"{min(self.seconds):.2f}"]
        cells.append(f"{max(self.seconds):.2f}")
        if ratio_to:
            cells.append(f"{self.median / ratio_to:.2f}")
        return f"| {' | '.join(cells)} |"


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def load_average() -> str:
    try:
        return " ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "?"


def now_utc() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


@dataclass
class Context:
    runs: int
    bits: int
    versions: dict[str, str]
    load_before: str
    load_after: str = ""
    measured: str = field(default_factory=now_utc)

    def machine(self) -> str:
        return (
            f"{cpu_model()}, {os.cpu_count()} cores, {platform.system()} "
            f"{platform.release()}, Python {platform.python_version()}"
        )


def verdict(ratio: float, target: float) -> str:
    return f"{ratio:.2f} (target ≤ {target}: {'met' if ratio <= target else 'MISSED'})"


@dataclass
class Results:
    fresh: Samples  # (a)
    rerun: Samples  # (b)
    manual: Samples  # (c)
    retest: Samples  # (b') the re-run with --retest: it clones again
    clone: Samples  # (c)'s git clone step: one SSH connection to the sandbox server

    def ratios(self) -> list[str]:
        c, g = self.manual.median, self.clone.median
        return [
            f"- a/c = {verdict(self.fresh.median / c, FRESH_TARGET)}",
            f"- b/c = {verdict(self.rerun.median / c, RERUN_TARGET)}",
            f"- b′/c = {self.retest.median / c:.2f} (a re-run that clones again: --retest)",
            "",
            "a, b′ and c clone once; b makes one git ls-remote instead (the clone in a proved "
            "this exact setup, and the one connection checks that access still works). "
            f"One clone costs {g:.2f} s here (c's `git clone`): the sandbox's sshd starts "
            "three small Python programs per connection (two key lookups in moto, then the "
            "access check).",
        ]


def markdown(
    context: Context,
    results: Results,
    manual_steps: Sequence[Samples],
    costs: Sequence[Samples],
    requests: dict[str, list[str]],
    helper: str | None = None,
) -> str:
    c = results.manual.median
    lines = [
        f"Measured {context.measured} on {context.machine()}; median of {context.runs} runs "
        f"each (after a warm-up round), RSA {context.bits}-bit keys on both sides; load "
        f"average {context.load_before} before, {context.load_after} after.",
        "",
        "| run | median s | min s | max s | ÷ (c) |",
        "|---|---|---|---|---|",
        results.fresh.row(c),
        results.rerun.row(c),
        results.manual.row(c),
        results.retest.row(c),
        "",
        *results.ratios(),
        "",
        *([helper, ""] if helper else []),
        "Where the time goes:",
        "",
        "| part | median s | min s | max s |",
        "|---|---|---|---|",
        *(s.row() for s in (*manual_steps, *costs)),
        "",
        "AWS requests `bootstrap init` sent (botocore `before-send` events, counted):",
        "",
        "| run | requests |",
        "|---|---|",
        *(f"| {run} | {len(ops)}: {', '.join(ops) or '—'} |" for run, ops in requests.items()),
        "",
        "Versions: " + "; ".join(f"{name}: {value}" for name, value in context.versions.items()),
    ]
    return "\n".join(lines) + "\n"


def met(fresh: Samples, rerun: Samples, manual: Samples) -> bool:
    return (
        fresh.median / manual.median <= FRESH_TARGET
        and rerun.median / manual.median <= RERUN_TARGET
    )


def replace_block(text: str, block: str, begin: str, end: str) -> str:
    """`text` with the lines from `begin` to `end` replaced by `block` (which has both); with
    no such lines, `block` goes before "Where the time goes:", else before the versions line,
    else at the end. Everything else is kept byte for byte."""
    lines = text.splitlines()
    if begin in lines and end in lines[lines.index(begin) :]:
        first = lines.index(begin)
        last = lines.index(end, first)
        lines[first : last + 1] = block.splitlines()
        return "\n".join(lines) + "\n"
    for anchor in ("Where the time goes:", "Versions: "):
        at = next((n for n, line in enumerate(lines) if line.startswith(anchor)), None)
        if at is not None:
            lines[at:at] = [*block.splitlines(), ""]
            return "\n".join(lines) + "\n"
    return text.rstrip("\n") + "\n\n" + block + "\n"
