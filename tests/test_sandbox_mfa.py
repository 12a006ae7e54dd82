"""Tests of the sandbox's MFA part: TOTP, virtual MFA devices, the STS double, and the HTTPS
double honouring its sessions (the deny-unless-MFA policy lets an MFA session's git through).

Judged by clients nobody here wrote: boto3 for STS, the AWS CLI (its `sts get-session-token`
and `codecommit credential-helper`) and the real git for HTTPS.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from sandbox import totp
from sandbox.aws import client_with_keys
from sandbox.case import SandboxCase
from sandbox.gitaccess import EXPLICIT_DENY
from sandbox.https_codecommit import find_principal, policy_context
from sandbox.iam import Credentials, MotoIam
from sandbox.mfa import enable_virtual_mfa
from sandbox.policies import MFA_POLICY
from sandbox.sts_double import (
    EXPIRED_TOKEN,
    INVALID_CODE,
    INVALID_SERIAL,
    INVALID_TOKEN,
    SESSION_CALLER,
    StsDouble,
)

REGION = "us-east-1"
ACCOUNT = "123456789012"
VENV_BIN = Path(sys.prefix) / "bin"
AWS_HELPER = "!aws codecommit credential-helper $@"
e2e = pytest.mark.e2e


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


# --- TOTP (pure) ----------------------------------------------------------------------------------

# RFC 6238, appendix B: the SHA-1 seed is the ASCII bytes "12345678901234567890".
RFC_SEED = base64.b32encode(b"12345678901234567890").decode()
RFC_VECTORS = [
    (59, "94287082"),
    (1111111109, "07081804"),
    (1111111111, "14050471"),
    (1234567890, "89005924"),
    (2000000000, "69279037"),
    (20000000000, "65353130"),
]


@pytest.mark.parametrize(("at", "expected"), RFC_VECTORS)
def test_totp_gives_rfc_6238s_test_vectors(at: int, expected: str) -> None:
    assert totp.code(RFC_SEED, at, digits=8) == expected
    assert totp.code(RFC_SEED, at) == expected[-6:]  # 6 digits: the same number mod 10**6


def test_totp_accepts_the_seed_as_apps_do() -> None:
    spaced = " ".join(RFC_SEED[i : i + 4] for i in range(0, len(RFC_SEED), 4)).lower()
    assert totp.code(spaced, 59) == totp.code(RFC_SEED.encode(), 59) == "287082"


def test_verify_allows_one_step_of_drift_and_no_more() -> None:
    at = 1111111111.0
    assert totp.verify(RFC_SEED, totp.code(RFC_SEED, at), at)
    assert totp.verify(RFC_SEED, totp.code(RFC_SEED, at - 30), at)
    assert totp.verify(RFC_SEED, totp.code(RFC_SEED, at + 30), at)
    assert not totp.verify(RFC_SEED, totp.code(RFC_SEED, at - 60), at)
    assert not totp.verify(RFC_SEED, totp.code(RFC_SEED, at + 60), at)
    assert totp.verify(RFC_SEED, totp.code(RFC_SEED, at - 60), at, window=2)
    assert not totp.verify(RFC_SEED, "", at)
    assert not totp.verify(RFC_SEED, "12345x", at)


def wrong_code(seed: str, at: float | None = None) -> str:
    """A 6-digit code that is not the device's within two steps of `at`."""
    now = time.time() if at is None else at
    near = {totp.code(seed, now + step * 30) for step in range(-2, 3)}
    return next(c for c in (f"{n:06d}" for n in range(0, 1_000_000, 111_111)) if c not in near)


# --- the STS double, through boto3 ------------------------------------------------------------


@dataclass
class Dev:
    """An IAM user with an access key and an enabled virtual MFA device."""

    user_name: str
    creds: Credentials
    serial: str
    seed: str
    sts: Any  # boto3 STS client on the double, signing with the user's long-term key
    double: StsDouble

    def code(self, at: float | None = None) -> str:
        return totp.code(self.seed, at)

    def session_client(self, credentials: Mapping[str, Any]) -> Any:
        return client_with_keys(
            "sts", self.double.endpoint, REGION, credentials["AccessKeyId"],
            credentials["SecretAccessKey"], credentials["SessionToken"],
        )  # fmt: skip


@pytest.fixture
def dev(moto_iam: MotoIam, sts_double: StsDouble) -> Dev:
    name = unique("mfa-dev")
    creds = moto_iam.create_developer(name)
    serial, seed = enable_virtual_mfa(moto_iam.client("iam"), name)
    sts = client_with_keys(
        "sts", sts_double.endpoint, REGION, creds.access_key_id, creds.secret_access_key
    )
    return Dev(name, creds, serial, seed, sts, sts_double)


def error_of(call: Any, **params: Any) -> tuple[int, str, str]:
    """(HTTP status, error code, message) of a call that must fail."""
    with pytest.raises(ClientError) as caught:
        call(**params)
    response = caught.value.response
    return (
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Code"],
        response["Error"]["Message"],
    )


def test_enable_virtual_mfa_gives_the_users_device_and_a_base32_seed(
    moto_iam: MotoIam, dev: Dev
) -> None:
    assert dev.serial == f"arn:aws:iam::{ACCOUNT}:mfa/{dev.user_name}"
    assert len(base64.b32decode(dev.seed)) >= 10
    devices = moto_iam.client("iam").list_mfa_devices(UserName=dev.user_name)["MFADevices"]
    assert [d["SerialNumber"] for d in devices] == [dev.serial]


def test_get_session_token_issues_distinct_credentials_per_call(dev: Dev) -> None:
    now = time.time()
    first = dev.sts.get_session_token(SerialNumber=dev.serial, TokenCode=dev.code(now))
    second = dev.sts.get_session_token(
        SerialNumber=dev.serial, TokenCode=dev.code(now + 30), DurationSeconds=900
    )
    plain = dev.sts.get_session_token()
    made = [got["Credentials"] for got in (first, second, plain)]
    for field in ("AccessKeyId", "SecretAccessKey", "SessionToken"):
        assert len({creds[field] for creds in made}) == 3, field
    assert all(creds["AccessKeyId"].startswith("ASIA") for creds in made)
    assert all(len(creds["AccessKeyId"]) == 20 for creds in made)
    wall = datetime.now(timezone.utc)
    hours_12, minutes_15 = timedelta(hours=12), timedelta(minutes=15)
    assert abs(made[0]["Expiration"] - (wall + hours_12)) < timedelta(minutes=1)  # the default
    assert abs(made[1]["Expiration"] - (wall + minutes_15)) < timedelta(minutes=1)
    sessions = [dev.double.session(creds["AccessKeyId"]) for creds in made]
    assert [s.mfa if s else None for s in sessions] == [True, True, False]
    for session, creds in zip(sessions, made, strict=True):
        assert session is not None
        assert session.user_name == dev.user_name
        assert session.user_arn == f"arn:aws:iam::{ACCOUNT}:user/{dev.user_name}"
        assert (session.secret_access_key, session.session_token) == (
            creds["SecretAccessKey"],
            creds["SessionToken"],
        )
        assert not session.expired()


def test_a_wrong_code_is_refused(dev: Dev) -> None:
    got = error_of(
        dev.sts.get_session_token, SerialNumber=dev.serial, TokenCode=wrong_code(dev.seed)
    )
    assert got == (403, "AccessDenied", INVALID_CODE)
    assert INVALID_CODE == "MultiFactorAuthentication failed with invalid MFA one time pass code."


def test_a_code_works_once(dev: Dev) -> None:
    code = dev.code()
    dev.sts.get_session_token(SerialNumber=dev.serial, TokenCode=code)
    got = error_of(dev.sts.get_session_token, SerialNumber=dev.serial, TokenCode=code)
    assert got == (403, "AccessDenied", INVALID_CODE)
    # The device's next code is still good: only the used one is spent.
    dev.sts.get_session_token(SerialNumber=dev.serial, TokenCode=dev.code(time.time() + 30))


def test_a_code_two_steps_old_is_refused(dev: Dev) -> None:
    old = dev.code(time.time() - 90)
    if totp.verify(dev.seed, old):  # the same six digits again (one chance in ~300000)
        pytest.skip("the old code happens to equal a current one")
    got = error_of(dev.sts.get_session_token, SerialNumber=dev.serial, TokenCode=old)
    assert got == (403, "AccessDenied", INVALID_CODE)


def test_a_wrong_serial_is_refused(moto_iam: MotoIam, dev: Dev) -> None:
    nobody = f"arn:aws:iam::{ACCOUNT}:mfa/{unique('nobody')}"
    got = error_of(dev.sts.get_session_token, SerialNumber=nobody, TokenCode=dev.code())
    assert got == (403, "AccessDenied", INVALID_SERIAL)
    # Another user's device, with that device's right code: not this caller's.
    other = unique("other")
    moto_iam.create_developer(other)
    other_serial, other_seed = enable_virtual_mfa(moto_iam.client("iam"), other)
    got = error_of(
        dev.sts.get_session_token, SerialNumber=other_serial, TokenCode=totp.code(other_seed)
    )
    assert got == (403, "AccessDenied", INVALID_SERIAL)
    # A device created but never enabled.
    iam = moto_iam.client("iam")
    idle = iam.create_virtual_mfa_device(VirtualMFADeviceName=unique("idle"))["VirtualMFADevice"]
    got = error_of(
        dev.sts.get_session_token,
        SerialNumber=idle["SerialNumber"],
        TokenCode=totp.code(idle["Base32StringSeed"]),
    )
    assert got == (403, "AccessDenied", INVALID_SERIAL)


def test_duration_outside_15_minutes_to_36_hours_is_a_validation_error(dev: Dev) -> None:
    unchecked = client_with_keys(
        "sts", dev.double.endpoint, REGION, dev.creds.access_key_id,
        dev.creds.secret_access_key, config=Config(parameter_validation=False),
    )  # fmt: skip
    status, code, message = error_of(unchecked.get_session_token, DurationSeconds=899)
    assert (status, code) == (400, "ValidationError")
    assert message == (
        "1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy "
        "constraint: Member must have value greater than or equal to 900"
    )
    status, code, message = error_of(dev.sts.get_session_token, DurationSeconds=129601)
    assert (status, code) == (400, "ValidationError")
    assert message.endswith("Member must have value less than or equal to 129600")
    longest = dev.sts.get_session_token(DurationSeconds=129600)["Credentials"]
    assert longest["Expiration"] - datetime.now(timezone.utc) > timedelta(hours=35)


def test_session_credentials_and_unknown_keys_cannot_get_a_session_token(dev: Dev) -> None:
    made = dev.sts.get_session_token()["Credentials"]
    got = error_of(dev.session_client(made).get_session_token)
    assert got == (403, "AccessDenied", SESSION_CALLER)
    stranger = client_with_keys("sts", dev.double.endpoint, REGION, "AKIAUNKNOWN000000000", "x")
    assert error_of(stranger.get_session_token) == (403, "InvalidClientTokenId", INVALID_TOKEN)


def test_get_caller_identity_with_the_session_names_the_user(dev: Dev) -> None:
    made = dev.sts.get_session_token(SerialNumber=dev.serial, TokenCode=dev.code())
    mine = dev.session_client(made["Credentials"]).get_caller_identity()
    long_term = dev.sts.get_caller_identity()  # not one of the double's: moto answers
    assert mine["Arn"] == long_term["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/{dev.user_name}"
    assert mine["UserId"] == long_term["UserId"]
    assert mine["Account"] == long_term["Account"] == ACCOUNT


def test_other_actions_go_to_moto(moto_iam: MotoIam, dev: Dev) -> None:
    iam = moto_iam.client("iam")
    role = unique("role")
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
    }
    arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    got = dev.sts.assume_role(RoleArn=arn, RoleSessionName="via-double")["Credentials"]
    assert got["AccessKeyId"].startswith("ASIA")
    assert dev.double.session(got["AccessKeyId"]) is None  # moto's session, not the double's
    who = dev.session_client(got).get_caller_identity()
    assert who["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/via-double"
    # moto's own errors come back as moto gave them.
    too_long = json.dumps({"Version": "2012-10-17", "Statement": [], "Sid": "x" * 3000})
    status, code, _ = error_of(dev.sts.get_federation_token, Name="fed", Policy=too_long)
    assert status == 400 and code == "ValidationError"
    assert "AssumeRole" in dev.double.log_text() and "forwarded to moto" in dev.double.log_text()


def test_an_expired_or_mistokened_session_is_refused(dev: Dev) -> None:
    made = dev.sts.get_session_token(SerialNumber=dev.serial, TokenCode=dev.code())
    creds = made["Credentials"]
    wrong = {**creds, "SessionToken": creds["SessionToken"][:-4] + "AAAA"}
    got = error_of(dev.session_client(wrong).get_caller_identity)
    assert got == (403, "InvalidClientTokenId", INVALID_TOKEN)
    dev.double.expire(creds["AccessKeyId"])
    session = dev.double.session(creds["AccessKeyId"])
    assert session is not None and session.expired()
    got = error_of(dev.session_client(creds).get_caller_identity)
    assert got == (403, "ExpiredToken", EXPIRED_TOKEN)


def test_the_https_double_sees_the_user_and_the_mfa_of_a_session(dev: Dev) -> None:
    with_mfa = dev.sts.get_session_token(SerialNumber=dev.serial, TokenCode=dev.code())
    without = dev.sts.get_session_token()
    user_arn = f"arn:aws:iam::{ACCOUNT}:user/{dev.user_name}"
    for made, present in ((with_mfa, "true"), (without, "false")):
        key = made["Credentials"]["AccessKeyId"]
        principal = find_principal(key, REGION, dev.double)
        assert principal is not None
        assert (principal.arn, principal.name, principal.active) == (user_arn, dev.user_name, True)
        assert principal.session_token == made["Credentials"]["SessionToken"]
        assert not principal.is_role_session
        assert policy_context(principal) == {
            "aws:MultiFactorAuthPresent": present,
            "aws:username": dev.user_name,
        }
        assert find_principal(key, REGION) is None  # without the double: unknown to moto
    long_term = find_principal(dev.creds.access_key_id, REGION, dev.double)
    assert long_term is not None
    assert "aws:MultiFactorAuthPresent" not in policy_context(long_term)


# --- git over HTTPS under the deny-unless-MFA policy (e2e) --------------------------------------


def _git(
    case: SandboxCase, *args: str, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """git with the AWS CLI's credential helper (and nothing else), the case's env plus `env`."""
    full = {
        **case.env,
        "PATH": f"{VENV_BIN}{os.pathsep}{case.env['PATH']}",
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_CONFIG_NOSYSTEM": "1",
        **(env or {}),
    }
    return subprocess.run(
        ["git", "-c", "credential.helper=", "-c", f"credential.helper={AWS_HELPER}",
         "-c", "credential.UseHttpPath=true", *args],
        cwd=case.home, env=full, stdin=subprocess.DEVNULL, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip


@pytest.fixture
def mfa_case(mfa_sandbox: SandboxCase) -> SandboxCase:
    if not (VENV_BIN / "aws").exists():
        pytest.skip(f"needs aws in {VENV_BIN} (pip install -e '.[test]')")
    case = mfa_sandbox
    case.enable_mfa()
    case.put_user_policy(MFA_POLICY, "mfa-required")
    return case


def _session_env(credentials: Mapping[str, Any]) -> dict[str, str]:
    return {
        "AWS_ACCESS_KEY_ID": credentials["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
        "AWS_SESSION_TOKEN": credentials["SessionToken"],
    }


@e2e
def test_mfa_policy_denies_the_long_term_key_and_serves_the_mfa_session(
    mfa_case: SandboxCase,
) -> None:
    case = mfa_case
    repo = case.create_repo()
    url = case.https_url(repo)

    denied = _git(case, "clone", url, "denied")  # signed with ~/.aws's long-term key
    assert denied.returncode != 0
    message = EXPLICIT_DENY.format(
        user_arn=f"arn:aws:iam::{ACCOUNT}:user/{case.user_name}",
        action="codecommit:GitPull",
        resource=f"arn:aws:codecommit:{REGION}:{ACCOUNT}:{repo}",
    )
    assert f"remote: {message}" in denied.stderr, denied.stderr
    assert "The requested URL returned error: 403" in denied.stderr

    # The session as a developer gets it: the AWS CLI, routed by AWS_ENDPOINT_URL_STS.
    asked = subprocess.run(
        ["aws", "sts", "get-session-token", "--serial-number", str(case.mfa_serial),
         "--token-code", case.mfa_code(), "--output", "json"],
        env={**case.env, "PATH": f"{VENV_BIN}{os.pathsep}{case.env['PATH']}"},
        cwd=case.home, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert asked.returncode == 0, asked.stderr + case.sts.log_text()
    credentials = json.loads(asked.stdout)["Credentials"]
    session = case.sts.session(credentials["AccessKeyId"])
    assert session is not None and session.mfa

    served = _git(case, "clone", url, "served", env=_session_env(credentials))
    assert served.returncode == 0, served.stderr + case.https.log_text()
    assert (case.home / "served" / "README.md").exists()
    user_arn = f"arn:aws:iam::{ACCOUNT}:user/{case.user_name}"
    assert any(
        line.split()[1:3] == [credentials["AccessKeyId"], user_arn] and line.endswith("200 served")
        for line in case.https.access_lines(repo)
    )


@e2e
def test_mfa_policy_denies_a_session_made_without_mfa(mfa_case: SandboxCase) -> None:
    case = mfa_case
    repo = case.create_repo()
    credentials = case.get_session_token(mfa=False)
    done = _git(case, "clone", case.https_url(repo), "clone", env=_session_env(credentials))
    assert done.returncode != 0
    assert "with an explicit deny" in done.stderr, done.stderr


@e2e
def test_an_expired_mfa_session_is_refused_with_403(mfa_case: SandboxCase) -> None:
    case = mfa_case
    repo = case.create_repo()
    credentials = case.get_session_token()
    env = _session_env(credentials)
    assert _git(case, "ls-remote", case.https_url(repo), env=env).returncode == 0
    case.sts.expire(credentials["AccessKeyId"])
    done = _git(case, "ls-remote", case.https_url(repo), env=env)
    assert done.returncode != 0
    assert "The requested URL returned error: 403" in done.stderr, done.stderr
    assert case.https is not None
    case.https.wait_for_access(repo, "inactive or its session expired")
