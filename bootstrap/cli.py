"""Commands, flags and exit codes. Turns errors into two lines: the cause and the fix.

Each command lives in its own `commands/*.py` module with `register(commands)`. Nothing heavy is
imported before a command runs, so `--help` and `--version` stay instant.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback
from collections.abc import Callable, Sequence

from bootstrap import __version__
from bootstrap.errors import EXIT_INTERRUPTED, EXIT_OK, BootstrapError, StoppedByUser

# The command modules, in the order `--help` lists them.
COMMANDS = ("init", "status", "rotate", "remove", "doctor", "policy")

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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bootstrap",
        description="Set up SSH access to AWS CodeCommit: key, IAM registration, ssh config, "
        "host key, test clone.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"bootstrap {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMANDS:
        importlib.import_module(f"bootstrap.commands.{module}").register(commands)
    return parser


def report_error(error: BootstrapError, debug: bool) -> int:
    print(f"error: {error.cause}", file=sys.stderr)
    if error.fix:
        print(f"  fix: {error.fix}", file=sys.stderr)
    if debug:
        traceback.print_exc()
    return error.exit_code


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_OK
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except KeyboardInterrupt:
        print(f"\n{StoppedByUser().cause}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BootstrapError as error:
        return report_error(error, getattr(args, "debug", False))
