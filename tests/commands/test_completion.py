"""`bootstrap completion bash|zsh|fish`: the scripts complete for real.

bash is run with the script sourced, and its completion function is called the way readline
calls it (COMP_WORDS, COMP_CWORD), so what it offers is what a user sees on TAB. zsh and fish
are not installed here: their scripts are checked for content, and parsed when the shell exists.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

import botocore.session
import pytest

from bootstrap import cli
from bootstrap.aws import endpoints
from bootstrap.commands import completion

COMMANDS = sorted(
    next(a for a in cli.build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    .choices
)  # fmt: skip

# Calls the function `complete -F` registered for bootstrap as bash does on TAB: the words of
# the command line so far are "$@", the last one being the word under the cursor.
BASH_TAB = r"""
source "$SCRIPT" || exit 97
spec=$(complete -p bootstrap) || exit 98
function=${spec##*-F }; function=${function%% *}
COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 ))
COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
"$function" bootstrap "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}"
"""


def clean_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return env | {"HOME": str(home), "LANG": "C.UTF-8"}


def generate(shell: str, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bootstrap", "completion", shell],
        env=clean_env(home),
        cwd=home,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture(scope="module")
def scripts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each shell's script, as `bootstrap completion SHELL` prints it, in a file."""
    folder = tmp_path_factory.mktemp("completion")
    made = {}
    for shell in completion.SHELLS:
        done = generate(shell, folder)
        assert done.returncode == 0, done.stderr
        assert done.stderr == ""
        made[shell] = folder / f"bootstrap.{shell}"
        made[shell].write_text(done.stdout)
    return made


@pytest.fixture
def home(tmp_path: Path) -> Path:
    (tmp_path / "home").mkdir()
    return tmp_path / "home"


def tab(script: Path, *words: str, home: Path, env: dict[str, str] | None = None) -> list[str]:
    """What bash offers for `bootstrap WORDS…<TAB>` (the last word is the one being typed)."""
    done = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", BASH_TAB, "bash", "bootstrap", *words],
        env=clean_env(home) | {"SCRIPT": str(script)} | (env or {}),
        cwd=home,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    return [line for line in done.stdout.splitlines() if line]


def test_bash_completes_a_command(scripts: dict[str, Path], home: Path) -> None:
    assert tab(scripts["bash"], "i", home=home) == ["init"]


def test_bash_offers_every_command(scripts: dict[str, Path], home: Path) -> None:
    offered = tab(scripts["bash"], "", home=home)
    assert sorted(offered) == COMMANDS
    assert "completion" in offered


def test_bash_completes_flags(scripts: dict[str, Path], home: Path) -> None:
    assert sorted(tab(scripts["bash"], "init", "--pro", home=home)) == ["--profile", "--protocol"]
    assert tab(scripts["bash"], "--vers", home=home) == ["--version"]


@pytest.mark.parametrize("command", ["init", "doctor"])
def test_bash_completes_protocol_choices(
    scripts: dict[str, Path], home: Path, command: str
) -> None:
    assert tab(scripts["bash"], command, "--protocol", "", home=home) == ["ssh", "https"]


def test_bash_completes_codecommit_regions(scripts: dict[str, Path], home: Path) -> None:
    assert tab(scripts["bash"], "init", "--region", "", home=home) == endpoints.codecommit_regions()
    offered = tab(scripts["bash"], "status", "--region", "eu-west-", home=home)
    assert offered == ["eu-west-1", "eu-west-2", "eu-west-3"]


def test_regions_are_the_wizards_without_importing_botocore() -> None:
    assert completion.known_regions() == endpoints.codecommit_regions()


def test_bash_completes_key_sizes(scripts: dict[str, Path], home: Path) -> None:
    assert tab(scripts["bash"], "init", "--key-bits", "", home=home) == ["2048", "3072", "4096"]


def test_bash_completes_paths(scripts: dict[str, Path], home: Path) -> None:
    (home / "codecommit_rsa").write_text("")
    assert tab(scripts["bash"], "init", "--key", "codec", home=home) == ["codecommit_rsa"]


AWS_CONFIG = """\
[default]
region = eu-west-1
[profile dev]
region = eu-west-1
[profile  ops ]
[sso-session corp]
sso_start_url = https://example.invalid/start
[services local]
[plugins]
[profile two words]
"""

AWS_CREDENTIALS = """\
[ci]
aws_access_key_id = AKIAEXAMPLE
[dev]
[ spaced ]
"""


def write_aws_files(home: Path) -> None:
    (home / ".aws").mkdir()
    (home / ".aws" / "config").write_text(AWS_CONFIG)
    (home / ".aws" / "credentials").write_text(AWS_CREDENTIALS)


def botocore_profiles(home: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The profiles botocore finds in `home`'s AWS files, but for names with a space."""
    monkeypatch.setenv("HOME", str(home))
    for name in ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    profiles = botocore.session.Session().available_profiles
    return [name for name in profiles if " " not in name]


def test_bash_completes_the_profiles_botocore_finds(
    scripts: dict[str, Path], home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_aws_files(home)
    offered = tab(scripts["bash"], "init", "--profile", "", home=home)
    assert offered == ["default", "dev", "ops", "ci"]
    assert sorted(offered) == sorted(botocore_profiles(home, monkeypatch))
    assert tab(scripts["bash"], "doctor", "--profile", "d", home=home) == ["default", "dev"]


def test_profiles_are_read_at_each_tab_where_the_environment_says(
    scripts: dict[str, Path], home: Path, tmp_path: Path
) -> None:
    """A profile added after the script was made completes: the files are read on TAB, at
    $AWS_CONFIG_FILE and $AWS_SHARED_CREDENTIALS_FILE when set."""
    assert tab(scripts["bash"], "init", "--profile", "", home=home) == []
    config, credentials = tmp_path / "config", tmp_path / "credentials"
    config.write_text("[profile later]\n")
    credentials.write_text("[robot]\n")
    where = {"AWS_CONFIG_FILE": str(config), "AWS_SHARED_CREDENTIALS_FILE": str(credentials)}
    offered = tab(scripts["bash"], "init", "--profile", "", home=home, env=where)
    assert offered == ["later", "robot"]


def test_bash_completes_environment_variable_names(scripts: dict[str, Path], home: Path) -> None:
    offered = tab(
        scripts["bash"], "init", "--passphrase-env", "CC_PASS", home=home,
        env={"CC_PASSPHRASE": "not shown"},
    )  # fmt: skip
    assert offered == ["CC_PASSPHRASE"]


def test_zsh_script_names_every_command_and_value(scripts: dict[str, Path]) -> None:
    text = scripts["zsh"].read_text()
    assert text.startswith("#compdef bootstrap")
    for command in COMMANDS:
        assert f"{command}:" in text or f"'{command}:" in text, command
    assert "(ssh https)" in text
    assert "(" + " ".join(endpoints.codecommit_regions()) + ")" in text
    assert "_bootstrap_aws_profiles() {" in text


def test_fish_script_names_every_command_and_value(scripts: dict[str, Path]) -> None:
    text = scripts["fish"].read_text()
    for command in COMMANDS:
        assert f"-a {command}" in text, command
    assert "-l protocol" in text and '"ssh https"' in text
    assert "function _bootstrap_aws_profiles" in text


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed")
def test_zsh_loads_its_script(scripts: dict[str, Path], home: Path) -> None:
    parsed = subprocess.run(["zsh", "-n", str(scripts["zsh"])], capture_output=True, text=True)
    assert parsed.returncode == 0, parsed.stderr
    loaded = subprocess.run(
        ["zsh", "-fc", f"autoload -U compinit && compinit -u && source {scripts['zsh']}"],
        env=clean_env(home),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert loaded.returncode == 0, loaded.stderr


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed")
def test_fish_completes_with_its_script(scripts: dict[str, Path], home: Path) -> None:
    done = subprocess.run(
        ["fish", "--no-config", "-c", f"source {scripts['fish']}; complete -C 'bootstrap i'"],
        env=clean_env(home),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    assert [line.split("\t")[0] for line in done.stdout.splitlines()] == ["init"]


def test_an_unknown_shell_is_a_usage_error(home: Path) -> None:
    done = generate("tcsh", home)
    assert done.returncode == 2
    assert "invalid choice: 'tcsh'" in done.stderr and done.stdout == ""
