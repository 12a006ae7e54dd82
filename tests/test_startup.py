"""`bootstrap --help`, `--version` and argument errors start instantly: no heavy import.

Measured with `python -X importtime`, which lists every module a run imports: boto3, botocore,
paramiko, questionary and cryptography (nor shtab) must not be among them. Every command in
cli.COMMANDS is covered, so a new command is checked the day it is added. A list of modules,
never a time.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bootstrap import __version__, cli

# shtab is not heavy, but only `bootstrap completion` needs it, so only it may load it.
HEAVY = ("boto3", "botocore", "paramiko", "questionary", "cryptography", "shtab")


def command_names() -> list[str]:
    """The subcommands the parser offers, from every module in cli.COMMANDS."""
    parser = cli.build_parser()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return sorted(action.choices)
    raise AssertionError("bootstrap has no subcommands")


COMMANDS = command_names()


def clean_env(home: Path) -> dict[str, str]:
    """No AWS settings and a temporary home: nothing to read, nothing to touch."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return env | {"HOME": str(home), "AWS_CONFIG_FILE": os.devnull, "LANG": "C.UTF-8"}


def imported_modules(stderr: str) -> set[str]:
    """Module names from `-X importtime` lines: 'import time: self | cumulative | name'."""
    names = set()
    for line in stderr.splitlines():
        if line.startswith("import time:") and line.count("|") == 2:
            name = line.rsplit("|", 1)[1].strip()
            if name != "package":  # the header line
                names.add(name)
    return names


def heavy_in(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in HEAVY)


def run_timed_imports(*args: str, home: Path) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "bootstrap", *args],
        env=clean_env(home),
        cwd=home,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    modules = imported_modules(done.stderr)
    assert "bootstrap.cli" in modules, "-X importtime listed nothing: the check would be blind"
    return done, modules


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path


def test_there_are_commands_to_check() -> None:
    assert "init" in COMMANDS and "policy" in COMMANDS


def test_help_imports_nothing_heavy(home: Path) -> None:
    done, modules = run_timed_imports("--help", home=home)
    assert done.returncode == 0
    assert "usage: bootstrap" in done.stdout
    assert heavy_in(modules) == []


def test_no_arguments_prints_help_and_imports_nothing_heavy(home: Path) -> None:
    done, modules = run_timed_imports(home=home)
    assert done.returncode == 0
    assert "usage: bootstrap" in done.stdout
    assert heavy_in(modules) == []


def test_version_imports_nothing_heavy(home: Path) -> None:
    done, modules = run_timed_imports("--version", home=home)
    assert done.returncode == 0
    assert done.stdout.strip() == f"bootstrap {__version__}"
    assert heavy_in(modules) == []


@pytest.mark.parametrize("command", COMMANDS)
def test_command_help_imports_nothing_heavy(command: str, home: Path) -> None:
    done, modules = run_timed_imports(command, "--help", home=home)
    assert done.returncode == 0
    assert f"usage: bootstrap {command}" in done.stdout
    assert heavy_in(modules) == []


@pytest.mark.parametrize("command", COMMANDS)
def test_unknown_flag_imports_nothing_heavy(command: str, home: Path) -> None:
    done, modules = run_timed_imports(command, "--no-such-flag", home=home)
    assert done.returncode == 2
    # argparse's refusal (a command with required arguments would name those instead)
    assert "usage: bootstrap" in done.stderr and "error:" in done.stderr
    assert heavy_in(modules) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("init", "--key-bits"), "argument --key-bits: expected one argument"),
        (("init", "--key-bits", "many"), "argument --key-bits: invalid int value: 'many'"),
        (("no-such-command",), "invalid choice: 'no-such-command'"),
    ],
)
def test_argument_error_imports_nothing_heavy(
    args: tuple[str, ...], message: str, home: Path
) -> None:
    done, modules = run_timed_imports(*args, home=home)
    assert done.returncode == 2
    assert message in done.stderr
    assert heavy_in(modules) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--region", "nowhere"), "error: 'nowhere' is not an AWS region name"),
        (
            ("--region", "us-east-1", "--repo", "r", "--key-bits", "1000"),
            "error: --key-bits 1000 is not offered",
        ),
        (
            ("--region", "us-east-1", "--repo", "r", "--accept-host-key", "abc"),
            "error: --accept-host-key 'abc' is not a SHA256 fingerprint",
        ),
    ],
)
def test_bad_init_value_is_refused_before_anything_heavy(
    args: tuple[str, ...], message: str, home: Path
) -> None:
    """A value the parser accepts but init refuses: refused before AWS or ssh is touched."""
    done, modules = run_timed_imports("init", "--yes", *args, home=home)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    assert heavy_in(modules) == []
    assert list(home.iterdir()) == []  # nothing written to the home either


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_script_loads_shtab_and_nothing_heavy(shell: str, home: Path) -> None:
    """The script is printed in every shell that evals it at start-up: shtab, never botocore
    (its region list is read as plain JSON)."""
    done, modules = run_timed_imports("completion", shell, home=home)
    assert done.returncode == 0, done.stderr
    assert "bootstrap" in done.stdout
    assert heavy_in(modules) == ["shtab"]


def test_the_check_sees_a_heavy_import(home: Path) -> None:
    """The detector is not blind: a run that does import botocore is caught."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import botocore.session"],
        env=clean_env(home),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "botocore.session" in heavy_in(imported_modules(done.stderr))
