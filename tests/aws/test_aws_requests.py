"""How many AWS requests `bootstrap init` sends, counted with botocore's `before-send` event.

The real tool runs as a subprocess against the moto server and the real sshd, through
bench/aws_requests.py, which records every request botocore is about to send (retries
included). A count, never a time.

The numbers (README, "Speed"): a fresh run sends 2 requests with --user (ListSSHPublicKeys,
UploadSSHPublicKey) and 3 without (GetCallerIdentity first); a run with nothing to change sends
1 with --user (GetSSHPublicKey for the key id in our ssh config block) and 2 without.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bench.aws_requests import LOG_VARIABLE, read_log
from sandbox.case import SandboxCase
from sandbox.userdb import REPO_ROOT

pytestmark = pytest.mark.e2e

COUNTER = REPO_ROOT / "bench" / "aws_requests.py"
READS = ("Get", "List")  # every other IAM/STS verb (Upload, Update, Delete, Create, Put…) writes

FRESH_LIMIT = 3
RERUN_LIMIT = 2


def counted_init(
    case: SandboxCase, repo: str, log: Path, *extra: str
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """`bootstrap init` for `repo`; its result and the operations it sent, in order."""
    log.unlink(missing_ok=True)
    done = subprocess.run(
        [sys.executable, str(COUNTER), *case.init_args("--json", "--repo", repo, *extra)],
        env=case.env | {LOG_VARIABLE: str(log)},
        cwd=case.home,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return done, [operation for _service, operation in read_log(str(log))]


def writes(operations: list[str]) -> list[str]:
    return [op for op in operations if not op.startswith(READS)]


def test_fresh_init_with_user_sends_at_most_three_requests(
    sandbox: SandboxCase, tmp_path: Path
) -> None:
    repo = sandbox.ready()
    done, sent = counted_init(sandbox, repo, tmp_path / "requests", "--user", sandbox.user_name)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["changed"] is True
    assert len(sent) <= FRESH_LIMIT, sent
    assert "GetCallerIdentity" not in sent  # --user says who: no need to ask STS
    assert writes(sent) == ["UploadSSHPublicKey"]


def test_rerun_with_user_sends_at_most_two_requests_and_none_writes(
    sandbox: SandboxCase, tmp_path: Path
) -> None:
    repo = sandbox.ready()
    first, _ = counted_init(sandbox, repo, tmp_path / "requests", "--user", sandbox.user_name)
    assert first.returncode == 0, first.stderr
    again, sent = counted_init(sandbox, repo, tmp_path / "requests", "--user", sandbox.user_name)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["changed"] is False
    assert len(sent) <= RERUN_LIMIT, sent
    assert sent, "a re-run must still ask IAM whether the key is registered and Active"
    assert writes(sent) == []


def test_fresh_init_without_user_asks_sts_once_and_stays_within_three(
    sandbox: SandboxCase, tmp_path: Path
) -> None:
    repo = sandbox.ready()
    done, sent = counted_init(sandbox, repo, tmp_path / "requests")
    assert done.returncode == 0, done.stderr
    assert sent[0] == "GetCallerIdentity"
    assert sent.count("GetCallerIdentity") == 1
    assert len(sent) <= FRESH_LIMIT, sent
    assert writes(sent) == ["UploadSSHPublicKey"]


def test_rerun_without_user_sends_at_most_two_requests_and_none_writes(
    sandbox: SandboxCase, tmp_path: Path
) -> None:
    repo = sandbox.ready()
    first, _ = counted_init(sandbox, repo, tmp_path / "requests")
    assert first.returncode == 0, first.stderr
    again, sent = counted_init(sandbox, repo, tmp_path / "requests")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["changed"] is False
    assert len(sent) <= RERUN_LIMIT, sent
    assert writes(sent) == []


def test_check_sends_only_reads(sandbox: SandboxCase, tmp_path: Path) -> None:
    """--check on a configured machine asks IAM, but never changes it."""
    repo = sandbox.ready()
    first, _ = counted_init(sandbox, repo, tmp_path / "requests", "--user", sandbox.user_name)
    assert first.returncode == 0, first.stderr
    checked, sent = counted_init(
        sandbox, repo, tmp_path / "requests", "--user", sandbox.user_name, "--check"
    )
    assert checked.returncode == 0, checked.stderr
    assert sent and writes(sent) == []


SHIM = """#!/bin/sh
printf '%s\\n' "$*" >> {log}
{then}
"""


def recording_shims(bin_dir: Path, log_dir: Path) -> dict[str, Path]:
    """`aws` and `ssh-keygen` first on PATH, each logging its arguments. The fake `aws` then
    fails; the fake `ssh-keygen` runs the real one (known_hosts lookups with -F are fine)."""
    real_keygen = shutil.which("ssh-keygen")
    assert real_keygen is not None
    bin_dir.mkdir()
    logs = {name: log_dir / f"{name}.calls" for name in ("aws", "ssh-keygen")}
    then = {"aws": "exit 1", "ssh-keygen": f'exec {shlex.quote(real_keygen)} "$@"'}
    for name, log in logs.items():
        shim = bin_dir / name
        shim.write_text(SHIM.format(log=shlex.quote(str(log)), then=then[name]))
        shim.chmod(0o755)
    return logs


def calls(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


def test_one_process_no_aws_cli_and_no_ssh_keygen_key_generation(
    sandbox: SandboxCase, tmp_path: Path
) -> None:
    repo = sandbox.ready()
    logs = recording_shims(tmp_path / "bin", tmp_path)
    sandbox.env = sandbox.env | {"PATH": f"{tmp_path / 'bin'}{os.pathsep}{sandbox.env['PATH']}"}
    seen = subprocess.run(
        [
            sys.executable,
            "-c",
            "import shutil; print(shutil.which('aws'), shutil.which('ssh-keygen'))",
        ],
        env=sandbox.env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert seen == [str(tmp_path / "bin" / "aws"), str(tmp_path / "bin" / "ssh-keygen")]

    for _run in ("fresh", "again"):
        done, _sent = counted_init(sandbox, repo, tmp_path / "requests")
        assert done.returncode == 0, done.stderr
    assert (sandbox.ssh_dir / "codecommit_rsa").exists()
    assert calls(logs["aws"]) == []
    generating = [call for call in calls(logs["ssh-keygen"]) if {"-t", "-b"} & set(call.split())]
    assert generating == []
