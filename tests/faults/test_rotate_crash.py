"""rotate killed at chosen points: a working key at every moment, and the old key retired by the
re-run (issue 15, section 2).

Each kill point is a step of the rotation, reached either as an IAM request arrives at the fault
proxy (deterministic: the request is held, so IAM never acts on it) or as a file the step
creates appears (sandbox/stop_at.py: the kill lands within a poll of it). After the kill, plain
git must work with whatever the ssh config names; after the re-run, the one key in IAM is the
new one, the original is gone, and nothing of the rotation is left behind.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from sandbox.case import SandboxCase
from sandbox.fault_proxy import FaultProxy
from sandbox.poll import wait_until
from sandbox.stop_at import signal_on, when_file_appears, when_true

pytestmark = pytest.mark.e2e

UPLOAD, UPDATE, DELETE = "UploadSSHPublicKey", "UpdateSSHPublicKey", "DeleteSSHPublicKey"


def rotate_args(case: SandboxCase, *extra: str) -> list[str]:
    return ["rotate", "--yes", "--region", case.region, "--key-bits", "2048", *extra]


def statuses(case: SandboxCase) -> dict[str, str]:
    return {key["SSHPublicKeyId"]: key["Status"] for key in case.iam_keys()}


def block_user(case: SandboxCase) -> str:
    config = (case.ssh_dir / "config").read_text()
    block = config.split("# >>> bootstrap", 1)[1]
    return next(line.split()[1] for line in block.splitlines() if line.strip().startswith("User "))


def rotation_leftovers(case: SandboxCase) -> list[str]:
    """What the rotation itself makes and must not leave (the config's own temporary file,
    from a kill inside an atomic write, is another matter)."""
    return sorted(
        p.name
        for p in case.ssh_dir.iterdir()
        if p.name.startswith("codecommit_rsa.new")
        or p.name.endswith(".bootstrap-rotate.tmp")
        or p.name == "bootstrap.rotation.json"
    )


def at_request(action: str, *, acted: bool = False) -> Callable[..., None]:
    """Kill as `action` arrives (IAM never acts on it), or once IAM acted (`acted`)."""

    def arm(case: SandboxCase, proxy: FaultProxy, tool: subprocess.Popen[str]) -> None:
        if acted:
            proxy.inject(action, "lost")
        else:
            proxy.inject(action, "stall", forward=False, hold=10)
        proxy.when(action, signal_on(tool.pid, signal.SIGKILL), acted=acted)

    return arm


def at_file(pattern: str) -> Callable[..., None]:
    def arm(case: SandboxCase, proxy: FaultProxy, tool: subprocess.Popen[str]) -> None:
        when_file_appears(tool.pid, case.ssh_dir, pattern, timeout=60)

    return arm


def when_block_names(name: str) -> Callable[..., None]:
    """Kill once the ssh config's block names `name` (the next steps run meanwhile)."""

    def arm(case: SandboxCase, proxy: FaultProxy, tool: subprocess.Popen[str]) -> None:
        config = case.ssh_dir / "config"
        when_true(tool.pid, lambda: f"/{name}\n" in config.read_text(), timeout=60)

    return arm


KILL_POINTS = {
    "new key uploaded, answer unheard": at_request(UPLOAD, acted=True),
    "old key given its backup name": at_file("codecommit_rsa.*.bak"),
    "block switching to KEY.new": at_file(".config.*.tmp"),
    "block names KEY.new, key files moving": when_block_names("codecommit_rsa.new"),
    "switched, old key still Active": at_request(UPDATE),
    "old key Inactive, not yet deleted": at_request(DELETE),
}


@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_a_kill_leaves_a_working_key_and_the_rerun_retires_the_old_one(
    sandbox: SandboxCase, fault_proxy: FaultProxy, point: str
) -> None:
    repo, old_id = sandbox.set_up()
    original = (sandbox.ssh_dir / "codecommit_rsa").read_bytes()
    fault_proxy.use_for(sandbox.env)

    tool = sandbox.start(*rotate_args(sandbox, "--repo", repo))
    KILL_POINTS[point](sandbox, fault_proxy, tool)
    tool.communicate(timeout=120)
    assert tool.returncode == -signal.SIGKILL, f"the kill at {point!r} never came"

    # Whatever moment it was: the key the ssh config names works.
    assert sandbox.git("ls-remote", sandbox.clone_url(repo)).returncode == 0

    again = sandbox.run(*rotate_args(sandbox, "--repo", repo, "--json"))
    assert again.returncode == 0, again.stderr
    assert len(statuses(sandbox)) == 1, (statuses(sandbox), old_id, again.stdout)
    [(new_id, status)] = statuses(sandbox).items()
    assert new_id != old_id and status == "Active"  # the original key is retired
    assert block_user(sandbox) == new_id
    assert rotation_leftovers(sandbox) == []
    assert original in [p.read_bytes() for p in sandbox.ssh_dir.glob("codecommit_rsa.*.bak")]
    assert sandbox.git("ls-remote", sandbox.clone_url(repo)).returncode == 0
    assert sandbox.run("status", "--region", sandbox.region).returncode == 0


def test_the_rerun_after_the_switch_finishes_and_says_so(
    sandbox: SandboxCase, fault_proxy: FaultProxy
) -> None:
    repo, old_id = sandbox.set_up()
    fault_proxy.use_for(sandbox.env)
    tool = sandbox.start(*rotate_args(sandbox, "--repo", repo))
    at_request(UPDATE)(sandbox, fault_proxy, tool)
    tool.communicate(timeout=120)
    assert tool.returncode == -signal.SIGKILL
    switched_to = block_user(sandbox)
    assert statuses(sandbox) == {old_id: "Active", switched_to: "Active"}
    # status says the rotation is not done, and names the key still Active.
    status = sandbox.run("status", "--region", sandbox.region, "--json")
    assert status.returncode != 0
    [unfinished] = [s for s in json.loads(status.stdout)["steps"] if s["step"] == "rotation"]
    assert old_id in unfinished["summary"] and "bootstrap rotate" in unfinished["fix"]

    again = sandbox.run(*rotate_args(sandbox, "--repo", repo))

    assert again.returncode == 0, again.stderr
    assert "finished the rotation interrupted at" in again.stdout
    assert f"old key      deleted: {old_id}" in again.stdout
    assert statuses(sandbox) == {switched_to: "Active"}  # no third key


def test_remove_finds_the_key_an_interrupted_rotate_uploaded(
    sandbox: SandboxCase, fault_proxy: FaultProxy
) -> None:
    repo, _ = sandbox.set_up()
    fault_proxy.use_for(sandbox.env)
    tool = sandbox.start(*rotate_args(sandbox, "--repo", repo))
    at_request(UPLOAD, acted=True)(sandbox, fault_proxy, tool)
    tool.communicate(timeout=120)
    assert tool.returncode == -signal.SIGKILL
    assert len(statuses(sandbox)) == 2

    done = sandbox.run("remove", "--yes", "--region", sandbox.region, "--json")

    assert done.returncode == 0, done.stderr
    assert statuses(sandbox) == {}
    assert rotation_leftovers(sandbox) == []


def test_a_leftover_key_new_without_a_record_is_named_with_its_state_in_iam(
    sandbox: SandboxCase,
) -> None:
    repo, _ = sandbox.set_up()
    staging = sandbox.make_key("codecommit_rsa.new")
    new_id = sandbox.upload_key(staging)
    done = sandbox.run(*rotate_args(sandbox, "--repo", repo))
    assert done.returncode == 5
    assert f"{staging} and {staging}.pub are in the way" in done.stderr
    assert f"IAM has that key as {new_id} (Active)" in done.stderr


def blocked_on_lock() -> bool:
    return any("->" in line for line in Path("/proc/locks").read_text().splitlines())


@pytest.mark.skipif(not Path("/proc/locks").exists(), reason="needs Linux /proc/locks")
def test_rotate_reads_the_config_after_the_lock_so_a_remove_before_it_stands(
    sandbox: SandboxCase,
) -> None:
    repo, old_id = sandbox.set_up()
    config = sandbox.ssh_dir / "config"
    # Hold the lock a running `remove` holds, start rotate, and let it wait on it.
    fd = os.open(sandbox.ssh_dir, os.O_RDONLY | os.O_DIRECTORY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        tool = sandbox.start(*rotate_args(sandbox, "--repo", repo))
        wait_until(blocked_on_lock, "rotate to wait on the lock", timeout=60)
        # What `remove` does meanwhile: the block goes.
        text = config.read_text()
        head, rest = text.split("# >>> bootstrap", 1)
        config.write_text(head + rest.split("# <<< bootstrap\n", 1)[1])
        after_remove = config.read_bytes()
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
    _out, err = tool.communicate(timeout=120)

    assert tool.returncode == 5, err
    assert "no bootstrap block" in err
    assert config.read_bytes() == after_remove  # the setup remove took away stays away
    assert statuses(sandbox) == {old_id: "Active"}


@pytest.mark.skipif(not Path("/proc/locks").exists(), reason="needs Linux /proc/locks")
def test_remove_reads_the_config_after_the_lock_so_an_edit_before_it_stays(
    sandbox: SandboxCase,
) -> None:
    sandbox.set_up()
    config = sandbox.ssh_dir / "config"
    fd = os.open(sandbox.ssh_dir, os.O_RDONLY | os.O_DIRECTORY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        tool = sandbox.start("remove", "--yes", "--region", sandbox.region)
        wait_until(blocked_on_lock, "remove to wait on the lock", timeout=60)
        # What the run holding the lock wrote meanwhile, outside the block.
        config.write_text(config.read_text() + "Host extra.example\n  User someone\n")
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
    _out, err = tool.communicate(timeout=120)

    assert tool.returncode == 0, err
    text = config.read_text()
    assert "# >>> bootstrap" not in text
    assert "Host extra.example\n  User someone\n" in text  # not lost to a stale read


def test_a_failed_rotate_deletes_the_key_it_uploaded_every_time(sandbox: SandboxCase) -> None:
    _, old_id = sandbox.set_up()
    for _attempt in range(5):  # more than IAM's 5-key limit allows to pile up
        done = sandbox.run(*rotate_args(sandbox, "--repo", "no-such-repo", "--json"))
        assert done.returncode == 7, done.stderr
        assert json.loads(done.stdout)["error"]["new_key_id"].startswith("APKA")
    assert statuses(sandbox) == {old_id: "Active"}
