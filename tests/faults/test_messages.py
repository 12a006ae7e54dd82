"""Messages that say what happened (issue 15, section 5): a full disk in the clone's scratch
folder is a local problem; a ControlPath folder that is missing, and every config line the
local ssh refuses, are named with their fix; whatever is not explained shows git's last lines.

What ssh says comes from the real ssh, run on the configs the tests write.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import small_disk

from bootstrap.diagnosis import rules
from bootstrap.errors import EXIT_GIT, EXIT_LOCAL
from sandbox.case import SandboxCase, unique

DOTFILE = """\
Host *
    UseKeychain yes
    AddKeysToAgent yes
    KexAlgorithms curve25519-sha256,no-such-kex@example.com
"""


def ssh_says(config: Path, *args: str) -> str:
    done = subprocess.run(
        ["ssh", "-F", str(config), *args], capture_output=True, text=True, check=False
    )
    assert done.returncode != 0
    return done.stderr


def test_every_line_ssh_refuses_is_named_with_its_fix(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.write_text(DOTFILE)
    found = rules.explain(ssh_says(config, "-G", "h"), rules.Context())
    assert found.kind == "ssh-config"
    assert f"line 2 of {config}: 'UseKeychain' is not an option this ssh knows" in found.cause
    assert f"line 4 of {config}" in found.cause and "'no-such-kex@example.com'" in found.cause
    assert "`IgnoreUnknown UseKeychain`" in found.fix
    assert "remove 'no-such-kex@example.com' from that KexAlgorithms line" in found.fix


def test_something_unexplained_shows_gits_last_lines() -> None:
    stderr = (
        "Cloning into 'r'...\n"
        "fatal: early thing\n"
        "error: RPC failed; curl 92 HTTP/2 stream 5 was not closed cleanly\n"
        "fatal: expected flush after ref listing\n"
    )
    found = rules.explain(stderr, rules.Context())
    assert found.kind == "unknown"
    assert "RPC failed" in found.cause and "expected flush after ref listing" in found.cause
    assert "Cloning into" not in found.cause


def test_the_servers_full_disk_is_not_called_ours() -> None:
    stderr = "remote: fatal: write error: No space left on device\nfatal: the remote end hung up\n"
    assert rules.explain(stderr, rules.Context()).kind != "disk-full"


# -- end to end ---------------------------------------------------------------------------------


@pytest.mark.e2e
def test_init_names_the_dotfile_lines_ssh_refuses(sandbox: SandboxCase) -> None:
    repo = sandbox.create_repo()
    sandbox.write_ssh_config(DOTFILE)
    sandbox.write_routing()
    done = sandbox.init("--repo", repo)
    assert "Traceback" not in done.stderr
    assert done.returncode == EXIT_LOCAL, done.stderr
    assert "'UseKeychain' is not an option this ssh knows" in done.stderr
    assert "IgnoreUnknown UseKeychain" in done.stderr
    assert "no-such-kex@example.com" in done.stderr
    assert sandbox.iam_keys() == []


@pytest.mark.e2e
def test_a_missing_controlpath_folder_is_named(sandbox: SandboxCase) -> None:
    repo = sandbox.ready()
    missing = Path("/tmp") / unique("cm") / "sockets"  # short: a socket path has 107 bytes
    sandbox.write_ssh_config(f"Host *\n    ControlMaster auto\n    ControlPath {missing}/%C\n")
    done = sandbox.init("--repo", repo)
    assert "Traceback" not in done.stderr
    assert done.returncode == EXIT_GIT, done.stderr
    assert f"the folder {missing} (from a ControlPath line in your ssh config)" in done.stderr
    assert f"mkdir -p {missing}" in done.stderr


def test_a_controlpath_too_long_for_a_socket_is_named() -> None:
    stderr = "ControlPath too long ('/home/u/.ssh/sockets/very/long/abc' >= 108 bytes)\n"
    found = rules.explain(stderr, rules.Context())
    assert found.kind == "control-path"
    assert "more than 107 bytes" in found.cause and "ControlPath ~/.ssh/cm-%C" in found.fix


@pytest.fixture
def full_tmpdir(tmp_path: Path) -> Iterator[Path]:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    small_disk.mount_tmpfs(scratch)
    try:
        small_disk.fill(scratch)
        os.unlink(scratch / "filler")
        # Room for the clone's first files only: the pack no longer fits.
        fd = os.open(scratch / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            os.write(fd, b"\0" * (64 * 1024 - 16 * 1024))
        finally:
            os.close(fd)
        yield scratch
    finally:
        subprocess.run(["umount", "-l", str(scratch)], check=False)


@pytest.mark.e2e
def test_a_full_disk_under_the_clone_is_a_local_problem(
    sandbox: SandboxCase, full_tmpdir: Path
) -> None:
    sandbox.write_routing()
    repo = unique("big")
    _push_big_branch(sandbox, sandbox.server.create_repo(repo))
    sandbox.env["TMPDIR"] = str(full_tmpdir)
    done = sandbox.init("--repo", repo)
    assert "Traceback" not in done.stderr
    assert done.returncode == EXIT_LOCAL, done.stderr
    assert "the disk is full where git was writing" in done.stderr
    assert "not the network or CodeCommit" in done.stderr
    assert "git could not reach" not in done.stderr


def _push_big_branch(case: SandboxCase, bare: Path) -> None:
    """A branch with 200 KiB of random bytes: more than the scratch disk holds."""
    seed = case.home / "seed"
    case.git("init", "-q", str(seed), check=True)
    (seed / "blob").write_bytes(os.urandom(200 * 1024))
    case.git("-C", str(seed), "add", "blob", check=True)
    who = ["-c", "user.name=t", "-c", "user.email=t@example.com"]
    case.git("-C", str(seed), *who, "commit", "-qm", "big", check=True)
    case.git("-C", str(seed), "push", "-q", str(bare), "HEAD:refs/heads/big", check=True)
