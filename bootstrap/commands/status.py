"""`bootstrap status`: flags, and the report (✓/✗ lines, or one JSON object)."""

from __future__ import annotations

import argparse
import sys
from typing import Any, TextIO

from bootstrap.commands import flags
from bootstrap.errors import EXIT_INCOMPLETE, BootstrapError


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = flags.add_command(
        commands,
        "status",
        "show the key, its IAM registration, the ssh config and known_hosts entry",
        "Show the local key (type, bits, SHA256 and MD5 fingerprints), its IAM registration "
        "(and the user's other keys), the managed ssh config block and what `ssh -G` "
        "resolves, and the known_hosts entry. Never asks and never changes anything. Exits 0 "
        f"when the setup is complete and consistent, {EXIT_INCOMPLETE} when something is "
        "missing or disagrees (3 or 4 when IAM could not be asked).",
    )
    flags.add_common_flags(parser, mutates=False)
    flags.add_location_flags(parser)
    parser.set_defaults(handler=run)


def _text(checks: list[Any], protocol: str, out: TextIO) -> str:
    from bootstrap.ui.output import GREEN, RED, paint

    lines = []
    for check in checks:
        mark = paint("✓", GREEN, out) if check.ok else paint("✗", RED, out)
        lines.append(f"{mark} {check.section:<12} {check.summary}")
        if not check.ok and check.fix:
            lines.append(f"  fix: {check.fix}")
    failed = sum(not check.ok for check in checks)
    lines.append(
        f"Complete: {protocol} access to CodeCommit is set up."
        if not failed
        else f"Incomplete: {failed} of {len(checks)} checks failed."
    )
    return "\n".join(lines) + "\n"


def incomplete(checks: list[Any], code: int) -> BootstrapError:
    """The `error` of an incomplete setup: the first failed check, and how many failed."""
    failed = [check for check in checks if not check.ok]
    first = failed[0]
    error = BootstrapError(
        f"the setup is incomplete ({len(failed)} of {len(checks)} checks failed); "
        f"{first.section}: {first.summary}",
        first.fix,
    )
    error.exit_code = code
    return error


def run(args: argparse.Namespace) -> int:
    from bootstrap.aws.iam import Aws
    from bootstrap.lifecycle import installed, status, status_https
    from bootstrap.ui import output, prompts

    try:
        # status never asks: what it cannot find out is an error naming the flag.
        setup = installed.find(flags.where(args), prompts.NoPrompter())
        https = status_https.is_https(setup)
        if https:
            checks = status_https.gather(setup)
        else:
            checks = status.gather(setup, Aws(setup.profile, setup.region))
    except BootstrapError as error:
        document = {"command": "status", "complete": False}
        return output.end_failed(error, debug=args.debug, document=document if args.json else None)
    code = status.exit_code(checks)
    if args.json:
        doc = output.json_document(
            "status",
            error=incomplete(checks, code) if code else None,
            exit_code=code,
            steps=[check.as_json() for check in checks],
            complete=code == 0,
            protocol="https" if https else "ssh",
            region=setup.region,
        )
        output.print_document(doc)
    else:
        sys.stdout.write(_text(checks, "HTTPS" if https else "SSH", sys.stdout))
    return code
