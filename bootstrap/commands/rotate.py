"""`bootstrap rotate`: flags, and the run with its report."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from bootstrap.commands import flags
from bootstrap.errors import EXIT_OK, BootstrapError, MissingAnswer, StoppedByUser, UsageError
from bootstrap.results import SKIPPED, StepResult
from bootstrap.ui.prompts import Prompter

if TYPE_CHECKING:
    from pathlib import Path

    from bootstrap.lifecycle.installed import Installed
    from bootstrap.lifecycle.rotate import RotatePlan


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = flags.add_command(
        commands,
        "rotate",
        "replace the CodeCommit SSH key with a new one, proven with git first",
        "Generate a new key, register it with IAM, check it with `git ls-remote` on --repo "
        "(default: the repository init or the last rotate proved), then switch the managed ssh "
        "config block to it. Only then is the old key deactivated and deleted in IAM "
        "(--keep-old only deactivates it); the old private key is kept as KEY.YYYY-MM-DD.bak. "
        "If the check fails, everything is put back and the new key is deleted from IAM. A "
        "rotate that was interrupted is finished (or cleaned up) by the next one.",
    )
    flags.add_common_flags(parser)
    flags.add_location_flags(parser)
    parser.add_argument(
        "--repo",
        help="repository to check the new key with (git ls-remote); default: the one init or "
        "the last rotate proved",
    )
    parser.add_argument(
        "--keep-old",
        action="store_true",
        help="only deactivate the old key in IAM (reactivate it to roll back by hand)",
    )
    parser.add_argument(
        "--key-bits",
        type=int,
        default=4096,
        metavar="BITS",
        help="size of the new key: 2048, 3072 or 4096 (default 4096)",
    )
    parser.add_argument(
        "--passphrase-env",
        metavar="VAR",
        help="protect the new key with the passphrase in $VAR (never on the command line)",
    )
    parser.add_argument(
        "--no-passphrase",
        action="store_true",
        help="give the new key no passphrase, even though the old key has one",
    )
    parser.set_defaults(handler=run)


def _repo(args: argparse.Namespace, prompter: Prompter, setup: Installed) -> str:
    """--repo; else the repository init or the last rotate proved; else asked."""
    from bootstrap.aws import repos
    from bootstrap.ssh import proved_repo

    repo: str | None = args.repo or proved_repo.proved(setup.ssh_config, setup.region)
    if not repo:
        if not prompter.interactive:
            raise MissingAnswer(
                "--repo", "a repository to check the new key with (none was ever proved here)"
            )
        repo = prompter.text("Repository to check the new key with", validate=repos.name_problem)
    repos.check_name(repo or "")
    return str(repo)


def _passphrase(args: argparse.Namespace, prompter: Prompter, setup: Installed) -> bytes | None:
    """--passphrase-env; none with --no-passphrase; else, for an old key that has one, asked
    at a terminal, and refused unattended (a rotation must not quietly drop a passphrase)."""
    from bootstrap.ssh import keys

    if args.passphrase_env and args.no_passphrase:
        raise UsageError(
            "--passphrase-env and --no-passphrase exclude each other", "pass one of them"
        )
    if args.passphrase_env:
        return keys.passphrase_from_env(args.passphrase_env)
    if args.no_passphrase or not _has_passphrase(setup.key_path):
        return None
    if not prompter.interactive:
        raise UsageError(
            f"{setup.key_path} has a passphrase, and there is no terminal to ask the new "
            "key's on; nothing was changed",
            "pass --passphrase-env VAR with the new passphrase in $VAR, or --no-passphrase "
            "for a new key without one",
        )
    first = prompter.secret("Passphrase for the new key (the old key has one; empty for none)")
    if first and prompter.secret("The same passphrase again") != first:
        raise UsageError("the two passphrases differ; nothing was changed", "run again")
    return first.encode() if first else None


def _has_passphrase(key_path: Path) -> bool:
    from bootstrap.ssh import keys

    try:
        return keys.read_private_key(key_path.read_bytes()).encrypted
    except (OSError, ValueError, IndexError):
        return False  # no key, or not one we read: look() says so


def _next(plan: RotatePlan) -> str:
    """After a rotation: git goes on as before; with --keep-old, the old key still to delete."""
    old = plan.old_registered
    if plan.options.keep_old and old is not None:
        return (
            f"Next: once every machine works with the new key, delete the old one: aws iam "
            f"delete-ssh-public-key --user-name {plan.user} --ssh-public-key-id {old.key_id}"
        )
    return "Next: keep using git as before: it now uses the new key (`bootstrap status` shows it)"


NOTHING_TO_ROTATE = StepResult(
    "key",
    SKIPPED,
    "this setup is HTTPS: git signs each request with your AWS credentials, so there is no SSH "
    "key to rotate (rotate the credentials themselves: a new access key, or `aws sso login`)",
)


def run(args: argparse.Namespace) -> int:
    from bootstrap import files
    from bootstrap.aws.iam import Aws
    from bootstrap.lifecycle import installed, rotate, status_https
    from bootstrap.ssh import keys
    from bootstrap.ui import prompts
    from bootstrap.ui.output import Reporter

    report = Reporter("rotate", args.json, args.dry_run)
    try:
        prompter = prompts.for_run(args.yes or args.json)  # never prompt into JSON
        setup = installed.find(flags.where(args), prompter)
        if status_https.is_https(setup):
            report.step(NOTHING_TO_ROTATE)
            report.finish()
            return EXIT_OK
        keys.check_new_bits(args.key_bits)
        options = rotate.RotateOptions(
            repo=_repo(args, prompter, setup),
            keep_old=args.keep_old,
            bits=args.key_bits,
            passphrase=_passphrase(args, prompter, setup),
        )
        aws = Aws(setup.profile, setup.region)
        with files.locked_unless(args.dry_run, setup.ssh_config.parent):
            # What a run that held the lock before us did (a remove, a rotate) counts.
            setup = installed.reread(setup, flags.where(args))
            plan = rotate.look(setup, options, aws)
            if prompter.interactive and not args.dry_run:  # one question, before any change
                old = plan.old_registered.key_id if plan.old_registered else "the old key"
                question = f"Replace {old} with a new key, checked with git ls-remote first?"
                if not prompter.confirm(question, default=True):
                    raise StoppedByUser()
            if args.dry_run:
                for result in plan.preview():
                    report.step(result)
            else:
                rotate.act(plan, aws, report)
                report.next_steps.append(_next(plan))
    except BootstrapError as error:
        return report.failed(error, args.debug)
    report.finish()
    return EXIT_OK
