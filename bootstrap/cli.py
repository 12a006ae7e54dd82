"""The command line: the parser over the commands, and errors turned into two lines: the cause
and the fix.

Each command lives in its own `commands/*.py` module with `register(commands)`; the flags they
share and the exit codes' help are in `commands/flags.py`. Nothing heavy is imported before a
command runs, so `--help` and `--version` stay instant.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Sequence

from bootstrap import __version__
from bootstrap.commands import flags
from bootstrap.commands.flags import EXIT_CODES_HELP
from bootstrap.errors import EXIT_OK

# The command modules, in the order `--help` lists them.
COMMANDS = ("init", "status", "rotate", "remove", "doctor", "policy", "mfa", "git_credential")


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


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_OK
    return flags.dispatch(args)
