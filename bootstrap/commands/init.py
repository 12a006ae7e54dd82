"""`bootstrap init`: flags, and the run with its report."""

from __future__ import annotations

import argparse
from dataclasses import fields
from typing import TYPE_CHECKING

from bootstrap.commands import flags
from bootstrap.errors import EXIT_OK, EXIT_WOULD_CHANGE, BootstrapError

if TYPE_CHECKING:
    from bootstrap.init.answers import InitFlags


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = flags.add_command(
        commands,
        "init",
        "set up SSH access to CodeCommit and test-clone a repository",
        "Create or reuse an RSA key, register it with IAM, write the ssh config block, "
        "trust the host key, and test-clone a repository (or, for roles and SSO, set up "
        "HTTPS). Safe to run again. At a terminal, a wizard asks for whatever the flags leave "
        "open (profile, region, key, repository, ...); a value given by a flag is never "
        "asked. With --yes, --json or no terminal nothing is asked: a missing value is an "
        "error naming its flag.",
    )
    flags.add_common_flags(parser)
    parser.add_argument("--repo", help="repository to test-clone")
    parser.add_argument(
        "--key",
        type=flags.given,
        metavar="PATH",
        help="private key path (default ~/.ssh/codecommit_rsa)",
    )
    parser.add_argument(
        "--key-bits",
        type=int,
        metavar="BITS",
        help="size of a new key: 2048, 3072 or 4096 (default 4096; asked with a terminal)",
    )
    parser.add_argument(
        "--passphrase-env",
        metavar="VAR",
        help="protect a new key with the passphrase in $VAR (never on the command line)",
    )
    parser.add_argument(
        "--ssh-config",
        type=flags.given,
        metavar="PATH",
        help="ssh config file (default ~/.ssh/config)",
    )
    parser.add_argument("--clone-dir", metavar="DIR", help="keep the test clone in DIR")
    parser.add_argument("--no-clone", action="store_true", help="skip the test clone")
    parser.add_argument(
        "--protocol",
        choices=("ssh", "https"),
        help="how git reaches CodeCommit (default: ssh for an IAM user; https for roles, SSO "
        "and federated users, and what a re-run finds set up)",
    )
    parser.add_argument(
        "--mfa",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="HTTPS signed with an MFA session, for accounts that deny requests without MFA "
        "(implies --protocol https; a session is started now, and git's helper asks for a code "
        "when it expires); --no-mfa signs without (default: what a re-run finds set up)",
    )
    parser.add_argument(
        "--mfa-serial",
        metavar="ARN",
        help="the MFA device (default: your one device, from iam:ListMFADevices); implies --mfa",
    )
    parser.add_argument(
        "--mfa-duration",
        metavar="DURATION",
        help="how long an MFA session lasts: seconds, or hours like 12h (default 12h, at most "
        "36h); implies --mfa",
    )
    parser.add_argument(
        "--mfa-code",
        metavar="CODE",
        help="the code your MFA device shows, when a session must be started and there is no "
        "terminal to ask on; implies --mfa",
    )
    parser.add_argument(
        "--retest",
        action="store_true",
        help="test-clone even if this exact setup already cloned (a re-run that changes "
        "nothing skips the clone otherwise)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help=f"change nothing; exit 0 if nothing would change, {EXIT_WOULD_CHANGE} if something "
        "would (for Ansible's changed_when, cloud-init)",
    )
    parser.add_argument(
        "--accept-host-key",
        metavar="SHA256:…",
        help="trust the CodeCommit host key with this fingerprint (for regions AWS has not "
        "published one for)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from bootstrap.errors import StoppedByUser
    from bootstrap.init import clone_step, https_setup, key_choice, pipeline, wizard
    from bootstrap.ui import prompts
    from bootstrap.ui.output import Reporter

    if args.check:
        args.dry_run = True  # --check is a dry run that answers with its exit code
    report = Reporter("init", args.json, args.dry_run)
    try:
        # JSON output is for scripts: never draw prompts into it.
        prompter = prompts.for_run(args.yes or args.json)
        given = https_setup.checked_mfa_flags(init_flags(args))
        early = None if prompter.interactive else key_choice.early_key(given)
        answers = wizard.resolve_init(given, prompter, note=report.note)
        pipeline.run(answers, prompter, report, early)
        if not args.dry_run:  # every run that ends well says what to do next
            report.next_steps += clone_step.closing_lines(
                answers,
                report.results,
                said=any(line.startswith("Next:") for line in report.next_steps),
            )
    except (BootstrapError, KeyboardInterrupt) as caught:
        # Ctrl-C outside a prompt (while acting) arrives as KeyboardInterrupt, after the
        # setup steps' undo has run.
        error = caught if isinstance(caught, BootstrapError) else StoppedByUser()
        return report.failed(error, args.debug)
    code = EXIT_WOULD_CHANGE if args.check and report.changed else EXIT_OK
    report.finish(exit_code=code)
    return code


def init_flags(args: argparse.Namespace) -> InitFlags:
    from bootstrap.init.answers import InitFlags

    return InitFlags(**{field.name: getattr(args, field.name) for field in fields(InitFlags)})
