"""`bootstrap doctor` when git signs with an MFA session (`init --mfa`): whether the cached
session is valid, started with an MFA device, and accepted by STS (the STS double)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sandbox.case import SandboxCase
from sandbox.policies import MFA_POLICY

pytestmark = pytest.mark.e2e


def doctor(case: SandboxCase, *extra: str) -> tuple[int, dict[str, Any]]:
    """`doctor --json`: (exit code, its steps by name)."""
    done = case.run("doctor", "--region", case.region, "--json", *extra)
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, {step["step"]: step for step in json.loads(done.stdout)["steps"]}


def set_up_with_mfa(case: SandboxCase) -> str:
    repo = case.ready()
    case.enable_mfa()
    case.put_user_policy(MFA_POLICY, "mfa")
    done = case.run(
        "init", "--yes", "--region", case.region, "--repo", repo, "--no-clone",
        "--mfa", "--mfa-code", case.mfa_code(),
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return repo


def test_a_valid_session_is_ok_and_names_its_device_and_the_user_sts_sees(
    mfa_sandbox: SandboxCase,
) -> None:
    case = mfa_sandbox
    repo = set_up_with_mfa(case)
    code, checks = doctor(case, "--repo", repo)
    assert code == 0, checks
    session = checks["mfa session"]
    assert session["status"] == "ok"
    assert str(case.mfa_serial) in session["summary"]
    assert f":user/{case.user_name}" in session["summary"]
    assert checks["git"]["status"] == "ok"  # the deny-unless-MFA policy lets it by


def test_an_expired_session_is_a_warning_naming_bootstrap_mfa(mfa_sandbox: SandboxCase) -> None:
    case = mfa_sandbox
    set_up_with_mfa(case)
    case.expire_mfa_session()
    _code, checks = doctor(case)
    session = checks["mfa session"]
    assert session["status"] == "warn"
    assert "expired" in session["summary"]
    assert "bootstrap mfa" in session["fix"]


def test_a_session_sts_no_longer_accepts_is_a_warning(mfa_sandbox: SandboxCase) -> None:
    case = mfa_sandbox
    set_up_with_mfa(case)
    case.sts.expire_all()  # STS ended it early; the cache still says valid
    _code, checks = doctor(case)
    session = checks["mfa session"]
    assert session["status"] == "warn"
    assert "STS does not accept" in session["summary"]


def test_without_mfa_there_is_no_session_check(https_sandbox: SandboxCase) -> None:
    case = https_sandbox
    case.ready()
    done = case.run("init", "--yes", "--region", case.region, "--protocol", "https", "--no-clone")
    assert done.returncode == 0, done.stdout + done.stderr
    _code, checks = doctor(case)
    assert "mfa session" not in checks
