"""The command line: the parser over the commands, and errors turned into two lines: the cause
and the fix.

Each command lives in its own `commands/*.py` module with `register(commands)`; the flags they
share and the exit codes' help are in `commands/flags.py`. Nothing heavy is imported before a
command runs, so `--help` and `--version` stay instant.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from bootstrap import __version__
from bootstrap.commands import flags
from bootstrap.commands.flags import EXIT_CODES_HELP
from bootstrap.errors import EXIT_INTERNAL, EXIT_OK

# The command modules, in the order `--help` lists them.
COMMANDS = (
    "init",
    "status",
    "rotate",
    "remove",
    "doctor",
    "policy",
    "mfa",
    "git_credential",
    "completion",
)


def build_parser() -> argparse.ArgumentParser:
    parser = flags.Parser(
        prog="bootstrap",
        description="Set up git access to AWS CodeCommit (SSH or HTTPS): key, IAM "
        "registration, ssh config, host key, test clone.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", "-V", action="version", version=f"bootstrap {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMANDS:
        importlib.import_module(f"bootstrap.commands.{module}").register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    as_json = "--json" in words
    try:
        parser = build_parser()
        args, unknown = parser.parse_known_args(words)
        if unknown:  # the command's own usage, not the top-level one
            chosen: argparse.ArgumentParser = getattr(args, "command_parser", None) or parser
            chosen.error(f"unrecognized arguments: {' '.join(unknown)}")
    except flags.UsageProblem as problem:
        raise SystemExit(problem.answer(as_json)) from None  # as argparse itself exits
    except Exception as caught:
        if not as_json:
            raise
        flags.print_unexpected(None, caught)  # stdout still gets the JSON contract's object
        raise SystemExit(EXIT_INTERNAL) from caught
    if args.command is None:
        parser.print_help()
        return EXIT_OK
    return flags.dispatch(args)
