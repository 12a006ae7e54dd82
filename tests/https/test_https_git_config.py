"""The global git config section for CodeCommit over HTTPS, written and read back by the real
`git`, in a temporary home: exactly the section specified, idempotent, nothing else touched,
taken away byte for byte, and what git then really does with it (`git credential fill`)."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from bootstrap.errors import LocalFileError
from bootstrap.https import git_config, helper_program, signing
from bootstrap.results import CREATED, UNCHANGED, UPDATED

WILD = "https://git-codecommit.*.amazonaws.com"
WILD_CN = "https://git-codecommit.*.amazonaws.com.cn"
BOOTSTRAP = helper_program.HelperCommand("bootstrap", True)
BEFORE = """\
# my settings
[user]
\tname = Dev Eloper
\temail = dev@example.com
[credential]
\thelper = store
[credential "https://github.com"]
\thelper = !gh auth git-credential
[alias]
\tco = checkout
"""


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary home for git: no system config, no XDG or GIT_CONFIG_GLOBAL from outside."""
    for name in ("GIT_CONFIG_GLOBAL", "XDG_CONFIG_HOME", "GIT_CONFIG", "GIT_CONFIG_COUNT"):
        monkeypatch.delenv(name, raising=False)
    for name in ("GIT_ASKPASS", "SSH_ASKPASS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_TERMINAL_PROMPT", "0")
    return tmp_path


def git(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args], input=stdin, capture_output=True, text=True, timeout=30, check=False
    )


def get_all(url: str, name: str) -> list[str]:
    done = git("config", "--global", "--get-all", f"credential.{url}.{name}")
    return done.stdout.splitlines() if done.returncode == 0 else []


def init(profile: str | None = "dev", command: helper_program.HelperCommand = BOOTSTRAP) -> str:
    planned = git_config.plan(git_config.look(), command, profile)
    return git_config.apply(planned)


def test_the_section_is_exactly_as_specified(home: Path) -> None:
    assert init() == CREATED
    for url in (WILD, WILD_CN):
        assert get_all(url, "helper") == ["", "!bootstrap git-credential --profile dev"]
        assert get_all(url, "useHttpPath") == ["true"]
    text = (home / ".gitconfig").read_text()
    assert text.startswith(
        f'[credential "{WILD}"]\n'
        "\thelper = \n"
        "\thelper = !bootstrap git-credential --profile dev\n"
        "\tuseHttpPath = true\n"
    )
    assert text.endswith(
        f'[credential "{WILD_CN}"]\n'
        "\thelper = \n"
        "\thelper = !bootstrap git-credential --profile dev\n"
        "\tuseHttpPath = true\n"
    )


def test_without_a_profile_the_helper_has_no_flag(home: Path) -> None:
    init(profile=None)
    assert get_all(WILD, "helper") == ["", "!bootstrap git-credential"]


def test_a_second_run_changes_no_byte(home: Path) -> None:
    (home / ".gitconfig").write_text(BEFORE)
    init()
    path = home / ".gitconfig"
    first, stat = path.read_bytes(), path.stat()
    planned = git_config.plan(git_config.look(), BOOTSTRAP, "dev")
    assert planned.action == UNCHANGED
    assert {s.action for s in planned.sections} == {UNCHANGED}
    assert git_config.apply(planned) == UNCHANGED
    assert path.read_bytes() == first
    assert (path.stat().st_ino, path.stat().st_mtime_ns) == (stat.st_ino, stat.st_mtime_ns)


def test_other_sections_and_settings_are_untouched(home: Path) -> None:
    (home / ".gitconfig").write_text(BEFORE)
    init()
    after = (home / ".gitconfig").read_text()
    assert after.startswith(BEFORE)  # git appended; nothing before changed
    assert get_all("https://github.com", "helper") == ["!gh auth git-credential"]
    assert git("config", "--global", "--get-all", "credential.helper").stdout == "store\n"
    assert git("config", "--global", "user.email").stdout == "dev@example.com\n"


def test_remove_restores_the_file_byte_for_byte(home: Path) -> None:
    path = home / ".gitconfig"
    path.write_text(BEFORE)
    init()
    removed = git_config.remove()
    assert removed.sections == (WILD, WILD_CN) and not removed.deleted_file
    assert path.read_text() == BEFORE


def test_remove_deletes_a_file_that_init_created(home: Path) -> None:
    path = home / ".gitconfig"
    init()
    assert get_all(WILD, "bootstrapCreatedFile") == ["true"]
    assert get_all(WILD_CN, "bootstrapCreatedFile") == []
    assert git_config.remove().deleted_file
    assert not path.exists()


def test_remove_keeps_a_created_file_that_got_other_settings(home: Path) -> None:
    path = home / ".gitconfig"
    init()
    assert git("config", "--global", "user.name", "Later").returncode == 0
    assert not git_config.remove().deleted_file
    assert path.read_text() == "[user]\n\tname = Later\n"


def test_an_empty_file_before_stays_an_empty_file(home: Path) -> None:
    path = home / ".gitconfig"
    path.write_bytes(b"")
    init()
    assert git_config.remove() == git_config.Removed(path, (WILD, WILD_CN), False)
    assert path.read_bytes() == b""


def test_remove_without_a_section_changes_nothing(home: Path) -> None:
    path = home / ".gitconfig"
    path.write_text(BEFORE)
    assert git_config.remove().sections == ()
    assert path.read_text() == BEFORE
    path.unlink()
    assert git_config.remove() == git_config.Removed(path, (), False)
    assert not path.exists()


def test_another_profile_updates_the_section_in_place_of_the_old(home: Path) -> None:
    path = home / ".gitconfig"
    path.write_text(BEFORE)
    init("dev")
    planned = git_config.plan(git_config.look(), BOOTSTRAP, "prod")
    assert planned.action == UPDATED
    git_config.apply(planned)
    assert get_all(WILD, "helper") == ["", "!bootstrap git-credential --profile prod"]
    assert git_config.plan(git_config.look(), BOOTSTRAP, "prod").action == UNCHANGED
    git_config.remove()
    assert path.read_text() == BEFORE


def test_an_update_keeps_the_created_file_fact(home: Path) -> None:
    init("dev")
    init("prod")
    assert get_all(WILD, "bootstrapCreatedFile") == ["true"]
    assert git_config.remove().deleted_file


def test_a_section_someone_else_wrote_stops_init_untouched(home: Path) -> None:
    path = home / ".gitconfig"
    text = BEFORE + f'[credential "{WILD}"]\n\thelper = !aws codecommit credential-helper $@\n'
    path.write_text(text)
    seen = git_config.look()
    assert seen.not_ours == (WILD,) and seen.ours == ()
    with pytest.raises(LocalFileError) as caught:
        git_config.plan(seen, BOOTSTRAP, "dev")
    assert "--remove-section" in caught.value.fix
    assert git_config.remove().sections == ()
    assert path.read_text() == text


def test_our_helper_with_extra_settings_is_not_ours(home: Path) -> None:
    init()
    git("config", "--global", f"credential.{WILD}.username", "me")
    assert git_config.look().not_ours == (WILD,)


def test_older_git_gets_one_section_per_region(home: Path) -> None:
    urls = git_config.section_urls((2, 25))
    assert "https://git-codecommit.eu-west-1.amazonaws.com" in urls
    assert "https://git-codecommit.cn-north-1.amazonaws.com.cn" in urls
    assert not any("*" in url for url in urls)
    assert git_config.section_urls((2, 26)) == (WILD, WILD_CN)
    assert git_config.section_urls(None) == urls  # a version we cannot read: the safe way


def test_upgrading_git_replaces_the_per_region_sections(home: Path) -> None:
    path = home / ".gitconfig"
    path.write_text(BEFORE)
    old = git_config.section_urls((2, 25))
    git_config.apply(git_config.plan(git_config.look(), BOOTSTRAP, "dev", old))
    assert set(git_config.look().ours) == set(old)
    planned = git_config.plan(git_config.look(), BOOTSTRAP, "dev")
    assert planned.action == UPDATED and set(planned.stale) == set(old)
    git_config.apply(planned)
    assert git_config.look().ours == (WILD, WILD_CN)
    git_config.remove()
    assert path.read_text() == BEFORE


def test_git_config_global_is_respected(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = home / "dotfiles" / "gitconfig"
    elsewhere.parent.mkdir()
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(elsewhere))
    assert git_config.global_config_path() == elsewhere
    init()
    assert not (home / ".gitconfig").exists()
    assert "git-credential" in elsewhere.read_text()
    assert git_config.remove().deleted_file and not elsewhere.exists()


def test_the_xdg_file_when_only_it_exists(home: Path) -> None:
    xdg = home / ".config" / "git" / "config"
    xdg.parent.mkdir(parents=True)
    xdg.write_text(BEFORE)
    assert git_config.global_config_path() == xdg
    init()
    assert not (home / ".gitconfig").exists() and "git-credential" in xdg.read_text()
    git_config.remove()
    assert xdg.read_text() == BEFORE


def test_a_git_that_hangs_is_bounded(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "git"
    fake.write_text("#!/bin/sh\nexec sleep 30\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(git_config, "GIT_TIMEOUT", 0.5)
    with pytest.raises(LocalFileError) as caught:
        git_config.look()
    assert "did not finish" in caught.value.cause


# --- which program git runs -----------------------------------------------------------------


def test_helper_command_is_bootstrap_when_path_finds_this_program(tmp_path: Path) -> None:
    program = tmp_path / "bin" / "bootstrap"
    program.parent.mkdir()
    program.write_text("#!/bin/sh\n")
    link = tmp_path / "link-to-bootstrap"
    link.symlink_to(program)
    assert helper_program.helper_command(str(program), which=lambda _: str(link)) == BOOTSTRAP


def test_helper_command_is_the_absolute_path_otherwise(tmp_path: Path) -> None:
    program = tmp_path / "my tools" / "bootstrap"
    found = helper_program.helper_command(str(program), which=lambda _: "/usr/bin/bootstrap")
    assert found == helper_program.HelperCommand(shlex.quote(str(program)), False)
    assert helper_program.helper_command(str(program), which=lambda _: None).on_path is False
    helper = found.helper("my profile")
    assert helper_program.parse_helper(helper) == (shlex.quote(str(program)), "my profile")


def test_helper_command_under_python_m(tmp_path: Path) -> None:
    found = helper_program.helper_command("/src/bootstrap/__main__.py", "/venv/bin/python")
    assert found == helper_program.HelperCommand("/venv/bin/python -m bootstrap", False)


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("!bootstrap git-credential", ("bootstrap", None)),
        ("!bootstrap git-credential --profile dev", ("bootstrap", "dev")),
        ("!'/opt/my tools/bootstrap' git-credential", ("'/opt/my tools/bootstrap'", None)),
        ("!/usr/bin/gh auth git-credential", None),
        ("!aws codecommit credential-helper $@", None),
        ("store", None),
        ("", None),
        ("!bootstrap git-credential --profile", None),
    ],
)
def test_parse_helper(value: str, parsed: tuple[str, str | None] | None) -> None:
    assert helper_program.parse_helper(value) == parsed


# --- what git does with it --------------------------------------------------------------------


def fill(url: str) -> subprocess.CompletedProcess[str]:
    """`git credential fill` for `url`, as git asks before an HTTPS fetch."""
    protocol, rest = url.split("://", 1)
    host, _, path = rest.partition("/")
    return git("credential", "fill", stdin=f"protocol={protocol}\nhost={host}\npath={path}\n\n")


def fake_program(home: Path, name: str, username: str) -> Path:
    """A helper that logs its arguments and answers with `username` and the path it was sent."""
    script = home / name
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$@" >> "{home}/{name}.log"\n'
        'path=$(sed -n "s/^path=//p")\n'
        'last=""; for word in "$@"; do last=$word; done\n'
        f'if [ "$last" = get ]; then printf "username={username}\\npassword=%s\\n" '
        '"signed:$path"; fi\n'
    )
    script.chmod(0o755)
    return script


def test_git_asks_our_helper_for_codecommit_and_only_for_it(home: Path) -> None:
    other = fake_program(home, "other-helper", "other")
    (home / ".gitconfig").write_text(f"[credential]\n\thelper = {other}\n")
    ours = fake_program(home, "fake-bootstrap", "ours")
    init("dev", helper_program.HelperCommand(str(ours), False))

    done = fill("https://git-codecommit.eu-west-1.amazonaws.com/v1/repos/x")
    assert done.returncode == 0, done.stderr
    assert "username=ours\npassword=signed:v1/repos/x\n" in done.stdout  # useHttpPath: the path
    assert (home / "fake-bootstrap.log").read_text() == "git-credential --profile dev get\n"
    assert not (home / "other-helper.log").exists()  # `helper =` cleared the one before

    done = fill("https://git-codecommit.cn-north-1.amazonaws.com.cn/v1/repos/y")
    assert "username=ours\npassword=signed:v1/repos/y\n" in done.stdout

    done = fill("https://github.com/owner/repo.git")
    assert "username=other\n" in done.stdout
    assert "password=signed:\n" in done.stdout  # no useHttpPath for github.com: no path sent
    assert (home / "fake-bootstrap.log").read_text().count("\n") == 2  # not asked for github


def test_git_and_the_real_helper_end_to_end(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """git runs `python -m bootstrap git-credential get` and gets a password it can send."""
    for name in [n for n in os.environ if n.startswith("AWS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    aws = home / ".aws"
    aws.mkdir()
    (aws / "credentials").write_text(
        "[dev]\naws_access_key_id = AKIAGITE2E\naws_secret_access_key = e2e-secret\n"
    )
    init(
        "dev",
        helper_program.HelperCommand(f"{shlex.quote(sys.executable)} -m bootstrap", False),
    )
    done = fill("https://git-codecommit.eu-west-1.amazonaws.com/v1/repos/e2e")
    assert done.returncode == 0, done.stderr
    answer = dict(line.split("=", 1) for line in done.stdout.splitlines())
    assert answer["username"] == "AKIAGITE2E"
    when = datetime.strptime(answer["password"][:15], "%Y%m%dT%H%M%S")
    host = "git-codecommit.eu-west-1.amazonaws.com"
    expected = signing.password("e2e-secret", "eu-west-1", host, "v1/repos/e2e", when)
    assert answer["password"] == expected
