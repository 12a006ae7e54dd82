"""`bootstrap git-credential`: the git credential helper for CodeCommit over HTTPS; git runs it.

Nothing is imported at registration beyond argparse; running it imports the helper, which reads
keys in the environment or static keys in the shared credentials file itself (configparser, in
botocore's order) and imports botocore only for the rest of the chain (a role, SSO,
credential_process, ...): never boto3, questionary or the flows, so that each git fetch or
push pays as little start-up as it can. With --mfa it signs with the profile's cached MFA
session (read as JSON, no SDK), and only an expired one brings boto3 in, to start a new one. A
failure is one line on stderr (git shows it to the user) and a non-zero exit, never a
traceback; the password goes to stdout only.
"""

from __future__ import annotations

import argparse
import sys

from bootstrap.commands import flags
from bootstrap.errors import EXIT_INTERNAL, EXIT_OK, BootstrapError

PREFIX = "bootstrap git-credential"


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = flags.add_command(
        commands,
        "git-credential",
        "the git credential helper for CodeCommit over HTTPS (git runs it, not you)",
        "git runs this command; you do not. It speaks git's credential-helper protocol: for "
        "`get`, it reads git's request on stdin and, for a CodeCommit host over https, prints "
        "a username and a SigV4-signed password (valid about 15 minutes) made from the AWS "
        "credentials of the profile (environment, shared files, SSO, assume-role, "
        "credential_process). Other hosts get no answer, so git asks its next helper. `store` "
        "and `erase` do nothing. git must send the repository path: credential.useHttpPath "
        "must be true for CodeCommit hosts.",
    )
    parser.add_argument(
        "--profile", help="AWS profile (default: $AWS_PROFILE, or 'default')", default=None
    )
    parser.add_argument(
        "--mfa",
        action="store_true",
        help="sign with the profile's MFA session (`bootstrap mfa`); when it has expired, ask "
        "for a code on the terminal, or fail naming `bootstrap mfa` when there is none",
    )
    # Not `choices`: git-credential(1) says a helper ignores an operation it does not know.
    parser.add_argument("action", metavar="get|store|erase", help="what git asks for")
    parser.set_defaults(handler=run)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def run(args: argparse.Namespace) -> int:
    from bootstrap.https import credential_helper as helper

    try:
        helper.run(args.action, args.profile, sys.stdin.buffer, sys.stdout.buffer, mfa=args.mfa)
    except BootstrapError as error:  # HelperError, and with --mfa the MFA session's errors
        sys.stderr.write(f"{PREFIX}: {_one_line(error.cause)}; {_one_line(error.fix)}\n")
        return error.exit_code
    except Exception as error:  # git shows our stderr: one line, never a traceback
        what = _one_line(str(error)) or "no details"
        sys.stderr.write(f"{PREFIX}: unexpected error ({type(error).__name__}): {what}\n")
        return EXIT_INTERNAL
    return EXIT_OK
