"""`bootstrap status`: flags, and the report (✓/✗ lines, or one JSON object)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from bootstrap.commands import flags
from bootstrap.errors import EXIT_INCOMPLETE, BootstrapError


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = flags.add_command(
        commands,
        "status",
        "show the key, its IAM registration, the ssh config and known_hosts entry",
        "Show the local key (type, bits, SHA256 and MD5 fingerprints), its IAM registration "
        "(and the user's other keys), the managed ssh config block and what `ssh -G` "
        "resolves, and the known_hosts entry. Changes nothing; --yes and --dry-run are "
        f"accepted for scripts. Exits 0 when the setup is complete and consistent, "
        f"{EXIT_INCOMPLETE} when something is missing or disagrees (3 or 4 when IAM could "
        "not be asked).",
    )
    flags.add_common_flags(parser)
    flags.add_location_flags(parser)
    parser.set_defaults(handler=run)


def _text(checks: list[Any], protocol: str) -> str:
    lines = []
    for check in checks:
        lines.append(f"{'✓' if check.ok else '✗'} {check.section:<12} {check.summary}")
        if not check.ok and check.fix:
            lines.append(f"  fix: {check.fix}")
    failed = sum(not check.ok for check in checks)
    lines.append(
        f"Complete: {protocol} access to CodeCommit is set up."
        if not failed
        else f"Incomplete: {failed} of {len(checks)} checks failed."
    )
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    from bootstrap.aws.iam import Aws
    from bootstrap.lifecycle import installed, status, status_https
    from bootstrap.ui import output, prompts

    try:
        setup = installed.find(flags.where(args), prompts.for_run(args.yes or args.json))
        https = status_https.is_https(setup)
        if https:
            checks = status_https.gather(setup)
        else:
            checks = status.gather(setup, Aws(setup.profile, setup.region))
    except BootstrapError as error:
        failure = output.error_json(error)
        document = {"command": "status", "ok": False, "complete": False, "error": failure}
        return output.end_failed(error, debug=args.debug, document=document if args.json else None)
    code = status.exit_code(checks)
    if args.json:
        doc = {
            "command": "status",
            "ok": code == 0,
            "complete": code == 0,
            "protocol": "https" if https else "ssh",
            "region": setup.region,
            "checks": [check.as_json() for check in checks],
            "problems": [
                {"section": c.section, "cause": c.summary, "fix": c.fix} for c in checks if not c.ok
            ],
        }
        sys.stdout.write(json.dumps(doc, indent=2, default=str) + "\n")
    else:
        sys.stdout.write(_text(checks, "HTTPS" if https else "SSH"))
    return code
