"""The flags the commands share, how a command's parser is made, and the exit codes' help.

Here rather than in cli.py so that commands/ never imports the layer above it. Only argparse
(and, when a command runs, the flow's dataclass it fills in) is imported.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from collections.abc import Callable
from typing import TYPE_CHECKING, NoReturn

from bootstrap.errors import EXIT_CODE_MEANINGS, EXIT_USAGE

if TYPE_CHECKING:
    from bootstrap.lifecycle.installed import Where


def _exit_codes_help() -> str:
    lines = ["exit codes:"]
    for code, meaning in EXIT_CODE_MEANINGS:
        wrapped = textwrap.wrap(meaning, 80)
        lines.append(f"  {code:<4} {wrapped[0]}")
        lines += [f"       {more}" for more in wrapped[1:]]
    return "\n".join(lines) + "\n"


EXIT_CODES_HELP = _exit_codes_help()  # the README's "Exit codes" table, as --help shows it
REGION_HELP = (
    "AWS region of the repository (default: $AWS_REGION, $AWS_DEFAULT_REGION, or the "
    "profile's region)"
)


class UsageProblem(Exception):
    """argparse's complaint, raised rather than exiting so that `main` can answer it in JSON."""

    def __init__(self, parser: argparse.ArgumentParser, message: str):
        super().__init__(message)
        self.parser = parser
        self.message = message

    @property
    def command(self) -> str | None:
        """`init` for `bootstrap init`'s parser; None for the top-level one."""
        words = self.parser.prog.split()
        return words[1] if len(words) > 1 else None

    def answer(self, as_json: bool) -> int:
        """argparse's usage and error lines on stderr; with --json, also the contract's
        failure on stdout. Exit 2, like argparse."""
        from bootstrap.ui import output

        if as_json:
            usage = " ".join(self.parser.format_usage().split()).removeprefix("usage: ")
            output.print_document(output.usage_document(self.command, self.message, usage))
        self.parser.print_usage(sys.stderr)
        sys.stderr.write(f"{self.parser.prog}: error: {self.message}\n")
        return EXIT_USAGE


class Parser(argparse.ArgumentParser):
    """An ArgumentParser (the commands' parsers are of this class too) whose errors are
    UsageProblem."""

    def error(self, message: str) -> NoReturn:
        raise UsageProblem(self, message)


def print_unexpected(command: str | None, caught: BaseException) -> None:
    """An exception nobody expected, as the JSON contract's failure on stdout."""
    from bootstrap.ui import output

    output.print_document(output.unexpected_document(command, caught))


def given(value: str) -> str:
    """A flag's value that must not be empty: `--region ""` is a mistake (an unset variable in
    a script, say), not a request for the default."""
    if not value.strip():
        raise argparse.ArgumentTypeError(
            "an empty value is not allowed (leave the flag out for its default)"
        )
    return value


def add_common_flags(
    parser: argparse.ArgumentParser,
    *,
    mutates: bool = True,
    per_user: bool = True,
    region_help: str = REGION_HELP,
) -> None:
    """The flags every command shares; `mutates` adds --yes and --dry-run, `per_user` --user."""
    parser.add_argument(
        "--profile", type=given, help="AWS profile (default: $AWS_PROFILE, or 'default')"
    )
    parser.add_argument("--region", type=given, help=region_help)
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
        type=given,
        metavar="PATH",
        help="private key path (default: the managed block's IdentityFile, else "
        "~/.ssh/codecommit_rsa)",
    )
    parser.add_argument(
        "--ssh-config",
        type=given,
        metavar="PATH",
        help="ssh config file (default ~/.ssh/config)",
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
    parser: argparse.ArgumentParser = commands.add_parser(
        name,
        help=summary,
        description=description,
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    # Whose usage an unknown flag shows: `init --bogus` is init's mistake (cli.main).
    parser.set_defaults(command_parser=parser)
    return parser


def dispatch(args: argparse.Namespace) -> int:
    """Run the command `args` chose; what escapes it ends the same way every failure does."""
    import traceback

    from bootstrap.errors import EXIT_INTERNAL, EXIT_INTERRUPTED, BootstrapError, StoppedByUser
    from bootstrap.ui import output, streams

    streams.guard()  # a reader that leaves, or an encoding without ✓, never ends the run
    handler: Callable[[argparse.Namespace], int] = args.handler
    as_json = bool(getattr(args, "json", False))
    document = {"command": args.command} if as_json else None  # the contract, even here
    try:
        return handler(args)
    except KeyboardInterrupt:
        stopped = StoppedByUser()
        if document is not None:
            output.print_document(output.json_document(args.command, error=stopped))
        print(f"\n{stopped.cause}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BootstrapError as error:
        return output.end_failed(error, debug=getattr(args, "debug", False), document=document)
    except Exception as caught:
        if document is None:
            raise  # never swallow what nobody expected: Python shows the traceback
        # A script reading stdout still gets the contract's object; people get the traceback.
        print_unexpected(args.command, caught)
        traceback.print_exc()
        return EXIT_INTERNAL
