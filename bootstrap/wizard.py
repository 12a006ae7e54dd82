"""Decide each answer: flag, then environment, then detected default, then prompt.

A value given by a flag is never asked for. Without a terminal (or with --yes) a value that is
still missing is an error naming its flag.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from bootstrap import endpoints, keys, locations
from bootstrap.errors import MissingAnswer, UsageError
from bootstrap.options import InitAnswers
from bootstrap.prompts import Prompter


def profile_region(profile: str | None) -> str | None:
    """The region set for `profile` in the AWS config, if any."""
    import botocore.exceptions
    import botocore.session

    try:
        session = botocore.session.Session(profile=profile)
        region = session.get_config_variable("region")
    except botocore.exceptions.ProfileNotFound:
        return None
    return str(region) if region else None


def resolve_profile(flag: str | None) -> str | None:
    return flag or os.environ.get("AWS_PROFILE") or None


def resolve_region(flag: str | None, profile: str | None, prompter: Prompter) -> str:
    region = flag or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    region = region or profile_region(profile)
    if region:
        return endpoints.check_region_shape(region)
    if not prompter.interactive:
        raise MissingAnswer("--region", "the AWS region of the repository")
    choices = endpoints.codecommit_regions()
    return prompter.select("AWS region of the repository", choices, default="us-east-1")


def resolve_repo(flag: str | None, wanted: bool, prompter: Prompter) -> str | None:
    if flag or not wanted:
        return flag
    if not prompter.interactive:
        raise MissingAnswer("--repo", "the repository to test-clone (or --no-clone)")
    return prompter.text("Repository to test-clone", validate=validate_repo_name)


def validate_repo_name(name: str) -> str | None:
    if not name or len(name) > 100 or any(c in name for c in " /\\:?*[]~^"):
        return "a CodeCommit repository name: 1-100 letters, digits, '.', '_' or '-'"
    return None


def resolve_passphrase(env_var: str | None) -> bytes | None:
    if not env_var:
        return None
    value = os.environ.get(env_var)
    if value is None:
        raise UsageError(
            f"--passphrase-env names ${env_var}, which is not set",
            f"export {env_var} with the passphrase, or leave out --passphrase-env",
        )
    return value.encode() if value else None


def resolve_init(args: argparse.Namespace, prompter: Prompter) -> InitAnswers:
    profile = resolve_profile(args.profile)
    region = resolve_region(args.region, profile, prompter)
    repo = resolve_repo(args.repo, not args.no_clone, prompter)
    if repo and (problem := validate_repo_name(repo)):
        raise UsageError(f"--repo '{repo}' is not a valid repository name", problem)
    if args.key_bits not in keys.ALLOWED_NEW_BITS:
        raise UsageError(
            f"--key-bits {args.key_bits} is not offered",
            f"choose one of {', '.join(map(str, keys.ALLOWED_NEW_BITS))}",
        )
    default_config = locations.default_ssh_config()
    ssh_config = locations.expand(args.ssh_config) if args.ssh_config else default_config
    clone_dir = Path(args.clone_dir).absolute() if args.clone_dir else None
    return InitAnswers(
        profile=profile,
        region=region,
        user=args.user,
        key_path=locations.expand(args.key) if args.key else locations.default_key_path(),
        key_bits=args.key_bits,
        passphrase=resolve_passphrase(args.passphrase_env),
        repo=repo,
        clone=not args.no_clone,
        clone_dir=clone_dir,
        ssh_config=ssh_config,
        ssh_config_is_default=ssh_config == default_config,
        accept_host_key=normalise_fingerprint(args.accept_host_key),
        dry_run=args.dry_run,
    )


def normalise_fingerprint(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if not value.startswith("SHA256:") or len(value) != 50:
        raise UsageError(
            f"--accept-host-key '{value}' is not a SHA256 fingerprint",
            "give it as ssh prints it: SHA256: followed by 43 characters",
        )
    return value
