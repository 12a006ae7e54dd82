"""Decide each answer: flag, then environment, then detected default, then prompt.

A value given by a flag is never asked for. With a terminal, the environment and what can be
detected become the prompt's default (Enter takes it). Without a terminal (or with --yes) they
are the answer, and a value that is still missing is an error naming its flag.

The flow talks to the user only through the `Prompter` protocol, so it never imports
questionary; what it finds out by itself (profiles, identity, repositories) goes through
`Lookups`, so tests can replace it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from bootstrap import git
from bootstrap.aws import endpoints, profiles, repos
from bootstrap.aws.iam import Identity
from bootstrap.aws.profiles import profile_region
from bootstrap.aws.repos import ListingUnavailable
from bootstrap.errors import MissingAnswer
from bootstrap.init import https_setup, key_choice
from bootstrap.init.answers import InitAnswers, InitFlags
from bootstrap.ssh import hostkeys, keys, locations
from bootstrap.ui.prompts import Prompter

Note = key_choice.Note

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


def detect_identity(answers: InitAnswers) -> Identity:
    """sts:GetCallerIdentity: an IAM user, or a role, SSO or federated session (HTTPS)."""
    from bootstrap.aws.iam import Aws

    return Aws(answers.profile, answers.region).who_am_i()


def list_repositories(profile: str | None, region: str) -> list[str]:
    from bootstrap.aws import repos

    return repos.list_names(profile, region)


@dataclass(frozen=True)
class Lookups:
    profiles: Callable[[], list[str]] = aws_profiles
    profile_region: Callable[[str | None], str | None] = profile_region
    identity: Callable[[InitAnswers], Identity] = detect_identity
    repositories: Callable[[str | None, str], list[str]] = list_repositories


# --- profile and region: asked on top of aws.profiles' chain --------------------------------


def ask_profile(flag: str | None, prompter: Prompter, lookups: Lookups | None = None) -> str | None:
    """--profile, else a choice among the configured profiles (default $AWS_PROFILE or
    `default`); not asked when there is only one."""
    from_env = profiles.resolve_profile(None)
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


def ask_region(
    flag: str | None, profile: str | None, prompter: Prompter, lookups: Lookups | None = None
) -> str:
    """--region, else a choice among CodeCommit's regions whose default is $AWS_REGION or the
    profile's region; without a terminal that default is the answer."""
    if flag:
        return endpoints.check_region_shape(flag)
    detected = profiles.detected_region(profile, (lookups or Lookups()).profile_region)
    return profiles.choose_region(detected, prompter)


# --- IAM user ---------------------------------------------------------------------------------


HTTPS_INSTEAD = "HTTPS instead, signed with these AWS credentials"
OTHER_USER = "SSH for another IAM user"


def choose_access(
    answers: InitAnswers, prompter: Prompter, lookups: Lookups, note: Note
) -> InitAnswers:
    """SSH for an IAM user (recommended: a key works without AWS credentials on the machine),
    else HTTPS, which is all a role, SSO or federated session can use."""
    identity = lookups.identity(answers)
    if not identity.can_own_ssh_keys:
        note(f"{identity.describe()}: SSH keys need an IAM user, so HTTPS")
        return replace(answers, protocol=endpoints.HTTPS)
    if answers.protocol == endpoints.HTTPS:
        return answers
    question = (
        f"Set up SSH access for IAM user {identity.user_name}? (recommended: the key works "
        "without AWS credentials on this machine; no offers HTTPS)"
    )
    if prompter.confirm(question, default=True):
        return replace(answers, protocol=endpoints.SSH)
    if answers.protocol is None:
        picked = prompter.select("Instead", [HTTPS_INSTEAD, OTHER_USER], default=HTTPS_INSTEAD)
        if picked == HTTPS_INSTEAD:
            return replace(answers, protocol=endpoints.HTTPS)
    user = prompter.text("IAM user to set up instead", validate=validate_user_name)
    return replace(answers, user=user, protocol=endpoints.SSH)


def validate_user_name(name: str) -> str | None:
    if not _IAM_USER_NAME.match(name):
        return "an IAM user name: 1-64 letters, digits or + = , . @ _ -"
    return None


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
    return prompter.text("Repository name", validate=repos.name_problem)


def ask_clone_dir(answers: InitAnswers, prompter: Prompter) -> Path | None:
    """Keep the clone (default ./NAME), or a throw-away test clone (None)."""
    repo = answers.repo or ""
    picked = prompter.select("Clone the repository", [KEEP_CLONE, TEST_CLONE], default=KEEP_CLONE)
    if picked == TEST_CLONE:
        return None
    url = endpoints.resolve(answers.region).url(answers.protocol or endpoints.SSH, repo)
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


def from_flags(flags: InitFlags, profile: str | None, region: str) -> InitAnswers:
    """The answers the flags and detected defaults give, before any question."""
    key_bits = key_choice.key_bits(flags)
    keys.check_new_bits(key_bits)
    if flags.repo:
        repos.check_name(flags.repo)
    ssh_config = key_choice.ssh_config_path(flags)
    return InitAnswers(
        profile=profile,
        region=region,
        user=flags.user,
        key_path=key_choice.key_path(flags, ssh_config),
        key_bits=key_bits,
        passphrase=keys.passphrase_from_env(flags.passphrase_env),
        repo=flags.repo,
        clone=not flags.no_clone,
        clone_dir=Path(flags.clone_dir).absolute() if flags.clone_dir else None,
        ssh_config=ssh_config,
        ssh_config_is_default=ssh_config == locations.default_ssh_config(),
        accept_host_key=hostkeys.normalise_fingerprint(flags.accept_host_key),
        dry_run=flags.dry_run,
        retest=flags.retest,
        protocol=flags.protocol,
        ssh_insisted=flags.protocol == endpoints.SSH,
    )


def resolve_init(
    flags: InitFlags,
    prompter: Prompter,
    *,
    lookups: Lookups | None = None,
    note: Note = _silent,
) -> InitAnswers:
    """Profile, region, IAM user, key, repository, clone: each from its flag, else asked."""
    lookups = lookups or Lookups()
    profile = ask_profile(flags.profile, prompter, lookups)
    region = ask_region(flags.region, profile, prompter, lookups)
    answers = from_flags(flags, profile, region)
    asking = prompter.interactive
    if asking and not flags.user:
        answers = choose_access(answers, prompter, lookups, note)
    if asking and answers.protocol != endpoints.HTTPS:
        answers = key_choice.ask_key(answers, flags, prompter, note)
    repo = resolve_repo(
        flags.repo,
        answers.clone,
        prompter,
        profile=profile,
        region=region,
        lookups=lookups,
        note=note,
    )
    answers = replace(answers, repo=repo)
    if asking and repo and answers.clone and not flags.clone_dir:
        answers = replace(answers, clone_dir=ask_clone_dir(answers, prompter))
    if (
        asking
        and answers.protocol != endpoints.HTTPS
        and key_choice.needs_existing_passphrase(answers)
    ):
        passphrase = key_choice.ask_existing_passphrase(answers.key_path, prompter, note)
        answers = replace(answers, passphrase=passphrase)
    return https_setup.with_mfa(answers, flags, prompter)
