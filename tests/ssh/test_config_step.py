"""The ssh config step on real files, judged by the real ssh: permissions ssh refuses, a BOM,
the macOS Keychain guard, files ssh does not read by default, symlinks, undo."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from ssh_home import HOST, PATTERN, SshHome

from bootstrap import files
from bootstrap.errors import LocalFileError
from bootstrap.results import CREATED, UNCHANGED, UPDATED
from bootstrap.ssh import config_files, config_plan, keychain, managed_block

KEY_ID = "APKACONFIGSTEP000001"


def apply(home: SshHome, path: Path | None = None, **options: object) -> config_plan.ConfigPlan:
    return home.config_step(KEY_ID, path, **options)[0]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --- permissions ssh refuses ----------------------------------------------------------------


def test_world_writable_config_is_refused_by_ssh_and_left_0600(ssh_home: SshHome) -> None:
    ssh_home.write_config(b"Host github.com\n    User git\n", mode=0o666)
    assert "Bad owner or permissions" in ssh_home.ssh_g().stderr  # the real ssh refuses it

    plan = apply(ssh_home)
    assert mode(ssh_home.config) == 0o600
    assert ssh_home.resolved() == (KEY_ID, "~/.ssh/codecommit_rsa")
    assert any("mode 666" in warning for warning in plan.warnings())


def test_group_writable_config_is_left_0600_too(ssh_home: SshHome) -> None:
    # Debian's ssh accepts this when the group is the user's own; other builds refuse it.
    ssh_home.write_config(b"Host github.com\n    User git\n", mode=0o664)
    apply(ssh_home)
    assert mode(ssh_home.config) == 0o600


def test_unchanged_rerun_still_fixes_a_world_writable_config(ssh_home: SshHome) -> None:
    apply(ssh_home)
    written = ssh_home.config.read_bytes()
    os.chmod(ssh_home.config, 0o646)  # someone loosened it after our run

    plan = config_plan.plan(ssh_home.config, True, PATTERN, ssh_home.key_path)
    assert plan.action_for(KEY_ID) == UPDATED  # same text, but ssh would refuse the file
    config_plan.write(plan, KEY_ID)
    assert ssh_home.config.read_bytes() == written
    assert mode(ssh_home.config) == 0o600
    assert ssh_home.ssh_g().returncode == 0


def test_group_writable_included_file_stops_and_names_it(ssh_home: SshHome) -> None:
    included = ssh_home.ssh_dir / "extra.conf"
    included.write_text("Host *\n    ServerAliveInterval 5\n")
    os.chmod(included, 0o666)
    ssh_home.write_config(b"Include extra.conf\n")
    before = ssh_home.config.read_bytes()

    with pytest.raises(LocalFileError) as caught:
        apply(ssh_home)
    assert str(included) in caught.value.cause
    assert caught.value.fix.startswith(f"chmod go-w {included}")
    assert ssh_home.config.read_bytes() == before  # nothing written: not our file to fix


# --- a byte-order mark ------------------------------------------------------------------------


def test_bom_that_ssh_refuses_is_removed_and_said(ssh_home: SshHome) -> None:
    ssh_home.write_config("\ufeffHost github.com\n    User git\n".encode())
    assert (
        config_files.refuses_bom()
    )  # OpenSSH 9.2 here: "Bad configuration option: \357\273\277host"
    assert ssh_home.ssh_g().returncode != 0

    plan = apply(ssh_home)
    assert not ssh_home.config.read_bytes().startswith(b"\xef\xbb\xbf")
    assert any("byte-order mark" in warning for warning in plan.warnings())
    assert ssh_home.ssh_g("github.com").returncode == 0


# --- macOS: AddKeysToAgent + UseKeychain, guarded -------------------------------------------


def make_key(path: Path, passphrase: str) -> None:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-N", passphrase, "-f", str(path)],
        check=True,
        stdin=subprocess.DEVNULL,
    )


def test_keychain_only_on_macos_and_only_with_a_passphrase(tmp_path: Path) -> None:
    plain, locked = tmp_path / "plain", tmp_path / "locked"
    make_key(plain, "")
    make_key(locked, "correct horse")
    assert keychain.wants_keychain(locked, None, platform="darwin")
    assert not keychain.wants_keychain(plain, None, platform="darwin")
    assert keychain.wants_keychain(tmp_path / "new", b"secret", platform="darwin")
    assert not keychain.wants_keychain(tmp_path / "new", None, platform="darwin")
    assert not keychain.wants_keychain(locked, b"secret", platform="linux")


def test_platform_comes_from_sys_platform_unless_injected(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")
    assert keychain.wants_keychain(tmp_path / "new", b"secret")
    monkeypatch.setattr(sys, "platform", "linux")
    assert not keychain.wants_keychain(tmp_path / "new", b"secret")


def test_guarded_keychain_block_parses_with_non_apple_ssh(ssh_home: SshHome) -> None:
    ssh_home.write_config(b"Host github.com\n    User git\n")
    apply(ssh_home, keychain=True)
    text = ssh_home.config.read_text()
    assert "UseKeychain yes" in text and "AddKeysToAgent yes" in text
    # This ssh is not Apple's: it would refuse UseKeychain, yet it reads the file, for
    # CodeCommit and for every other host.
    assert ssh_home.resolved() == (KEY_ID, "~/.ssh/codecommit_rsa")
    assert "addkeystoagent true" in ssh_home.ssh_g().stdout
    assert ssh_home.ssh_g("github.com").returncode == 0


def test_without_the_guard_non_apple_ssh_refuses_the_file(ssh_home: SshHome) -> None:
    # The control for the test above: the guard is what makes it parse.
    unguarded = managed_block.render_block(
        PATTERN, KEY_ID, "~/.ssh/codecommit_rsa", options=managed_block.BlockOptions(keychain=True)
    ).replace("    IgnoreUnknown UseKeychain\n", "")
    ssh_home.write_config(unguarded.encode())
    done = ssh_home.ssh_g("github.com")
    assert done.returncode != 0 and "usekeychain" in done.stderr.lower()


def test_rewrite_without_a_decision_keeps_the_keychain_lines(ssh_home: SshHome) -> None:
    apply(ssh_home, keychain=True)
    again = config_plan.plan(ssh_home.config, True, PATTERN, ssh_home.key_path)  # as rotate
    assert again.options.keychain and again.action_for(KEY_ID) == UNCHANGED


# --- where the file is --------------------------------------------------------------------


def test_config_ssh_does_not_read_is_said_and_checked_with_minus_f(ssh_home: SshHome) -> None:
    other = ssh_home.home / "elsewhere" / "ssh_config"
    other.parent.mkdir()
    plan = apply(ssh_home, path=other, host=HOST)
    assert plan.ssh_flag_config == other
    [warning] = config_files.location_warnings(other, False, HOST)
    assert "plain ssh and git will not use this block" in warning
    assert f"GIT_SSH_COMMAND='ssh -F {other}'" in warning
    assert ssh_home.ssh_g(HOST, "-F", str(other)).stdout.count(f"user {KEY_ID}") == 1
    assert f"user {KEY_ID}" not in ssh_home.ssh_g().stdout  # plain ssh indeed does not


def test_config_included_by_the_default_one_is_read_by_default(ssh_home: SshHome) -> None:
    included = ssh_home.ssh_dir / "codecommit.conf"
    included.write_text("# managed elsewhere\n")
    included.chmod(0o600)
    ssh_home.write_config(b"Include codecommit.conf\nHost *\n    User everyone\n")
    plan = apply(ssh_home, path=included, host=HOST)
    assert plan.ssh_reads_by_default and plan.ssh_flag_config is None
    assert ssh_home.resolved() == (KEY_ID, "~/.ssh/codecommit_rsa")  # plain ssh, no -F
    assert "through an Include" in config_files.location_warnings(included, False, HOST)[0]


def test_home_env_that_differs_from_the_account_home_is_said(
    ssh_home: SshHome, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "not-the-account-home"))
    [warning] = config_files.location_warnings(ssh_home.config, True, HOST)
    assert f"ssh takes ~ from the user database: {ssh_home.home}" in warning
    monkeypatch.setenv("HOME", str(ssh_home.home))
    assert config_files.location_warnings(ssh_home.config, True, HOST) == []


# --- creating, symlinks, undo ------------------------------------------------------------


def test_missing_config_is_created_0600(ssh_home: SshHome) -> None:
    plan = config_plan.plan(ssh_home.config, True, PATTERN, ssh_home.key_path)
    assert plan.before is None and plan.action_for(KEY_ID) == CREATED
    config_plan.write(plan, KEY_ID)
    assert mode(ssh_home.config) == 0o600
    assert ssh_home.resolved() == (KEY_ID, "~/.ssh/codecommit_rsa")


def test_symlinked_config_writes_the_target_keeps_the_link_and_backs_up_beside_it(
    ssh_home: SshHome,
) -> None:
    dotfiles = ssh_home.home / "dotfiles"
    dotfiles.mkdir()
    target = dotfiles / "ssh_config"
    target.write_bytes(b"Host github.com\n    User git\n")
    target.chmod(0o600)
    ssh_home.config.symlink_to(target)

    apply(ssh_home)
    assert ssh_home.config.is_symlink() and os.readlink(ssh_home.config) == str(target)
    assert managed_block.BEGIN in target.read_text()
    # The backup goes beside the name the user knows, not into the dotfiles repository.
    backup = ssh_home.ssh_dir / ("config" + files.BACKUP_SUFFIX)
    assert backup.read_bytes() == b"Host github.com\n    User git\n"
    assert sorted(p.name for p in dotfiles.iterdir()) == ["ssh_config"]


def test_restore_puts_back_bytes_and_mode(ssh_home: SshHome) -> None:
    original = b"# caf\xe9\r\nHost *\r\n    User me"
    ssh_home.write_config(original, mode=0o640)
    plan = apply(ssh_home)
    assert ssh_home.config.read_bytes() != original
    config_plan.restore(plan)
    assert ssh_home.config.read_bytes() == original and mode(ssh_home.config) == 0o640
    assert not plan.backup_path.exists()  # the run was undone: no backup of its own is left


def test_restore_puts_back_the_backup_an_earlier_run_left(ssh_home: SshHome) -> None:
    ssh_home.write_config(b"Host *\n    User me\n")
    earlier = ssh_home.ssh_dir / ("config" + files.BACKUP_SUFFIX)
    earlier.write_bytes(b"# an earlier run's backup\n")
    plan = apply(ssh_home)
    assert earlier.read_bytes() == b"Host *\n    User me\n"  # write replaced it
    config_plan.restore(plan)
    assert earlier.read_bytes() == b"# an earlier run's backup\n"


def test_hand_written_codecommit_lines_are_reported(ssh_home: SshHome) -> None:
    ssh_home.write_config(
        b"Host git-codecommit.*.amazonaws.com\n  User APKASTALE\n  IdentityFile ~/.ssh/id_rsa\n"
    )
    plan = apply(ssh_home)
    warnings = plan.warnings()
    assert "lines 2, 3" in warnings[0] and "`bootstrap remove` puts them back" in warnings[0]
    assert "--key ~/.ssh/id_rsa" in warnings[1]
    notes, details = config_plan.result_notes(plan)
    assert "hand-written CodeCommit lines 2, 3 commented out" in notes
    assert details["disabled_lines"] == [
        {"line": 2, "text": "User APKASTALE"},
        {"line": 3, "text": "IdentityFile ~/.ssh/id_rsa"},
    ]
    assert ssh_home.resolved() == (KEY_ID, "~/.ssh/codecommit_rsa")
    # With IdentitiesOnly, the old key is no longer offered at all: exactly one block decides.
    identities = [
        line for line in ssh_home.ssh_g().stdout.splitlines() if line.startswith("identityfile")
    ]
    assert identities == ["identityfile ~/.ssh/codecommit_rsa"]
