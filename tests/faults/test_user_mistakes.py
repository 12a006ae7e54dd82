"""A user's mistakes are one error naming the value and the fix, never a traceback, never
harmful advice, never silently ignored (issue 15, section 4, "A user's mistakes")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bootstrap.errors import EXIT_IDENTITY, EXIT_USAGE
from sandbox.case import SandboxCase

pytestmark = pytest.mark.e2e


def no_traceback(done: object) -> None:
    stderr = getattr(done, "stderr", "")
    assert "Traceback" not in stderr, stderr


@pytest.mark.parametrize("command", ["init", "status", "doctor", "remove"])
def test_aws_profile_naming_a_missing_profile(sandbox: SandboxCase, command: str) -> None:
    repo, _ = sandbox.set_up()
    sandbox.env["AWS_PROFILE"] = "no-such-profile"
    args = {
        "init": sandbox.init_args("--repo", repo, "--json"),
        "status": ["status", "--region", sandbox.region, "--json"],
        "doctor": ["doctor", "--region", sandbox.region, "--repo", repo, "--json"],
        "remove": ["remove", "--region", sandbox.region, "--yes", "--json"],
    }[command]
    done = sandbox.run(*args)
    no_traceback(done)
    assert done.returncode == EXIT_IDENTITY, done.stderr
    document = json.loads(done.stdout)  # one JSON document, even so
    said = json.dumps(document)
    assert "AWS profile 'no-such-profile' (from $AWS_PROFILE) is not in your AWS config" in said
    assert "profiles: default" in said


def _init(case: SandboxCase, *extra: str) -> tuple[int, str]:
    done = case.run(*case.init_args("--repo", "r", *extra))
    no_traceback(done)
    return done.returncode, done.stderr


def test_a_folder_as_key(sandbox: SandboxCase) -> None:
    code, stderr = _init(sandbox, "--key", str(sandbox.ssh_dir))
    assert code == EXIT_USAGE
    assert f"--key {sandbox.ssh_dir} is a folder, not a key file" in stderr
    assert f"--key {sandbox.ssh_dir / 'codecommit_rsa'}" in stderr


def test_a_public_key_as_key(sandbox: SandboxCase) -> None:
    private = sandbox.make_key()
    code, stderr = _init(sandbox, "--key", f"{private}.pub")
    assert code == EXIT_USAGE
    assert "is a public key; --key takes the private key" in stderr
    assert f"--key {private}" in stderr


def test_dev_null_as_key_gets_no_chmod_advice(sandbox: SandboxCase) -> None:
    code, stderr = _init(sandbox, "--key", "/dev/null")
    assert code == EXIT_USAGE
    assert "--key /dev/null is not a regular file" in stderr
    assert "chmod" not in stderr


def test_a_folder_as_ssh_config(sandbox: SandboxCase) -> None:
    code, stderr = _init(sandbox, "--ssh-config", str(sandbox.ssh_dir))
    assert code == EXIT_USAGE
    assert f"--ssh-config {sandbox.ssh_dir} is a folder" in stderr


def test_a_key_in_a_folder_that_does_not_exist_creates_no_folder(
    sandbox: SandboxCase, tmp_path: Path
) -> None:
    nowhere = tmp_path / "no" / "such" / "folder"
    code, stderr = _init(sandbox, "--key", str(nowhere / "codecommit_rsa"))
    assert code == EXIT_USAGE
    assert f"does not exist ({nowhere})" in stderr and "mkdir -p -m 700" in stderr
    assert not (tmp_path / "no").exists()
    assert sandbox.iam_keys() == []


@pytest.mark.parametrize("flag", ["--region", "--key", "--ssh-config", "--profile"])
def test_an_empty_value_is_refused(sandbox: SandboxCase, flag: str) -> None:
    done = sandbox.run("init", "--yes", "--repo", "r", flag, "")
    no_traceback(done)
    assert done.returncode == EXIT_USAGE
    assert f"{flag}: an empty value is not allowed" in done.stderr


def test_an_empty_key_left_by_a_crash_is_replaced(sandbox: SandboxCase) -> None:
    repo = sandbox.ready()
    (sandbox.ssh_dir / "codecommit_rsa").touch(mode=0o600)  # a crash between create and write
    done = sandbox.init("--repo", repo)
    assert done.returncode == 0, done.stderr
    assert (sandbox.ssh_dir / "codecommit_rsa").stat().st_size > 0
    assert len(sandbox.iam_keys()) == 1
