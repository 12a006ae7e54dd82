"""`bootstrap doctor`: flags, and the checks' report (lines for people, one JSON object)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from bootstrap.commands import flags
from bootstrap.errors import BootstrapError

if TYPE_CHECKING:
    from pathlib import Path

    from bootstrap.doctor.checkup import Options


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = flags.add_command(
        commands,
        "doctor",
        "check, read-only, everything git to CodeCommit needs (SSH or HTTPS)",
        "Over SSH: check the credentials and IAM user, the key in IAM and on disk, the ssh "
        "config as `ssh -G` sees it, known_hosts, port 22, and the IAM policy (with IAM's "
        "simulator, without MFA as SSH always is). Over HTTPS: the credentials, the git config "
        "that makes git ask `bootstrap git-credential`, whether it can sign now, and port 443 "
        "through the proxy git would use. With --repo, run a live `git ls-remote`. Each check "
        "prints ok (✓), warn (!) or fail (✗) with its fix. Nothing is changed. With "
        "--policy-file, judge policy documents offline instead (no AWS credentials needed).",
    )
    flags.add_common_flags(parser, mutates=False)
    parser.add_argument("--repo", help="repository to check with a live `git ls-remote`")
    parser.add_argument(
        "--protocol",
        choices=("ssh", "https"),
        help="which setup to check (default: https when the git config holds bootstrap's "
        "credential sections and the ssh config no bootstrap block, as init set it up; else ssh)",
    )
    parser.add_argument(
        "--key",
        type=flags.given,
        metavar="PATH",
        help="private key path (default ~/.ssh/codecommit_rsa)",
    )
    parser.add_argument(
        "--ssh-config",
        type=flags.given,
        metavar="PATH",
        help="ssh config file (default ~/.ssh/config)",
    )
    parser.add_argument(
        "--passphrase-env",
        metavar="VAR",
        help="the key's passphrase is in $VAR (for the live git check)",
    )
    parser.add_argument(
        "--policy-file",
        metavar="FILE",
        action="append",
        help="judge this IAM policy document offline, as SSH git would meet it (repeat to "
        "judge several together); runs only the policy checks",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from bootstrap.aws.iam import Aws
    from bootstrap.doctor import checkup
    from bootstrap.ui import output

    emit = (lambda check: None) if args.json else checkup.printer()
    protocol = _protocol(args)
    try:
        if args.policy_file:
            region = _policy_region(args)
            checks = checkup.run_policy_files(args.policy_file, region, args.repo, emit)
        else:
            options = _options(args, protocol)
            checks = checkup.run(options, Aws(options.profile, options.region), emit)
    except BootstrapError as error:
        document = {"command": "doctor", "protocol": protocol}
        return output.end_failed(error, debug=args.debug, document=document if args.json else None)
    if args.json:
        checkup.print_json(checks, protocol=protocol)
    return checkup.exit_code(checks)


def _protocol(args: argparse.Namespace) -> str:
    """--protocol; for --policy-file, ssh (its documents are judged as SSH git meets them);
    else what is set up (checkup.choose_protocol)."""
    from bootstrap.doctor import checkup
    from bootstrap.ssh import locations

    if args.protocol:
        return str(args.protocol)
    if args.policy_file:
        return "ssh"
    path = locations.expand(args.ssh_config) if args.ssh_config else None
    return checkup.choose_protocol(path or locations.default_ssh_config())


def _options(args: argparse.Namespace, protocol: str) -> Options:
    from bootstrap.aws import profiles, repos
    from bootstrap.doctor import checkup
    from bootstrap.ssh import keys, locations
    from bootstrap.ui import prompts

    if protocol == "https":
        profile = checkup.https_profile(args.profile)  # what git signs with, unless --profile
    else:
        profile = profiles.resolve_profile(args.profile)
    region = profiles.resolve_region(args.region, profile, prompts.NoPrompter())
    if args.repo:
        repos.check_name(args.repo)
    ssh_config = locations.expand(args.ssh_config) if args.ssh_config else None
    if ssh_config == locations.default_ssh_config():
        ssh_config = None
    return checkup.Options(
        profile=profile,
        region=region,
        user=args.user,
        key_path=_key_path(args.key, ssh_config or locations.default_ssh_config()),
        ssh_config=ssh_config,
        repo=args.repo,
        passphrase=keys.passphrase_from_env(args.passphrase_env),
        protocol=protocol,
    )


def _key_path(flag: str | None, ssh_config: Path) -> Path:
    """--key; else the key the managed block names, as init uses it; else the default."""
    from bootstrap import files
    from bootstrap.ssh import config_plan, locations

    if flag:
        return locations.expand(flag)
    named = config_plan.key_path_in_block(files.read_text_exact(ssh_config))
    return named or locations.default_key_path()


def _policy_region(args: argparse.Namespace) -> str:
    """The region for kms:ViaService; any will do when none is configured."""
    from bootstrap.aws import endpoints, profiles

    region = profiles.configured_region(args.region, profiles.resolve_profile(args.profile))
    return endpoints.check_region_shape(region or "us-east-1")
