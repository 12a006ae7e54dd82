"""Host keys end to end: hashed as the user's config says, then real ssh connects; a region
with no published fingerprint asks on a terminal and demands --accept-host-key unattended."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable

import pytest
from wizard_fakes import Confirming

from bootstrap.aws.iam import Aws
from bootstrap.errors import HostKeyError
from bootstrap.init import ssh_setup
from bootstrap.init.answers import InitAnswers
from bootstrap.ssh import hostkeys, locations
from bootstrap.ui.output import Reporter
from sandbox.case import SandboxCase

pytestmark = pytest.mark.e2e
UNPUBLISHED = "eu-south-1"  # a CodeCommit region with no fingerprint in AWS's table


def strict_ssh(case: SandboxCase) -> subprocess.CompletedProcess[str]:
    """A plain ssh to the git host that refuses any host it does not already know."""
    return subprocess.run(
        ["ssh", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", case.server.host],
        env=case.env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60,
        check=False,
    )  # fmt: skip


@pytest.mark.parametrize("hash_setting", ["yes", "no"])
def test_entry_is_hashed_as_the_users_config_says_and_real_ssh_accepts_it(
    sandbox: SandboxCase, hash_setting: str
) -> None:
    sandbox.write_routing()
    sandbox.write_ssh_config(f"Host *\n    HashKnownHosts {hash_setting}\n")
    assert "Host key verification failed" in strict_ssh(sandbox).stderr  # unknown before

    done = sandbox.init("--no-clone")
    assert done.returncode == 0, done.stderr
    [line] = (sandbox.ssh_dir / "known_hosts").read_text().splitlines()
    assert line.startswith("|1|") is (hash_setting == "yes")
    assert (sandbox.server.host in line) is (hash_setting == "no")
    assert line.endswith(f" {hostkeys.ENTRY_MARKER}")

    connected = strict_ssh(sandbox)
    assert "successfully authenticated" in connected.stdout + connected.stderr, connected.stderr


def test_unpublished_region_unattended_stops_until_the_fingerprint_is_given(
    sandbox_factory: Callable[..., SandboxCase],
) -> None:
    case = sandbox_factory("paramiko", UNPUBLISHED)
    case.write_routing()
    before = case.snapshot()

    refused = case.init("--no-clone", pin=False)
    assert refused.returncode == 6
    fingerprint = case.server.host_key_fingerprint
    assert f"pass --accept-host-key {fingerprint}" in refused.stderr
    assert case.snapshot() == before and case.iam_keys() == []

    wrong = case.init("--no-clone", "--accept-host-key", "SHA256:" + "A" * 43, pin=False)
    assert wrong.returncode == 6 and case.snapshot() == before

    done = case.init("--no-clone", "--json", "--accept-host-key", fingerprint, pin=False)
    assert done.returncode == 0, done.stderr
    steps = {step["step"]: step for step in json.loads(done.stdout)["steps"]}
    assert steps["host key"]["fingerprint"] == fingerprint


@pytest.mark.parametrize("answer", [True, False])
def test_unpublished_region_on_a_terminal_shows_the_fingerprint_and_asks(
    sandbox_factory: Callable[..., SandboxCase],
    monkeypatch: pytest.MonkeyPatch,
    answer: bool,
) -> None:
    case = sandbox_factory("paramiko", UNPUBLISHED)
    case.write_routing()
    for name, value in case.env.items():  # this process's AWS SDK and ssh see the case
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(locations, "ssh_home", lambda: case.home)
    answers = InitAnswers(
        profile=None,
        region=UNPUBLISHED,
        user=None,
        key_path=case.ssh_dir / "codecommit_rsa",
        key_bits=2048,
        passphrase=None,
        repo=None,
        clone=False,
        clone_dir=None,
        ssh_config=case.ssh_dir / "config",
        ssh_config_is_default=True,
        accept_host_key=None,
    )
    prompter = Confirming(answer)
    aws = Aws(None, UNPUBLISHED)
    report = Reporter("init", as_json=True)
    before = case.snapshot()

    if not answer:
        with pytest.raises(HostKeyError, match="was not trusted; nothing was written"):
            ssh_setup.look(answers, aws, report, prompter)
        assert case.snapshot() == before and case.iam_keys() == []
    else:
        plan = ssh_setup.look(answers, aws, report, prompter)
        ssh_setup.act(plan, aws, report)
        trusted = (case.ssh_dir / "known_hosts").read_text()
        assert case.server.host_public_key.split()[1] in trusted
    [question] = prompter.asked
    assert case.server.host_key_fingerprint in question and UNPUBLISHED in question
