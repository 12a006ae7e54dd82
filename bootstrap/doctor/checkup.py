"""`bootstrap doctor`: read-only checks of everything SSH git to CodeCommit needs.

credentials ─► local key ─► iam key ─► ssh config ─► port 22 ─► known_hosts ─► iam policy ─► git

Nothing is written, in IAM or on disk. A check that cannot run (no credentials, say) does not
stop the others: the local ones still tell what they can. Exit 0 only if nothing failed.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from bootstrap.aws import endpoints
from bootstrap.aws.iam import Aws
from bootstrap.doctor import checks, policy_checks, server
from bootstrap.doctor.checks import FAIL, OK, Check, Facts
from bootstrap.errors import EXIT_OK

MARKS = {OK: "✓", "warn": "!", FAIL: "✗"}
Emit = Callable[[Check], None]


@dataclass(frozen=True)
class Options:
    profile: str | None
    region: str
    user: str | None
    key_path: Path
    ssh_config: Path | None  # for ssh -F; None when ssh reads it by default
    repo: str | None
    passphrase: bytes | None = None


def run(options: Options, aws: Aws, emit: Emit) -> list[Check]:
    """Run every check in order, handing each to `emit` as soon as it is known."""
    facts = Facts(
        endpoints.resolve(options.region),
        options.key_path,
        options.ssh_config,
        options.profile,
        options.repo,
    )
    reported: list[Check] = []

    def record(*found: Check) -> None:
        for check in found:
            reported.append(check)
            emit(check)

    record(checks.identity(aws, options.user, facts))
    record(checks.local_key(options.passphrase, facts))
    checks.read_ssh_options(facts)
    record(checks.iam_key(aws, facts))
    record(checks.ssh_config(facts))
    record(server.reach(facts))
    record(server.known_hosts(facts))
    record(*policy_checks.simulated(aws, facts))
    if options.repo:
        record(checks.git_ls_remote(aws, options.passphrase, facts))
    return reported


def run_policy_files(paths: list[str], region: str, repo: str | None, emit: Emit) -> list[Check]:
    """`--policy-file`: judge the documents offline; no AWS, no ssh."""
    checks = policy_checks.policy_files(paths, region, repo)
    for check in checks:
        emit(check)
    return checks


def exit_code(checks: list[Check]) -> int:
    """The first failure's code (3 credentials, 4 IAM, 5 local file, 6 host key, 7 git)."""
    return next((check.exit_code for check in checks if check.status == FAIL), EXIT_OK)


def document(checks: list[Check]) -> dict[str, Any]:
    return {
        "command": "doctor",
        "ok": all(check.status != FAIL for check in checks),
        "checks": [check.as_json() for check in checks],
    }


def printer(out: TextIO | None = None) -> Emit:
    """Print `✓/!/✗ name: detail` and, for warnings and failures, `  fix: …`."""

    def emit(check: Check) -> None:
        stream = out or sys.stdout
        stream.write(f"{MARKS[check.status]} {check.name}: {check.detail}\n")
        if check.fix and check.status != OK:
            stream.write(f"  fix: {check.fix}\n")
        stream.flush()

    return emit


def print_json(checks: list[Check], out: TextIO | None = None) -> None:
    stream = out or sys.stdout
    stream.write(json.dumps(document(checks), indent=2, ensure_ascii=False) + "\n")
    stream.flush()
