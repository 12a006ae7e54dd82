"""The flags the commands share, how a command's parser is made, and the exit codes' help.

Here rather than in cli.py so that commands/ never imports the layer above it. Only argparse
(and, when a command runs, the flow's dataclass it fills in) is imported.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bootstrap.lifecycle.installed import Where

EXIT_CODES_HELP = """\
exit codes:
  0    success (whether or not anything changed)
  1    unexpected internal error (a traceback is shown)
  2    usage: a bad flag, or a missing value with no terminal to ask on
  3    AWS credentials or identity (none found, expired, not an IAM user, AWS unreachable)
  4    IAM refused (key limit, key refused, key Inactive, access denied)
  5    a local file (key, ssh config) cannot be used safely
  6    host key verification failed
  7    git could not reach the repository (the test clone failed)
  8    status: the setup is incomplete or inconsistent (it says what is missing)
  10   --check: something would change
  130  stopped by user (Ctrl-C)
"""


def add_common_flags(
    parser: argparse.ArgumentParser, *, mutates: bool = True, per_user: bool = True
) -> None:
    """The flags every command shares; `mutates` adds --yes and --dry-run, `per_user` --user."""
    parser.add_argument("--profile", help="AWS profile (default: $AWS_PROFILE, or 'default')")
    parser.add_argument(
        "--region", help="AWS region of the repository (default: $AWS_REGION or the profile's)"
    )
    if per_user:
        parser.add_argument("--user", help="IAM user name (skips sts:GetCallerIdentity)")
    if mutates:
        parser.add_argument("--yes", "-y", action="store_true", help="take defaults, never prompt")
        parser.add_argument(
            "--dry-run", action="store_true", help="show what would change; change nothing"
        )
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")


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


def where(args: argparse.Namespace) -> Where:
    """What add_common_flags and add_location_flags gave, for lifecycle's `installed.find`."""
    from bootstrap.lifecycle.installed import Where

    return Where(
        profile=args.profile,
        region=args.region,
        user=args.user,
        key=args.key,
        ssh_config=args.ssh_config,
    )


def add_command(
    commands: argparse._SubParsersAction,  # type: ignore[type-arg]
    name: str,
    summary: str,
    description: str,
) -> argparse.ArgumentParser:
    return commands.add_parser(  # type: ignore[no-any-return]
        name,
        help=summary,
        description=description,
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def dispatch(args: argparse.Namespace) -> int:
    """Run the command `args` chose; what escapes it ends the same way every failure does."""
    import sys

    from bootstrap.errors import EXIT_INTERRUPTED, BootstrapError, StoppedByUser
    from bootstrap.ui import output

    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except KeyboardInterrupt:
        print(f"\n{StoppedByUser().cause}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BootstrapError as error:
        return output.end_failed(error, debug=getattr(args, "debug", False))
