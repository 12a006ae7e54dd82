"""Two `bootstrap init` at once: one key in IAM, one valid block, one known_hosts entry.

The test holds the ssh folder's lock itself, starts two real `init` processes, waits until the
kernel shows BOTH blocked on that lock (/proc/locks lists waiters with `->`), and only then lets
go. So the two runs really contend; the lock must make one of them see the other's work.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bootstrap import files
from sandbox.case import SandboxCase
from sandbox.poll import wait_until

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not Path("/proc/locks").exists(), reason="needs Linux /proc/locks"),
]


def waiting_on(folder: Path) -> set[int]:
    """PIDs the kernel shows waiting for a flock on `folder`."""
    inode = os.stat(folder).st_ino
    waiters = set()
    for line in Path("/proc/locks").read_text().splitlines():
        fields = line.split()
        if "->" in fields and fields[-3].rsplit(":", 1)[-1] == str(inode):
            waiters.add(int(fields[-4]))
    return waiters


def start_init(case: SandboxCase) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bootstrap", *case.init_args("--json", "--no-clone")],
        env=case.env, cwd=case.home, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def test_two_inits_at_once_register_one_key_and_write_one_valid_block(
    sandbox: SandboxCase,
) -> None:
    sandbox.write_routing()
    with files.locked(sandbox.ssh_dir):
        runs = [start_init(sandbox), start_init(sandbox)]
        pids = {run.pid for run in runs}
        wait_until(lambda: pids <= waiting_on(sandbox.ssh_dir), "both runs to wait on the lock")
    outputs = [run.communicate(timeout=300) for run in runs]

    for run, (_out, err) in zip(runs, outputs, strict=True):
        assert run.returncode == 0, err
    reports = [json.loads(out) for out, _ in outputs]
    assert sorted(report["changed"] for report in reports) == [False, True]

    keys = sandbox.iam.client("iam").list_ssh_public_keys(UserName=sandbox.user_name)
    [key] = keys["SSHPublicKeys"]
    text = (sandbox.ssh_dir / "config").read_text()
    assert text.count("# >>> bootstrap") == 1 and text.count("# <<< bootstrap") == 1
    resolved = subprocess.run(
        ["ssh", "-G", sandbox.server.host], env=sandbox.env, capture_output=True, text=True,
        check=True,
    ).stdout.splitlines()  # fmt: skip
    assert f"user {key['SSHPublicKeyId']}" in resolved
    known = (sandbox.ssh_dir / "known_hosts").read_text().splitlines()
    assert len(known) == 1
