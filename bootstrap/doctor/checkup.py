"""`bootstrap doctor`: read-only checks of everything git to CodeCommit needs, over SSH or HTTPS.

SSH:   credentials ─► local key ─► iam key ─► ssh config ─► port 22 ─► known_hosts ─► iam policy
       ─► git
HTTPS: credentials ─► git config ─► credential helper ─► port 443 ─► git

Which: --protocol; else HTTPS when the git config holds bootstrap's credential sections and the
ssh config has no bootstrap block (as `init` decides on a re-run); else SSH.

Nothing is written, in IAM or on disk. A check that cannot run (no credentials, say) does not
stop the others: the local ones still tell what they can. Exit 0 only if nothing failed.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from bootstrap import files
from bootstrap.aws import endpoints, profiles
from bootstrap.aws.iam import Aws
from bootstrap.doctor import (
    checks,
    https_checks,
    https_reach,
    live_vs_policy,
    mfa_checks,
    policy_checks,
    server,
)
from bootstrap.doctor.checks import FAIL, OK, WARN, Check, Facts
from bootstrap.errors import EXIT_OK, BootstrapError
from bootstrap.https import git_config, helper_program
from bootstrap.ssh import config_plan
from bootstrap.ui import output

MARKS = {OK: "✓", WARN: "!", FAIL: "✗"}
COLORS = {OK: output.GREEN, WARN: output.YELLOW, FAIL: output.RED}  # as init paints its marks
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
    protocol: str = endpoints.SSH  # ssh | https


def choose_protocol(ssh_config: Path) -> str:
    """HTTPS when the git config holds our credential sections and `ssh_config` has no managed
    block (init's rule on a re-run); else SSH. Whatever cannot be read counts as not there."""
    try:
        if config_plan.key_id_in_block(files.read_text_exact(ssh_config)) is not None:
            return endpoints.SSH
    except (OSError, BootstrapError):  # ssh's doctor says what is wrong with it
        return endpoints.SSH
    try:
        ours = git_config.look().ours
    except BootstrapError:
        return endpoints.SSH
    return endpoints.HTTPS if ours else endpoints.SSH


def helper_profile() -> str | None:
    """The profile our helper signs with, per the git config (None: none named, or no helper)."""
    try:
        seen = git_config.look()
    except BootstrapError:
        return None
    for url in seen.ours:
        for name, value in seen.sections[url]:
            parsed = helper_program.parse_helper(value) if name == "helper" else None
            if parsed is not None:
                return parsed[1]
    return None


def https_profile(flag: str | None) -> str | None:
    """--profile; else the profile git's requests are signed with; else $AWS_PROFILE."""
    return flag or helper_profile() or profiles.resolve_profile(None)


def run(options: Options, aws: Aws, emit: Emit) -> list[Check]:
    """Run every check in order, handing each to `emit` as soon as it is known."""
    if options.protocol == endpoints.HTTPS:
        return run_https(options, aws, emit)
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
    policy = policy_checks.simulated(aws, facts)
    if options.repo:
        live = checks.git_ls_remote(aws, options.passphrase, facts)
        # A live result outranks a prediction: shown once git has answered.
        record(*live_vs_policy.reconcile(policy, live), live)
    else:
        record(*policy)
    return reported


def run_https(options: Options, aws: Aws, emit: Emit) -> list[Check]:
    """The HTTPS checks in order; a check that cannot pass does not stop the others."""
    facts = https_checks.HttpsFacts(
        endpoints.resolve(options.region), options.profile, options.repo
    )
    reported: list[Check] = []

    def record(check: Check) -> None:
        reported.append(check)
        emit(check)

    record(https_checks.credentials(aws, facts))
    record(https_checks.git_settings(facts))
    record(https_checks.signing(facts))
    if facts.signs_with_mfa:
        record(mfa_checks.session(facts.helper_profile, facts.region))
    record(https_reach.reach(facts))
    if options.repo:
        record(https_checks.git_ls_remote(aws, facts))
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


def document(checks: list[Check], protocol: str = endpoints.SSH) -> dict[str, Any]:
    """The contract's object (ui.output.json_document): `error` is the first failed check."""
    failed = next((check for check in checks if check.status == FAIL), None)
    error = None
    if failed is not None:
        error = BootstrapError(f"{failed.name}: {failed.detail}", failed.fix)
        error.exit_code = failed.exit_code
    return output.json_document(
        "doctor",
        error=error,
        exit_code=exit_code(checks),
        steps=[check.as_json() for check in checks],
        warnings=[f"{check.name}: {check.detail}" for check in checks if check.status == WARN],
        protocol=protocol,
    )


def printer(out: TextIO | None = None) -> Emit:
    """Print `✓/!/✗ name: detail` and, for warnings and failures, `  fix: …`."""

    def emit(check: Check) -> None:
        stream = out or sys.stdout
        mark = output.paint(MARKS[check.status], COLORS[check.status], stream)
        stream.write(f"{mark} {check.name}: {check.detail}\n")
        if check.fix and check.status != OK:
            stream.write(f"  fix: {check.fix}\n")
        stream.flush()

    return emit


def print_json(
    checks: list[Check], out: TextIO | None = None, protocol: str = endpoints.SSH
) -> None:
    output.print_document(document(checks, protocol), out or sys.stdout, ensure_ascii=False)
