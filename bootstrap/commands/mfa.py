"""`bootstrap mfa`: start a new MFA session for a profile, cache it, and say when it expires.

What git's helper signs with under `init --mfa` (bootstrap/https/mfa_session.py): run it when
the session has expired and git has no terminal to ask on, or before a long unattended job.
The code is asked at a terminal (a few tries on a wrong one), or given with --code; without
either it is an error naming --code. The credentials are never printed, not even with --json.
"""

from __future__ import annotations

import argparse
import sys

from bootstrap.commands import flags
from bootstrap.errors import EXIT_OK, BootstrapError, MissingAnswer, UsageError
from bootstrap.results import CREATED, StepResult

DEFAULT_REGION = "us-east-1"  # STS answers in every region; the profile's is used when set


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = flags.add_command(
        commands,
        "mfa",
        "start an MFA session that git's HTTPS helper signs with (init --mfa)",
        "Start a new MFA session for the profile with sts:GetSessionToken (the code from your "
        "MFA device: asked at a terminal, or --code; --json never asks), cache it in "
        "~/.aws/bootstrap/mfa/PROFILE.json (0600) for `bootstrap git-credential --mfa`, and "
        "print when it expires. The device is --mfa-serial, else the one iam:ListMFADevices "
        "lists for you.",
    )
    flags.add_common_flags(
        parser,
        mutates=False,
        per_user=False,
        region_help="AWS region to reach STS in (default: $AWS_REGION, $AWS_DEFAULT_REGION, or "
        "the profile's region, else us-east-1)",
    )
    parser.add_argument(
        "--code", metavar="CODE", help="the 6-digit code your MFA device shows (for scripts)"
    )
    parser.add_argument(
        "--mfa-serial",
        metavar="ARN",
        help="the MFA device (default: your one device, from iam:ListMFADevices)",
    )
    parser.add_argument(
        "--mfa-duration",
        metavar="DURATION",
        help="how long the session lasts: seconds, or hours like 12h (default 12h, at most 36h)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from bootstrap.aws import endpoints, profiles
    from bootstrap.https import mfa_session, mfa_sts
    from bootstrap.ui import output, prompts

    try:
        duration = mfa_session.parse_duration(args.mfa_duration)
        if args.code is not None:
            try:
                mfa_session.check_code(args.code)  # before any AWS call
            except mfa_session.CodeNotAccepted:
                raise UsageError(
                    "--code is not an MFA code", "pass the 6 digits your MFA device shows now"
                ) from None
        region = profiles.configured_region(args.region, args.profile) or DEFAULT_REGION
        endpoints.check_region_shape(region)
        starter = mfa_sts.Starter(args.profile, region, args.mfa_serial, duration)
        if args.code is not None:
            session = starter.start(args.code)
        else:
            prompter = prompts.for_run(args.json)  # never prompt into JSON
            if not prompter.interactive:
                raise MissingAnswer("--code", "the code your MFA device shows")
            session = mfa_sts.start_asking(starter, prompter.secret, _note)
    except BootstrapError as error:
        document = {"command": "mfa"} if args.json else None
        return output.end_failed(error, debug=args.debug, document=document)
    where = mfa_session.tilde(mfa_session.cache_path(session.profile))
    summary = f"profile {session.profile}, {session.serial}, {session.describe()}"
    step = StepResult("mfa session", CREATED, summary, session.as_json())
    if args.json:
        doc = output.json_document("mfa", changed=True, steps=[step.as_json()], **session.as_json())
        output.print_document(doc)
    else:
        mark = output.paint("✓", output.GREEN, sys.stdout)
        sys.stdout.write(
            f"{mark} mfa session created: {summary}\n"
            f"  cached in {where}; git signs with it until then\n"
        )
    return EXIT_OK


def _note(message: str) -> None:
    sys.stderr.write(f"! {message}\n")
    sys.stderr.flush()
