"""The field report, end to end, kept: the documented deny-unless-MFA policy stays as it is, SSH
git fails and says both ways out, and HTTPS git with an MFA session clones and pushes."""

from __future__ import annotations

import json
import subprocess
import time

import pexpect
import pytest

from sandbox.case import SandboxCase
from sandbox.policies import MFA_POLICY

pytestmark = pytest.mark.e2e


def policy_bytes(case: SandboxCase) -> str:
    got = case.iam.client("iam").get_user_policy(UserName=case.user_name, PolicyName="mfa")
    return json.dumps(got["PolicyDocument"], sort_keys=True)


def test_the_field_report_keeps_its_policy_and_git_works_with_an_mfa_session(
    mfa_sandbox: SandboxCase,
) -> None:
    case = mfa_sandbox
    repo = case.ready()
    case.enable_mfa()
    case.put_user_policy(MFA_POLICY, "mfa")
    before = policy_bytes(case)

    # 1. SSH git fails, explained, with both ways out.
    ssh = case.init("--repo", repo, "--json")
    assert ssh.returncode == 7, ssh.stderr
    error = json.loads(ssh.stdout)["error"]
    assert error["kind"] == "mfa-explicit-deny"
    assert "--protocol https --mfa" in error["fix"] and "bootstrap policy" in error["fix"]

    # 2. HTTPS with one MFA code clones (and the session is cached 0600).
    https = case.run(
        "init", "--yes", "--region", case.region, "--repo", repo,
        "--protocol", "https", "--mfa", "--mfa-code", case.mfa_code(), "--json",
    )  # fmt: skip
    assert https.returncode == 0, https.stdout + https.stderr
    assert case.creds.secret_access_key not in https.stdout + https.stderr
    # The device came from iam:ListMFADevices, asked without a user name, as IAM answers it.
    session = next(s for s in json.loads(https.stdout)["steps"] if s["step"] == "mfa session")
    assert session["serial"] == case.mfa_serial

    # 3. The policy is byte-identical.
    assert policy_bytes(case) == before

    # 4. A later plain git clone asks nothing, and a push works.
    work = case.home / "work"
    cloned = case.git("clone", case.https_url(repo), str(work))
    assert cloned.returncode == 0, cloned.stderr
    (work / "note.txt").write_text("kept the MFA policy\n")
    for args in (
        ("add", "note.txt"),
        ("-c", "user.name=dev", "-c", "user.email=dev@example.invalid", "commit", "-qm", "n"),
        ("push", "-q", "origin", "HEAD"),
    ):
        done = case.git(*args, cwd=work)
        assert done.returncode == 0, done.stderr


def set_up_with_mfa(case: SandboxCase, *, name_the_device: bool = False) -> str:
    """The documented policy, and `init --mfa` with one code (unattended): the repository.
    `name_the_device`: --mfa-serial, rather than the device iam:ListMFADevices finds."""
    repo = case.ready()
    serial, _seed = case.enable_mfa()
    case.put_user_policy(MFA_POLICY, "mfa")
    device = ("--mfa-serial", serial) if name_the_device else ()
    https = case.run(
        "init", "--yes", "--region", case.region, "--repo", repo,
        "--mfa", "--mfa-code", case.mfa_code(), *device,
    )  # fmt: skip
    assert https.returncode == 0, https.stdout + https.stderr
    return repo


def test_an_expired_session_without_a_terminal_fails_in_one_line_naming_bootstrap_mfa(
    mfa_sandbox: SandboxCase,
) -> None:
    case = mfa_sandbox
    repo = set_up_with_mfa(case, name_the_device=True)
    # The session ran out: STS says so, and the cache's own expiry is in the past.
    cache = case.expire_mfa_session()
    assert cache.stat().st_mode & 0o777 == 0o600
    done = subprocess.run(
        ["git", "clone", case.https_url(repo), str(case.home / "again")],
        env=case.env, cwd=case.home, capture_output=True, text=True, timeout=120,
        stdin=subprocess.DEVNULL, start_new_session=True,  # no terminal to ask on
    )  # fmt: skip
    assert done.returncode != 0
    assert "bootstrap mfa" in done.stderr
    assert "Traceback" not in done.stderr


def test_an_expired_session_asks_for_a_code_on_the_terminal_and_the_clone_goes_on(
    mfa_sandbox: SandboxCase,
) -> None:
    case = mfa_sandbox
    repo = set_up_with_mfa(case)
    case.expire_mfa_session()
    # Plain git, in a terminal: the helper asks on /dev/tty, as git holds its stdin and stdout.
    child = pexpect.spawn(
        "git", ["clone", case.https_url(repo), str(case.home / "again")],
        env=case.env, cwd=str(case.home), encoding="utf-8", timeout=90,
    )  # fmt: skip
    child.expect_exact("MFA code for")
    child.sendline(case.mfa_code(time.time() + 30))  # the next step's: the last one was used
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    assert (case.home / "again" / "README.md").exists()
