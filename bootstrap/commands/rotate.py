"""`bootstrap rotate`: flags, and the run with its report."""

from __future__ import annotations

import argparse

from bootstrap.commands import flags
from bootstrap.errors import EXIT_OK, BootstrapError, MissingAnswer, StoppedByUser
from bootstrap.results import SKIPPED, StepResult
from bootstrap.ui.prompts import Prompter


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = flags.add_command(
        commands,
        "rotate",
        "replace the CodeCommit SSH key with a new one, proven with git first",
        "Generate a new key, register it with IAM, switch the managed ssh config block to it "
        "and check it with `git ls-remote` on --repo. Only when that works is the old key "
        "deactivated and deleted in IAM (--keep-old only deactivates it); the old private key "
        "is kept as KEY.YYYY-MM-DD.bak. If the check fails, everything is put back and the new "
        "key is left Inactive in IAM.",
    )
    flags.add_common_flags(parser)
    flags.add_location_flags(parser)
    parser.add_argument(
        "--repo", help="repository to check the new key with (git ls-remote); required"
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
    parser.set_defaults(handler=run)


def _repo(args: argparse.Namespace, prompter: Prompter) -> str:
    from bootstrap.aws import repos

    repo: str | None = args.repo
    if not repo:
        if not prompter.interactive:
            raise MissingAnswer("--repo", "a repository to check the new key with")
        repo = prompter.text("Repository to check the new key with", validate=repos.name_problem)
    repos.check_name(repo or "")
    return str(repo)


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
            repo=_repo(args, prompter),
            keep_old=args.keep_old,
            bits=args.key_bits,
            passphrase=keys.passphrase_from_env(args.passphrase_env),
        )
        aws = Aws(setup.profile, setup.region)
        with files.locked_unless(args.dry_run, setup.ssh_config.parent):
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
    except BootstrapError as error:
        return report.failed(error, args.debug)
    report.finish()
    return EXIT_OK
