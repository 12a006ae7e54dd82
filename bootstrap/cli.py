"""Commands, flags and exit codes. Turns errors into two lines: the cause and the fix.

No logic lives here, and nothing heavy is imported before a command runs, so `--help` and
`--version` stay instant.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence

from bootstrap import __version__
from bootstrap.errors import EXIT_INTERRUPTED, EXIT_OK, BootstrapError, StoppedByUser

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
  10   init --check: something would change
  130  stopped by user (Ctrl-C)
"""


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", help="AWS profile (default: $AWS_PROFILE, or 'default')")
    parser.add_argument(
        "--region", help="AWS region of the repository (default: $AWS_REGION or the profile's)"
    )
    parser.add_argument("--user", help="IAM user name (skips sts:GetCallerIdentity)")
    parser.add_argument("--yes", "-y", action="store_true", help="take defaults, never prompt")
    parser.add_argument(
        "--dry-run", action="store_true", help="show what would change; change nothing"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")


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

    init = commands.add_parser(
        "init",
        help="set up SSH access to CodeCommit and test-clone a repository",
        description="Create or reuse an RSA key, register it with IAM, write the ssh config "
        "block, trust the host key, and test-clone a repository. Safe to run again.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _common(init)
    init.add_argument("--repo", help="repository to test-clone")
    init.add_argument(
        "--key", metavar="PATH", help="private key path (default ~/.ssh/codecommit_rsa)"
    )
    init.add_argument(
        "--key-bits",
        type=int,
        default=4096,
        metavar="BITS",
        help="2048, 3072 or 4096 (default 4096)",
    )
    init.add_argument(
        "--passphrase-env",
        metavar="VAR",
        help="protect a new key with the passphrase in $VAR (never pass it on the command line)",
    )
    init.add_argument(
        "--ssh-config", metavar="PATH", help="ssh config file (default ~/.ssh/config)"
    )
    init.add_argument("--clone-dir", metavar="DIR", help="keep the test clone in DIR")
    init.add_argument("--no-clone", action="store_true", help="skip the test clone")
    init.add_argument(
        "--accept-host-key",
        metavar="SHA256:…",
        help="trust the CodeCommit host key with this fingerprint (for regions AWS has not "
        "published one for)",
    )
    init.set_defaults(handler=_run_init)
    return parser


def _run_init(args: argparse.Namespace) -> int:
    from bootstrap import init, prompts, wizard
    from bootstrap.output import Reporter

    report = Reporter("init", args.json, args.dry_run)
    try:
        prompter = prompts.for_run(args.yes)
        answers = wizard.resolve_init(args, prompter)
        init.run(answers, prompter, report)
    except BootstrapError as error:
        report.failure(error)
        report.finish(error)
        if args.debug:
            traceback.print_exc()
        return error.exit_code
    report.finish()
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_OK
    try:
        code: int = args.handler(args)
        return code
    except KeyboardInterrupt:
        print(f"\n{StoppedByUser().cause}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BootstrapError as error:
        print(f"error: {error.cause}", file=sys.stderr)
        if error.fix:
            print(f"  fix: {error.fix}", file=sys.stderr)
        if getattr(args, "debug", False):
            traceback.print_exc()
        return error.exit_code
