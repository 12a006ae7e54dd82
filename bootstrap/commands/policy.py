"""`bootstrap policy`: print the recommended MFA policy, or patch an existing one.

The policy (or diff) goes to stdout and explanations to stderr, so `> fixed.json` works.
boto3 is imported only for --policy-arn.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from typing import Any

from bootstrap.commands import flags
from bootstrap.errors import EXIT_OK, BootstrapError, StoppedByUser, UsageError
from bootstrap.results import UNCHANGED, UPDATED, StepResult

IAM_VERSION_LIMIT = 5
_POLICY_ARN = re.compile(r"^arn:(aws[a-z-]*):iam::(\d{12}|aws):policy/\S+$")

RECOMMENDED_NOTE = """\
Without MFA this policy denies everything except MFA self-service, and except what SSH git needs:
  - codecommit:GitPull and codecommit:GitPush (SSH keys can never carry MFA);
  - the KMS calls CodeCommit makes for them (kms:ViaService codecommit.*.amazonaws.com).
Every other CodeCommit API, and KMS through any other service, still needs MFA.
It grants nothing itself: users still need e.g. AWSCodeCommitPowerUser.
"""
BROAD_WARNING = """\
warning: this is the field report's broad fix. Without MFA it also allows:
  - every CodeCommit API (codecommit:*): DeleteRepository, approval rules, triggers and the rest;
  - KMS calls made through any AWS service (Null kms:ViaService), not only CodeCommit.
`bootstrap policy` without --broad exempts only what SSH git needs.
"""


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = flags.add_command(
        commands,
        "policy",
        "print or patch an MFA-enforcing IAM policy so SSH git keeps working",
        "With no arguments, print a complete MFA-enforcement policy that exempts only what SSH "
        "git needs: codecommit:GitPull/GitPush and KMS calls made through CodeCommit. With "
        "--from or --policy-arn, add those exemptions to an existing policy's deny-unless-MFA "
        "statements (and, where a statement grants Git only with MFA, a grant of GitPull/GitPush "
        "without it) and print the result; --apply stores it as the policy's new default version.",
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--from",
        dest="from_file",
        metavar="FILE",
        help="patch this policy document ('-' reads stdin); prints only the patched document",
    )
    source.add_argument(
        "--policy-arn",
        metavar="ARN",
        help="patch this customer managed policy's default version (read-only without --apply)",
    )
    source.add_argument(
        "--broad",
        action="store_true",
        help="print the field report's broader fix (codecommit:*, KMS via any service) instead",
    )
    parser.add_argument(
        "--diff", action="store_true", help="show a unified diff instead of the patched document"
    )
    parser.add_argument(
        "--apply",
        action="store_true",
        help="with --policy-arn: store the patched document as the new default version",
    )
    flags.add_common_flags(
        parser,
        mutates=True,
        per_user=False,
        region_help="AWS region to reach IAM in, for --policy-arn (IAM is global, so any region "
        "of the policy's partition will do; default: $AWS_REGION, $AWS_DEFAULT_REGION, or the "
        "profile's region, else us-east-1)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from bootstrap.ui import output

    try:
        _check_flags(args)
        if args.apply:
            result = _apply(args)
        elif args.from_file or args.policy_arn:
            result = _patch(args)
        else:
            result = _print_template(args)
    except BootstrapError as error:
        document = {"command": "policy", "dry_run": args.dry_run}
        return output.end_failed(
            error, debug=args.debug, document=document if args.json else None, ensure_ascii=False
        )
    if args.json:
        _emit(output.json_document("policy", **_contract(args, result)))
    return EXIT_OK


def _contract(args: argparse.Namespace, result: dict[str, Any]) -> dict[str, Any]:
    """The contract's keys from what policy did: `changed` (only --apply changes anything),
    `would_change` (--apply --dry-run), and a `policy` step for --apply; the rest as it was."""
    changed = bool(result.get("changed")) and bool(args.apply)
    steps = []
    if args.apply:
        would = bool(result.get("would_change"))
        action = UPDATED if changed or would else UNCHANGED
        summary = (
            f"{result['arn']} default version {result.get('version_id') or 'unchanged'}"
            if not would
            else f"{result['arn']}: a new default version would be stored"
        )
        steps.append(StepResult("policy", action, summary).as_json())
    own = {key: value for key, value in result.items() if key not in ("changed", "dry_run")}
    return {
        **own,
        # `patched`: the document given needed the exemptions (with or without --apply).
        "patched": bool(result.get("changed")),
        "dry_run": bool(args.dry_run) and bool(args.apply),
        "changed": changed or bool(result.get("would_change")),
        "steps": steps,
    }


def _check_flags(args: argparse.Namespace) -> None:
    if args.apply and not args.policy_arn:
        raise UsageError(
            "--apply needs --policy-arn (the customer managed policy to change)",
            "pass --policy-arn ARN; or print the patched document with --from FILE",
        )
    if args.diff and not (args.from_file or args.policy_arn):
        raise UsageError(
            "--diff compares a policy with its patched version, and no policy was given",
            "pass --from FILE (or -) or --policy-arn ARN",
        )


def _print_template(args: argparse.Namespace) -> dict[str, Any]:
    from bootstrap.policy import mfa_policy

    document = mfa_policy.broad() if args.broad else mfa_policy.recommended()
    if not args.json:
        _out(mfa_policy.render(document))
        _err(BROAD_WARNING if args.broad else RECOMMENDED_NOTE)
    return {"broad": args.broad, "policy": document}


def _patch(args: argparse.Namespace) -> dict[str, Any]:
    from bootstrap.policy import documents, mfa_policy

    if args.from_file:
        source = "<stdin>" if args.from_file == "-" else args.from_file
        document = mfa_policy.load(documents.read_policy_file(args.from_file, stdin=True), source)
    else:
        arn = _check_arn(args.policy_arn, changing=False)
        version, document = _fetch_default(_aws(args, arn), arn)
        source = f"{arn} ({version})"
    patched = mfa_policy.patch(document, source)
    text = mfa_policy.diff(document, patched.document, source) if args.diff else None
    if not args.json:
        _out(text if text is not None else mfa_policy.render(patched.document))
        _notes(patched.notes)
        if not patched.changed:
            _err(f"{source} already lets SSH git through: nothing to change\n")
    result = {"source": source, "changed": patched.changed, "notes": list(patched.notes)}
    return {**result, "policy": patched.document, **({"diff": text} if args.diff else {})}


def _apply(args: argparse.Namespace) -> dict[str, Any]:
    from bootstrap.policy import mfa_policy

    arn = _check_arn(args.policy_arn, changing=True)
    aws = _aws(args, arn)
    current, document = _fetch_default(aws, arn)
    patched = mfa_policy.patch(document, f"{arn} ({current})")
    result: dict[str, Any] = {
        "arn": arn,
        "dry_run": args.dry_run,
        "changed": False,
        "version_id": None,
        "previous_version_id": current,
        "deleted_version_id": None,
        "notes": list(patched.notes),
    }
    if not args.json:
        _notes(patched.notes)
    if not patched.changed:
        _say(args, f"✓ policy unchanged: {arn} ({current}) already lets SSH git through")
        return result
    doomed = _version_to_make_room(aws.list_policy_versions(arn), current)
    if not args.json:
        _out(mfa_policy.diff(document, patched.document, f"{arn} ({current})"))
    if args.dry_run:
        room = f"; would delete version {doomed} to make room" if doomed else ""
        _say(args, f"- policy would be updated: a new default version of {arn}{room}")
        return {**result, "would_change": True, "would_delete_version_id": doomed}
    if doomed:
        _confirm_delete(args, arn, doomed)
        aws.delete_policy_version(arn, doomed)
    new_id = aws.create_default_policy_version(arn, mfa_policy.render(patched.document))
    room = f" (deleted version {doomed} to make room)" if doomed else ""
    _say(args, f"✓ policy updated: {arn} default version is now {new_id}, was {current}{room}")
    return {**result, "changed": True, "version_id": new_id, "deleted_version_id": doomed}


def _fetch_default(aws: Any, arn: str) -> tuple[str, dict[str, Any]]:
    """The id and document of the version in force."""
    version = str(aws.get_policy(arn)["DefaultVersionId"])
    return version, aws.get_policy_document(arn, version)


def _version_to_make_room(versions: list[dict[str, Any]], default_id: str) -> str | None:
    """The oldest non-default version, if IAM's limit leaves no room for a new one."""
    if len(versions) < IAM_VERSION_LIMIT:
        return None
    # Check the id too, not only the flag: never offer to delete the version in force.
    spare = (v for v in versions if not v.get("IsDefaultVersion") and v["VersionId"] != default_id)
    old = sorted(spare, key=_version_number)
    return str(old[0]["VersionId"]) if old else None


def _version_number(version: dict[str, Any]) -> int:
    # IAM numbers versions v1, v2, … and never reuses a number: the lowest is the oldest.
    digits = str(version["VersionId"]).lstrip("v")
    return int(digits) if digits.isdigit() else sys.maxsize


def _confirm_delete(args: argparse.Namespace, arn: str, version_id: str) -> None:
    if args.yes:
        return
    from bootstrap.ui import prompts

    what = f"{arn} has {IAM_VERSION_LIMIT} versions (IAM's limit)"
    prompter = prompts.for_run(args.json)  # JSON is for scripts: never a prompt in it
    if not prompter.interactive:
        raise UsageError(
            f"{what}; making room means deleting version {version_id}, and there is no "
            "terminal to ask on",
            f"pass --yes to delete {version_id}, or delete a version yourself: aws iam "
            f"delete-policy-version --policy-arn {arn} --version-id {version_id}",
            details={"flag": "--yes"},
        )
    if not prompter.confirm(f"{what}. Delete its oldest non-default version, {version_id}?"):
        raise StoppedByUser()


def _check_arn(arn: str, *, changing: bool) -> str:
    match = _POLICY_ARN.match(arn.strip())
    if not match:
        raise UsageError(
            f"'{arn}' is not an IAM policy ARN",
            "it looks like arn:aws:iam::123456789012:policy/NAME "
            "(aws iam list-policies --scope Local lists yours)",
        )
    if changing and match.group(2) == "aws":
        raise UsageError(
            f"{arn} is an AWS managed policy, which nobody can change",
            "apply to the customer managed policy that enforces MFA in your account",
        )
    return arn.strip()


def _aws(args: argparse.Namespace, arn: str) -> Any:
    from bootstrap.aws import profiles
    from bootstrap.aws.iam import Aws

    profile = profiles.resolve_profile(args.profile)
    # IAM is global within a partition; any region of the policy's partition reaches it.
    partition = arn.split(":")[1]
    fallback = {"aws-cn": "cn-north-1", "aws-us-gov": "us-gov-west-1"}.get(partition, "us-east-1")
    region = profiles.configured_region(args.region, profile) or fallback
    return Aws(profile, region)


def _say(args: argparse.Namespace, line: str) -> None:
    if args.json:
        return
    from bootstrap.ui import output

    if line.startswith("✓ "):  # coloured as every command colours its ✓
        line = output.paint("✓", output.GREEN, sys.stdout) + line[1:]
    _out(line + "\n")


def _notes(notes: tuple[str, ...]) -> None:
    for note in notes:
        _err(f"note: {note}\n")


def _emit(document: dict[str, Any]) -> None:
    _out(json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n")


def _out(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def _err(text: str) -> None:
    sys.stderr.write(text)
    sys.stderr.flush()
