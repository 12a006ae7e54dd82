"""`bootstrap completion bash|zsh|fish`: print the shell's completion script.

shtab writes it from the parser itself, so every command and flag is in it, and values where
they are known: `--protocol`'s choices, CodeCommit's regions, the key sizes, paths, environment
variable names, and AWS profiles, which the shell reads from the AWS files at each TAB (a small
awk program: a profile added later completes without a new script). Pressing TAB never runs
Python. shtab is imported only when a script is asked for, so `--help` never loads it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from typing import Any

from bootstrap.commands import flags
from bootstrap.errors import EXIT_OK

SHELLS = ("bash", "zsh", "fish")

# Profile names, as botocore reads them: `[default]` and `[profile NAME]` in the config file
# (not `[sso-session …]` or `[services …]`), every `[NAME]` in the credentials file, each file
# where $AWS_CONFIG_FILE / $AWS_SHARED_CREDENTIALS_FILE puts it; a name with a space in it is
# left out (it would not complete as one word). No quote or backslash inside, so the program
# sits as is in single quotes in bash, zsh and fish alike.
PROFILES_AWK = """
function read(file, is_config,   line, name) {
  while ((getline line < file) > 0) {
    if (!match(line, /^[[].*[]]/)) continue
    name = substr(line, 2, RLENGTH - 2)
    if (is_config && name != "default") {
      if (name !~ /^profile[[:space:]]+[^[:space:]]+[[:space:]]*$/) continue
      sub(/^profile[[:space:]]+/, "", name)
      sub(/[[:space:]]+$/, "", name)
    }
    if (name == "" || name ~ /[[:space:]]/ || name in seen) continue
    seen[name] = 1
    print name
  }
  close(file)
}
BEGIN {
  config = ENVIRON["AWS_CONFIG_FILE"]
  if (config == "") config = ENVIRON["HOME"] "/.aws/config"
  credentials = ENVIRON["AWS_SHARED_CREDENTIALS_FILE"]
  if (credentials == "") credentials = ENVIRON["HOME"] "/.aws/credentials"
  read(config, 1)
  read(credentials, 0)
}
"""

PROFILES: dict[str, Any] = {
    "bash": "_bootstrap_aws_profiles",
    "zsh": "_bootstrap_aws_profiles",
    "fish": "(_bootstrap_aws_profiles)",
    "preamble": {
        "bash": "_bootstrap_aws_profiles() {\n"
        f'  compgen -W "$(awk \'{PROFILES_AWK}\')" -- "$1"\n}}',
        "zsh": "_bootstrap_aws_profiles() {\n  local -a profiles\n"
        f"  profiles=(${{(f)\"$(awk '{PROFILES_AWK}')\"}})\n  compadd -a profiles\n}}",
        "fish": f"function _bootstrap_aws_profiles\n  awk '{PROFILES_AWK}'\nend",
    },
}

ENVIRONMENT_VARIABLES: dict[str, Any] = {
    "bash": "_bootstrap_environment_variables",
    "zsh": "_bootstrap_environment_variables",
    "fish": "(set -xn)",
    "preamble": {
        "bash": '_bootstrap_environment_variables() {\n  compgen -e -- "$1"\n}',
        "zsh": "_bootstrap_environment_variables() {\n"
        "  compadd -- ${(k)parameters[(R)*export*]}\n}",
    },
}


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = flags.add_command(
        commands,
        "completion",
        "print the shell completion script (bash, zsh, fish)",
        "Print the completion script for your shell: commands, flags, and values where they "
        "are known (regions, AWS profiles, --protocol, key sizes, paths). Install it once; see "
        "the README's 'Shell completion' for where each shell looks.",
    )
    parser.add_argument("shell", choices=SHELLS, help="the shell to complete in")
    parser.set_defaults(handler=lambda args: run(args, commands))


def run(args: argparse.Namespace, commands: argparse._SubParsersAction) -> int:  # type: ignore[type-arg]
    import shtab

    from bootstrap.ssh import keys

    by_flag = {
        "region": words("_bootstrap_regions", known_regions()),
        "profile": PROFILES,
        "key_bits": words("_bootstrap_key_bits", [str(bits) for bits in keys.ALLOWED_NEW_BITS]),
        "passphrase_env": ENVIRONMENT_VARIABLES,
    }
    by_metavar = {"PATH": shtab.FILE, "FILE": shtab.FILE, "DIR": shtab.DIRECTORY}
    top = whole_command_line(commands)
    for action in _every_action(top):
        known = by_flag.get(action.dest) or by_metavar.get(str(action.metavar))
        if known is not None:
            action.complete = known  # type: ignore[attr-defined]  # what shtab reads
    sys.stdout.write(shtab.complete(top, args.shell))
    return EXIT_OK


def whole_command_line(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    """The `bootstrap` parser: its own flags and every command.

    argparse keeps no link from the commands back to the top-level parser (and commands/ may
    not import cli.py), but the group it filed the commands in (`container`, set by argparse on
    every action) shares that parser's actions: a parser with it as a parent holds them all."""
    group = commands.container  # type: ignore[attr-defined]  # not in typeshed
    return argparse.ArgumentParser(prog=commands._prog_prefix, add_help=False, parents=[group])


def known_regions() -> list[str]:
    """The regions the wizard offers (endpoints.codecommit_regions), from botocore's own
    endpoints.json read as plain JSON: importing botocore to load it would take longer than the
    rest of this command (half a second on a busy machine), in every shell that evals the
    script at start-up. Should a botocore not ship that file, botocore loads its data itself."""
    import importlib.util
    import json
    from pathlib import Path

    from bootstrap.aws import endpoints

    botocore = importlib.util.find_spec("botocore")  # finds the package, runs none of it
    folders = botocore.submodule_search_locations if botocore else None
    data = Path(next(iter(folders)), "data", "endpoints.json") if folders else None
    if data is None or not data.is_file():
        return endpoints.codecommit_regions()
    return endpoints.codecommit_regions(json.loads(data.read_bytes())["partitions"])


def words(name: str, values: Sequence[str]) -> dict[str, Any]:
    """A fixed list of values, in each shell's form (bash wants a function that filters)."""
    listed = " ".join(values)
    return {
        "bash": name,
        "zsh": f"({listed})",
        "fish": listed,
        "preamble": {"bash": f'{name}() {{\n  compgen -W "{listed}" -- "$1"\n}}'},
    }


def _every_action(parser: argparse.ArgumentParser) -> Iterator[argparse.Action]:
    for action in parser._actions:
        yield action
        if isinstance(action, argparse._SubParsersAction):
            for command in action.choices.values():
                yield from _every_action(command)
