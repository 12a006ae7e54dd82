"""`bootstrap remove`: flags, the question before deleting from IAM, and the report."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from bootstrap.commands import flags
from bootstrap.errors import EXIT_OK, BootstrapError, StoppedByUser, UsageError

if TYPE_CHECKING:
    from bootstrap.lifecycle.remove import RemovePlan
    from bootstrap.ui.prompts import Prompter


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = flags.add_command(
        commands,
        "remove",
        "undo init: delete the key from IAM, the ssh config block and known_hosts entries",
        "Delete our SSH key from IAM (asks first; --yes in scripts, --keep-iam-key to keep "
        "it), take the managed block out of the ssh config (the file is then as it was before "
        "`init`, unless you edited it since) and remove the known_hosts entries bootstrap "
        "added. The private key is kept unless --delete-key. Running it again changes nothing.",
    )
    flags.add_common_flags(parser)
    flags.add_location_flags(parser)
    parser.add_argument(
        "--keep-iam-key",
        action="store_true",
        help="leave the key registered in IAM (no AWS call is made)",
    )
    parser.add_argument(
        "--delete-key", action="store_true", help="also delete the private and public key files"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from bootstrap import files
    from bootstrap.aws.iam import Aws
    from bootstrap.lifecycle import installed, remove
    from bootstrap.ui import prompts
    from bootstrap.ui.output import Reporter

    report = Reporter("remove", args.json, args.dry_run)
    try:
        prompter = prompts.for_run(args.yes or args.json)  # never prompt into JSON
        setup = installed.find(flags.where(args), prompter)
        options = remove.RemoveOptions(args.keep_iam_key, args.delete_key)
        aws = Aws(setup.profile, setup.region)
        with files.locked_unless(args.dry_run, setup.ssh_config.parent):
            # What a run that held the lock before us did (a rotate, a remove) counts.
            setup = installed.reread(setup, flags.where(args))
            plan = remove.look(setup, options, aws)
            if plan.iam_keys and not args.dry_run and not args.yes:
                _confirm(plan, prompter)
            results = plan.steps() if args.dry_run else remove.act(plan, aws)
        for result in results:
            report.step(result)
        if not args.dry_run:
            report.next_steps.append("Next: `bootstrap init` sets git access up again")
    except BootstrapError as error:
        return report.failed(error, args.debug)
    report.finish()
    return EXIT_OK


def _confirm(plan: RemovePlan, ask: Prompter) -> None:
    """Answering no keeps everything, as the question says (--keep-iam-key takes only this
    machine's setup away); no terminal and no --yes is an error, before changes."""
    question = (
        f"Delete SSH key {plan.iam_ids} from IAM user {plan.user} and the setup here? "
        "Every machine using it loses access; no keeps both (--keep-iam-key: only the setup)"
    )
    if not ask.interactive:
        raise UsageError(
            f"deleting SSH key {plan.iam_ids} from IAM user {plan.user} needs a yes, and "
            "there is no terminal to ask on; nothing was changed",
            "pass --yes to delete it, or --keep-iam-key to keep it",
        )
    if not ask.confirm(question, default=False):
        raise StoppedByUser()
