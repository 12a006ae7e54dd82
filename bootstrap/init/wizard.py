"""Decide each answer: flag, then environment, then detected default, then prompt.

A value given by a flag is never asked for. With a terminal, the environment and what can be
detected become the prompt's default (Enter takes it). Without a terminal (or with --yes) they
are the answer, and a value that is still missing is an error naming its flag.

The flow talks to the user only through the `Prompter` protocol, so it never imports
questionary; what it finds out by itself (profiles, identity, repositories) goes through
`Lookups`, so tests can replace it.
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from bootstrap import git
from bootstrap.aws import endpoints
from bootstrap.aws.iam import Identity
from bootstrap.aws.repos import ListingUnavailable
from bootstrap.errors import LocalFileError, MissingAnswer, UsageError
from bootstrap.init import key_ahead
from bootstrap.init.answers import InitAnswers
from bootstrap.init.key_ahead import KeyAhead
from bootstrap.ssh import keys, locations
from bootstrap.ui.prompts import Prompter

Note = Callable[[str], None]  # tells the user something while asking (Reporter.note)

KEEP_CLONE = "Keep it in a directory, ready to work in"
TEST_CLONE = "Throw-away test clone (removed afterwards)"
_IAM_USER_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")


def _silent(message: str) -> None:
    pass


# --- what the wizard can find out by itself ---------------------------------------------------


def aws_profiles() -> list[str]:
    """The profiles in ~/.aws/config and ~/.aws/credentials, `default` first."""
    import botocore.session

    names = botocore.session.Session().available_profiles
    return sorted(set(names), key=lambda name: (name != "default", name))


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


def detect_identity(answers: InitAnswers) -> Identity:
    """sts:GetCallerIdentity; roles and SSO stop here with the HTTPS alternative."""
    from bootstrap.aws.iam import Aws
    from bootstrap.init import pipeline

    return pipeline.identify(Aws(answers.profile, answers.region), answers)


def list_repositories(profile: str | None, region: str) -> list[str]:
    from bootstrap.aws import repos

    return repos.list_names(profile, region)


@dataclass(frozen=True)
class Lookups:
    profiles: Callable[[], list[str]] = aws_profiles
    profile_region: Callable[[str | None], str | None] = profile_region
    identity: Callable[[InitAnswers], Identity] = detect_identity
    repositories: Callable[[str | None, str], list[str]] = list_repositories


# --- profile and region (also used by other commands) -----------------------------------------


def resolve_profile(flag: str | None) -> str | None:
    return flag or os.environ.get("AWS_PROFILE") or None


def ask_profile(flag: str | None, prompter: Prompter, lookups: Lookups | None = None) -> str | None:
    """--profile, else a choice among the configured profiles (default $AWS_PROFILE or
    `default`); not asked when there is only one."""
    from_env = resolve_profile(None)
    if flag or not prompter.interactive:
        return flag or from_env
    choices = (lookups or Lookups()).profiles()
    if len(choices) <= 1:
        only = choices[0] if choices else None
        return from_env or (None if only in (None, "default") else only)
    usual = "default" if "default" in choices else choices[0]
    default = from_env if from_env in choices else usual
    picked = prompter.select("AWS profile", choices, default=default)
    # `default` without $AWS_PROFILE is what the SDK uses anyway: keep its usual search order.
    return None if picked == "default" and from_env is None else picked


def detected_region(profile: str | None, lookups: Lookups | None = None) -> str | None:
    """$AWS_REGION, $AWS_DEFAULT_REGION, else the profile's region."""
    found = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    return found or (lookups or Lookups()).profile_region(profile)


def resolve_region(
    flag: str | None, profile: str | None, prompter: Prompter, lookups: Lookups | None = None
) -> str:
    """--region, else the environment's or the profile's region, else asked (for commands
    that only need *a* region, e.g. status)."""
    region = flag or detected_region(profile, lookups)
    if region:
        return endpoints.check_region_shape(region)
    return ask_region(None, profile, prompter, lookups)


def ask_region(
    flag: str | None, profile: str | None, prompter: Prompter, lookups: Lookups | None = None
) -> str:
    """--region, else a choice among CodeCommit's regions whose default is $AWS_REGION or the
    profile's region; without a terminal that default is the answer."""
    if flag:
        return endpoints.check_region_shape(flag)
    detected = detected_region(profile, lookups)
    if not prompter.interactive:
        if detected:
            return endpoints.check_region_shape(detected)
        raise MissingAnswer("--region", "the AWS region of the repository")
    choices = endpoints.codecommit_regions()
    if detected and detected not in choices:
        choices.insert(0, detected)  # botocore may not list a new region yet
    picked = prompter.select(
        "AWS region of the repository", choices, default=detected or "us-east-1"
    )
    return endpoints.check_region_shape(picked)


# --- IAM user ---------------------------------------------------------------------------------


def confirm_user(answers: InitAnswers, prompter: Prompter, lookups: Lookups) -> InitAnswers:
    identity = lookups.identity(answers)
    if prompter.confirm(f"Set up SSH access for IAM user {identity.user_name}?", default=True):
        return answers
    user = prompter.text("IAM user to set up instead", validate=validate_user_name)
    return replace(answers, user=user)


def validate_user_name(name: str) -> str | None:
    if not _IAM_USER_NAME.match(name):
        return "an IAM user name: 1-64 letters, digits or + = , . @ _ -"
    return None


# --- the key ----------------------------------------------------------------------------------


def usable_keys(default_path: Path, note: Note) -> list[keys.KeyPair]:
    """RSA pairs IAM would accept: the default one first, then others in the same folder."""
    others = sorted(pub.with_suffix("") for pub in default_path.parent.glob("*.pub"))
    found: list[keys.KeyPair] = []
    for path in dict.fromkeys([default_path, *others]):
        if not path.is_file():
            continue
        try:
            pair = keys.load_pair(path)
        except LocalFileError as problem:
            if path == default_path:
                note(f"{locations.tilde(path)} cannot be used: {problem.cause}")
            continue
        if pair is not None:
            found.append(pair)
    return found


def free_key_path(default_path: Path) -> Path:
    """The default path, or the first `_2`, `_3`… beside it with neither half taken."""
    candidate, number = default_path, 1
    while candidate.exists() or keys.public_path_for(candidate).exists():
        number += 1
        candidate = default_path.with_name(f"{default_path.name}_{number}")
    return candidate


def describe_pair(pair: keys.KeyPair) -> str:
    public = pair.public
    return f"Use {locations.tilde(pair.private_path)} (RSA {public.bits}, {public.sha256})"


def ask_key(
    answers: InitAnswers, args: argparse.Namespace, prompter: Prompter, note: Note
) -> InitAnswers:
    """Reuse an existing key, or create a new one with a size and an optional passphrase."""
    if args.key:
        if answers.key_path.exists():
            return answers
        return _new_key_details(answers, args, prompter, note)
    pairs = {describe_pair(pair): pair for pair in usable_keys(answers.key_path, note)}
    new_path = free_key_path(answers.key_path)
    if pairs:
        create = f"Create a new key at {locations.tilde(new_path)}"
        default = next(
            (label for label, pair in pairs.items() if pair.private_path == answers.key_path),
            create,
        )
        picked = prompter.select("SSH key for CodeCommit", [*pairs, create], default=default)
        if picked in pairs:
            return replace(answers, key_path=pairs[picked].private_path)
    return _new_key_details(replace(answers, key_path=new_path), args, prompter, note)


def _new_key_details(
    answers: InitAnswers, args: argparse.Namespace, prompter: Prompter, note: Note
) -> InitAnswers:
    bits = answers.key_bits
    if args.key_bits is None:
        sizes = [str(size) for size in keys.ALLOWED_NEW_BITS]
        where = locations.tilde(answers.key_path)
        bits = int(
            prompter.select(f"Size of the new key {where}", sizes, default=str(keys.DEFAULT_BITS))
        )
    passphrase = answers.passphrase
    if not args.passphrase_env:
        passphrase = ask_new_passphrase(prompter, note)
    return replace(answers, key_bits=bits, passphrase=passphrase)


def ask_new_passphrase(prompter: Prompter, note: Note, tries: int = 3) -> bytes | None:
    """Hidden, asked twice, must match. Empty means no passphrase."""
    for _ in range(tries):
        first = prompter.secret("Passphrase for the new key (empty for none)")
        if not first:
            return None
        if prompter.secret("The same passphrase again") == first:
            return first.encode()
        note("The passphrases did not match; try again.")
    raise UsageError(
        f"the passphrases did not match {tries} times",
        "run bootstrap init again, or pass --passphrase-env VAR with the passphrase in $VAR",
    )


def passphrase_opens(path: Path, passphrase: bytes | None) -> bool:
    """Whether `passphrase` (None: no passphrase) opens the private key at `path`."""
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization

    data = path.read_bytes()
    try:
        if b"OPENSSH PRIVATE KEY" in data[:100]:
            serialization.load_ssh_private_key(data, passphrase)
        else:
            serialization.load_pem_private_key(data, passphrase)
    except (TypeError, ValueError, UnsupportedAlgorithm):
        return False
    return True


def ask_existing_passphrase(path: Path, prompter: Prompter, note: Note, tries: int = 3) -> bytes:
    """The passphrase of an existing key, checked: ssh needs it for the test clone."""
    where = locations.tilde(path)
    for _ in range(tries):
        given = prompter.secret(f"Passphrase of {where} (for the test clone)").encode()
        if given and passphrase_opens(path, given):
            return given
        note(f"That is not the passphrase of {where}; try again.")
    raise UsageError(
        f"the passphrase of {where} was wrong {tries} times",
        "run again, or pass --passphrase-env VAR with the passphrase in $VAR",
    )


# --- repository and clone ---------------------------------------------------------------------


def resolve_repo(
    flag: str | None,
    wanted: bool,
    prompter: Prompter,
    *,
    profile: str | None = None,
    region: str = "",
    lookups: Lookups | None = None,
    note: Note = _silent,
) -> str | None:
    """--repo, else a choice from codecommit:ListRepositories, else the name typed in."""
    if flag or not wanted:
        return flag
    if not prompter.interactive:
        raise MissingAnswer("--repo", "the repository to test-clone (or --no-clone)")
    try:
        names = (lookups or Lookups()).repositories(profile, region)
    except ListingUnavailable as unavailable:
        note(f"Cannot list the repositories: {unavailable.reason}. Type the name instead.")
        names = []
    else:
        if not names:
            note(f"You can see no repositories in {region}. Type the name instead.")
    if names:
        return prompter.select("Repository to clone", names, default=names[0])
    return prompter.text("Repository name", validate=validate_repo_name)


def validate_repo_name(name: str) -> str | None:
    if not name or len(name) > 100 or any(c in name for c in " /\\:?*[]~^"):
        return "a CodeCommit repository name: 1-100 letters, digits, '.', '_' or '-'"
    return None


def ask_clone_dir(answers: InitAnswers, prompter: Prompter) -> Path | None:
    """Keep the clone (default ./NAME), or a throw-away test clone (None)."""
    repo = answers.repo or ""
    picked = prompter.select("Clone the repository", [KEEP_CLONE, TEST_CLONE], default=KEEP_CLONE)
    if picked == TEST_CLONE:
        return None
    url = endpoints.resolve(answers.region).ssh_url(repo)
    where = prompter.text(
        "Directory for the clone",
        default=f"./{repo}",
        validate=lambda value: clone_dir_problem(value, url),
    )
    return locations.expand(where)


def clone_dir_problem(value: str, url: str) -> str | None:
    if not value.strip():
        return "a directory to clone into"
    path = locations.expand(value.strip())
    if not path.exists() or git.origin_url(path) == url:
        return None
    if not path.is_dir():
        return f"{value} is a file; choose a new or empty directory"
    if any(path.iterdir()):
        return f"{value} is not empty; choose a new or empty directory"
    return None


# --- everything, in order ---------------------------------------------------------------------


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


def _key_path(args: argparse.Namespace) -> Path:
    return locations.expand(args.key) if args.key else locations.default_key_path()


def _key_bits(args: argparse.Namespace) -> int:
    return keys.DEFAULT_BITS if args.key_bits is None else int(args.key_bits)


def early_key(args: argparse.Namespace) -> KeyAhead | None:
    """Unattended, the flags alone decide a new key: start generating it before the profile
    and region lookups (botocore's import alone takes ~0.2 s). A bad flag: resolve_init says."""
    try:
        passphrase = resolve_passphrase(args.passphrase_env)
    except UsageError:
        return None
    if _key_bits(args) not in keys.ALLOWED_NEW_BITS:
        return None
    return key_ahead.start_for(_key_path(args), _key_bits(args), passphrase, args.dry_run)


def from_flags(args: argparse.Namespace, profile: str | None, region: str) -> InitAnswers:
    """The answers the flags and detected defaults give, before any question."""
    key_bits = _key_bits(args)
    if key_bits not in keys.ALLOWED_NEW_BITS:
        raise UsageError(
            f"--key-bits {key_bits} is not offered",
            f"choose one of {', '.join(map(str, keys.ALLOWED_NEW_BITS))}",
        )
    if args.repo and (problem := validate_repo_name(args.repo)):
        raise UsageError(f"--repo '{args.repo}' is not a valid repository name", problem)
    default_config = locations.default_ssh_config()
    ssh_config = locations.expand(args.ssh_config) if args.ssh_config else default_config
    return InitAnswers(
        profile=profile,
        region=region,
        user=args.user,
        key_path=_key_path(args),
        key_bits=key_bits,
        passphrase=resolve_passphrase(args.passphrase_env),
        repo=args.repo,
        clone=not args.no_clone,
        clone_dir=Path(args.clone_dir).absolute() if args.clone_dir else None,
        ssh_config=ssh_config,
        ssh_config_is_default=ssh_config == default_config,
        accept_host_key=normalise_fingerprint(args.accept_host_key),
        dry_run=args.dry_run,
        retest=args.retest,
    )


def resolve_init(
    args: argparse.Namespace,
    prompter: Prompter,
    *,
    lookups: Lookups | None = None,
    note: Note = _silent,
) -> InitAnswers:
    """Profile, region, IAM user, key, repository, clone: each from its flag, else asked."""
    lookups = lookups or Lookups()
    profile = ask_profile(args.profile, prompter, lookups)
    region = ask_region(args.region, profile, prompter, lookups)
    answers = from_flags(args, profile, region)
    asking = prompter.interactive
    if asking and not args.user:
        answers = confirm_user(answers, prompter, lookups)
    if asking:
        answers = ask_key(answers, args, prompter, note)
    repo = resolve_repo(
        args.repo,
        answers.clone,
        prompter,
        profile=profile,
        region=region,
        lookups=lookups,
        note=note,
    )
    answers = replace(answers, repo=repo)
    if asking and repo and answers.clone and not args.clone_dir:
        answers = replace(answers, clone_dir=ask_clone_dir(answers, prompter))
    if asking and _needs_existing_passphrase(answers):
        passphrase = ask_existing_passphrase(answers.key_path, prompter, note)
        answers = replace(answers, passphrase=passphrase)
    return answers


def _needs_existing_passphrase(answers: InitAnswers) -> bool:
    """An existing encrypted key, no passphrase yet, and a test clone that must use it."""
    return (
        answers.clone
        and answers.passphrase is None
        and answers.key_path.is_file()
        and not passphrase_opens(answers.key_path, None)
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
