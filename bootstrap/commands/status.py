"""`bootstrap status`: flags, and the report (✓/✗ lines, or one JSON object)."""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from typing import Any

from bootstrap import cli
from bootstrap.errors import EXIT_INCOMPLETE, BootstrapError


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = cli.add_command(
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
    cli.add_common_flags(parser)
    add_location_flags(parser)
    parser.set_defaults(handler=run)


def add_location_flags(parser: argparse.ArgumentParser) -> None:
    """--key and --ssh-config, as `init` spells them (status, rotate and remove share them)."""
    parser.add_argument(
        "--key",
        metavar="PATH",
        help="private key path (default: the managed block's IdentityFile, else "
        "~/.ssh/codecommit_rsa)",
    )
    parser.add_argument(
        "--ssh-config", metavar="PATH", help="ssh config file (default ~/.ssh/config)"
    )


def _text(checks: list[Any]) -> str:
    lines = []
    for check in checks:
        lines.append(f"{'✓' if check.ok else '✗'} {check.section:<12} {check.summary}")
        if not check.ok and check.fix:
            lines.append(f"  fix: {check.fix}")
    failed = sum(not check.ok for check in checks)
    lines.append(
        "Complete: SSH access to CodeCommit is set up."
        if not failed
        else f"Incomplete: {failed} of {len(checks)} checks failed."
    )
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    from bootstrap.aws.iam import Aws
    from bootstrap.lifecycle import installed, status
    from bootstrap.ui import prompts

    try:
        setup = installed.find(args, prompts.for_run(args.yes or args.json))
        checks = status.gather(setup, Aws(setup.profile, setup.region))
    except BootstrapError as error:
        if args.json:
            doc = {"command": "status", "ok": False, "complete": False}
            doc["error"] = {"cause": error.cause, "fix": error.fix, "exit_code": error.exit_code}
            sys.stdout.write(json.dumps(doc, indent=2) + "\n")
        if args.debug:
            traceback.print_exc()
        return cli.report_error(error, False)
    code = status.exit_code(checks)
    if args.json:
        doc = {
            "command": "status",
            "ok": code == 0,
            "complete": code == 0,
            "region": setup.region,
            "checks": [check.as_json() for check in checks],
            "problems": [
                {"section": c.section, "cause": c.summary, "fix": c.fix} for c in checks if not c.ok
            ],
        }
        sys.stdout.write(json.dumps(doc, indent=2, default=str) + "\n")
    else:
        sys.stdout.write(_text(checks))
    return code
