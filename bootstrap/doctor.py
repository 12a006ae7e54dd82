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

from bootstrap import doctor_checks, doctor_host, doctor_policy, endpoints
from bootstrap.doctor_checks import FAIL, OK, Check, Facts
from bootstrap.errors import EXIT_OK
from bootstrap.iam import Aws

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
    checks: list[Check] = []

    def record(*found: Check) -> None:
        for check in found:
            checks.append(check)
            emit(check)

    record(doctor_checks.identity(aws, options.user, facts))
    record(doctor_checks.local_key(options.passphrase, facts))
    doctor_checks.read_ssh_options(facts)
    record(doctor_checks.iam_key(aws, facts))
    record(doctor_checks.ssh_config(facts))
    record(doctor_host.reach(facts))
    record(doctor_host.known_hosts(facts))
    record(*doctor_policy.simulated(aws, facts))
    if options.repo:
        record(doctor_checks.git_ls_remote(aws, options.passphrase, facts))
    return checks


def run_policy_files(paths: list[str], region: str, repo: str | None, emit: Emit) -> list[Check]:
    """`--policy-file`: judge the documents offline; no AWS, no ssh."""
    checks = doctor_policy.policy_files(paths, region, repo)
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
