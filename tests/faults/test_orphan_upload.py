"""An upload that reached IAM is never orphaned (issue 15, section 1).

The tool's IAM calls go through the fault proxy (sandbox/fault_proxy.py), which also applies
IAM's DuplicateSSHPublicKey rule that moto lacks, so a retried upload meets what it would meet in
IAM. The invariant after every run: each key in IAM with this machine's key material has its
private half on disk, and a re-run registers no second key.
"""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest

from sandbox.case import SandboxCase
from sandbox.fault_proxy import FaultProxy
from sandbox.stop_at import signal_on

pytestmark = pytest.mark.e2e

UPLOAD = "UploadSSHPublicKey"


def key_path(case: SandboxCase) -> Path:
    return case.ssh_dir / "codecommit_rsa"


def iam_materials(case: SandboxCase) -> list[str]:
    iam = case.iam.client("iam")
    bodies = [
        iam.get_ssh_public_key(
            UserName=case.user_name, SSHPublicKeyId=key["SSHPublicKeyId"], Encoding="SSH"
        )["SSHPublicKey"]["SSHPublicKeyBody"]
        for key in case.iam_keys()
    ]
    return [" ".join(body.split()[:2]) for body in bodies]


def local_material(case: SandboxCase) -> str | None:
    pub = key_path(case).with_name("codecommit_rsa.pub")
    return " ".join(pub.read_text().split()[:2]) if pub.exists() else None


def assert_no_orphan(case: SandboxCase) -> None:
    """Whatever IAM holds of ours, this machine still has its private half."""
    local = local_material(case)
    held = iam_materials(case)
    assert all(material == local for material in held), (held, local)
    if held:
        assert key_path(case).exists()


def test_ctrl_c_while_iam_holds_the_answer_takes_the_key_back_out(
    sandbox: SandboxCase, fault_proxy: FaultProxy
) -> None:
    repo = sandbox.ready()
    fault_proxy.use_for(sandbox.env)
    fault_proxy.inject(UPLOAD, "stall", hold=30)  # IAM has acted; its answer is held
    before = sandbox.snapshot()

    tool = sandbox.start(*sandbox.init_args("--repo", repo))
    fault_proxy.when(UPLOAD, signal_on(tool.pid, signal.SIGINT), acted=True)
    _out, err = tool.communicate(timeout=60)

    assert tool.returncode == 130, err
    assert "Traceback" not in err
    assert "Stopped by user (nothing was changed)" in err
    assert sandbox.iam_keys() == []  # the upload IAM made is taken back
    assert sandbox.snapshot() == before


def test_answers_lost_on_every_attempt_settle_on_the_key_iam_has(
    sandbox: SandboxCase, fault_proxy: FaultProxy
) -> None:
    repo = sandbox.ready()
    fault_proxy.use_for(sandbox.env)
    # IAM acts (the retries meet DuplicateSSHPublicKey); no answer ever comes back.
    fault_proxy.inject(UPLOAD, "lost", count=99)

    done = sandbox.init("--repo", repo, "--json")

    assert done.returncode == 0, done.stderr
    assert fault_proxy.seen(UPLOAD) >= 2  # botocore retried, and met its own first upload
    [key] = sandbox.iam_keys()
    assert iam_materials(sandbox) == [local_material(sandbox)]
    steps = {step["step"]: step for step in json.loads(done.stdout)["steps"]}
    assert steps["registration"]["key_id"] == key["SSHPublicKeyId"]
    assert steps["registration"]["action"] == "created"  # this run uploaded it
    assert f"User {key['SSHPublicKeyId']}" in (sandbox.ssh_dir / "config").read_text()
    again = sandbox.init("--repo", repo)
    assert again.returncode == 0, again.stderr
    assert len(sandbox.iam_keys()) == 1


def test_a_truncated_answer_is_settled_by_looking_the_key_up(
    sandbox: SandboxCase, fault_proxy: FaultProxy
) -> None:
    repo = sandbox.ready()
    fault_proxy.use_for(sandbox.env)
    fault_proxy.inject(UPLOAD, "truncate")  # botocore cannot parse it, and does not retry

    done = sandbox.init("--repo", repo)

    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert iam_materials(sandbox) == [local_material(sandbox)]


def test_a_retry_that_met_its_own_upload_is_undone_when_a_later_step_fails(
    sandbox: SandboxCase, fault_proxy: FaultProxy
) -> None:
    repo = sandbox.ready()
    # The first answer comes after the read timeout; the retry meets DuplicateSSHPublicKey.
    sandbox.env["BOOTSTRAP_AWS_TIMEOUT"] = "1"
    fault_proxy.use_for(sandbox.env)
    fault_proxy.inject(UPLOAD, "stall", hold=5)
    # A later setup step fails: known_hosts is a link into a folder that does not exist.
    (sandbox.ssh_dir / "known_hosts").symlink_to(sandbox.home / "gone" / "known_hosts")

    done = sandbox.init("--repo", repo)

    assert done.returncode == 5, done.stderr
    assert fault_proxy.seen(UPLOAD) == 2
    assert "undone: key, registration" in done.stdout
    assert sandbox.iam_keys() == []
    assert not key_path(sandbox).exists()


def test_iam_unreachable_for_the_undo_keeps_the_key_and_the_rerun_reuses_it(
    sandbox: SandboxCase, fault_proxy: FaultProxy
) -> None:
    repo = sandbox.ready()
    fault_proxy.use_for(sandbox.env)
    fault_proxy.inject(UPLOAD, "truncate")
    # From the upload on, IAM cannot list keys: neither the settling nor the undo can look.
    fault_proxy.when(UPLOAD, lambda _: fault_proxy.inject("ListSSHPublicKeys", "500", 99))

    done = sandbox.init("--repo", repo)

    assert done.returncode == 3, done.stderr
    assert "Traceback" not in done.stderr
    assert "kept: key: ~/.ssh/codecommit_rsa stays: IAM could not be reached" in done.stdout
    assert "the private key is kept" in done.stderr
    assert key_path(sandbox).exists()
    assert_no_orphan(sandbox)

    fault_proxy.clear()
    again = sandbox.init("--repo", repo, "--json")
    assert again.returncode == 0, again.stderr
    steps = {step["step"]: step for step in json.loads(again.stdout)["steps"]}
    assert steps["key"]["action"] == "unchanged"
    assert steps["registration"]["action"] == "unchanged"  # the key the first run uploaded
    assert iam_materials(sandbox) == [local_material(sandbox)]
