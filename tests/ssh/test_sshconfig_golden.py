"""Golden files: the configs people really have, in (`<case>.in`) and out (`<case>.out`).

Each case is applied as `init` applies it (plan, prove with ssh -G, write), compared byte for
byte with its golden output, and then judged by the REAL `ssh -G`, run as the temporary home's
account: CodeCommit must resolve to our key id and our key first, every other host exactly as
before, a second run must change nothing, and removing the block must give the input back.
`<case>.ssh/` holds extra files copied into ~/.ssh (for Include). Regenerate the outputs with
UPDATE_GOLDEN=1, then read the diff.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from ssh_home import HOST, SshHome

from bootstrap import files
from bootstrap.results import UNCHANGED
from bootstrap.ssh import managed_block

GOLDEN = Path(__file__).parent / "golden" / "ssh_config"
CASES = sorted(path.stem for path in GOLDEN.glob("*.in"))
KEY_ID = "APKAGOLDEN0000000001"
OTHER_HOSTS = ("github.com", "build", "bastion", "h#x", "unrelated.example.org")
# Per-case plan options (the platform decision itself is tested in test_config_step.py).
OPTIONS: dict[str, dict[str, bool]] = {"keychain_guard_macos": {"keychain": True}}


def apply(home: SshHome, case: str) -> str:
    """One `init` config step, as init.look/act run it; returns the action."""
    return home.config_step(KEY_ID, host=HOST, **OPTIONS.get(case, {}))[1]


def set_up(home: SshHome, case: str) -> bytes:
    extra = GOLDEN / f"{case}.ssh"
    if extra.is_dir():
        shutil.copytree(extra, home.ssh_dir, dirs_exist_ok=True)
        for path in home.ssh_dir.rglob("*"):
            path.chmod(0o700 if path.is_dir() else 0o600)
    before = (GOLDEN / f"{case}.in").read_bytes()
    home.write_config(before)
    return before


def comparable(ssh_g_output: str, case: str) -> list[str]:
    lines = ssh_g_output.splitlines()
    if OPTIONS.get(case, {}).get("keychain"):
        lines = [line for line in lines if not line.startswith("ignoreunknown ")]
    return lines


@pytest.mark.parametrize("case", CASES)
def test_golden(ssh_home: SshHome, case: str) -> None:
    before = set_up(ssh_home, case)
    others_before = {host: ssh_home.ssh_g(host) for host in OTHER_HOSTS}

    apply(ssh_home, case)
    after = ssh_home.config.read_bytes()
    golden = GOLDEN / f"{case}.out"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_bytes(after)
    assert after == golden.read_bytes(), f"{case}: output differs from {golden.name}"

    # The real ssh: our key id and our key come first for CodeCommit...
    assert ssh_home.resolved(HOST) == (KEY_ID, "~/.ssh/codecommit_rsa")
    assert ssh_home.resolved("git-codecommit.eu-west-1.amazonaws.com")[0] == KEY_ID
    # ...and every other host resolves exactly as it did (when ssh could read the file);
    # only the keychain guard is global by design (UseKeychain is then skipped everywhere).
    for host, was in others_before.items():
        if was.returncode == 0:
            assert comparable(ssh_home.ssh_g(host).stdout, case) == comparable(was.stdout, case)

    # A second run changes nothing, and removing the block gives the input back (without
    # the block it may already have had, and less a BOM that ssh refused, which stays gone).
    assert apply(ssh_home, case) == UNCHANGED
    assert ssh_home.config.read_bytes() == after
    restored = managed_block.remove_block(files.decode(after))
    assert restored == managed_block.remove_block(files.decode(before)).removeprefix(
        managed_block.BOM
    )


def test_every_case_has_a_golden_output() -> None:
    assert CASES and all((GOLDEN / f"{case}.out").exists() for case in CASES)
