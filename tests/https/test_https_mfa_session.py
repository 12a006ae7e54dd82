"""MFA sessions (bootstrap/https/mfa_session.py, mfa_sts.py): the device from ListMFADevices,
sts:GetSessionToken with botocore's Stubber, the 0600 cache, reuse until 5 minutes before the
end, the "not accepted" error for a wrong code, the duration's bounds, and the helper line that
carries --mfa."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from bootstrap import files
from bootstrap.errors import EXIT_IAM, EXIT_IDENTITY, IamError, UsageError
from bootstrap.https import git_config, helper_program, mfa_session, mfa_sts
from bootstrap.https.shared_files import Credentials

SERIAL = "arn:aws:iam::123456789012:mfa/alice"
OTHER = "arn:aws:iam::123456789012:mfa/alice-phone"
KEY = "arn:aws:iam::123456789012:u2f/user/alice/yubikey-ABCDEFGHIJKLMNOP"
EXPIRES = datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
SESSION = {
    "AccessKeyId": "ASIASESSIONKEY0001",
    "SecretAccessKey": "session/secret+KEY",
    "SessionToken": "FwoGZXIvYXdzSESSIONTOKEN+/=",
    "Expiration": EXPIRES,
}
WRONG_CODE = "MultiFactorAuthentication failed with invalid MFA one time pass code."


@pytest.fixture
def home(aws_free_home: Path) -> Path:
    (aws_free_home / ".aws" / "credentials").write_text(
        "[dev]\naws_access_key_id = AKIALONGTERMKEY01\naws_secret_access_key = long/term\n"
    )
    return aws_free_home


def client(service: str) -> Any:
    return boto3.client(
        service,
        region_name="us-east-1",
        aws_access_key_id="AKIALONGTERMKEY01",
        aws_secret_access_key="long/term",
    )


@pytest.fixture
def stubbed(home: Path) -> Iterator[tuple[mfa_sts.Starter, Stubber, Stubber]]:
    sts, iam = client("sts"), client("iam")
    with Stubber(sts) as sts_stub, Stubber(iam) as iam_stub:
        yield mfa_sts.Starter("dev", "us-east-1", sts=sts, iam=iam), sts_stub, iam_stub
        sts_stub.assert_no_pending_responses()
        iam_stub.assert_no_pending_responses()


def devices(*serials: str) -> dict[str, Any]:
    when = datetime(2024, 1, 1, tzinfo=timezone.utc)
    return {
        "MFADevices": [
            {"UserName": "alice", "SerialNumber": serial, "EnableDate": when} for serial in serials
        ]
    }


def session_of(expires: datetime, profile: str = "dev") -> mfa_session.Session:
    return mfa_session.Session(
        profile, SERIAL, expires, Credentials("ASIACACHED", "cached/secret", "CachedToken")
    )


# --- the device ---------------------------------------------------------------------------


def test_the_one_mfa_device_is_the_serial(stubbed: Any) -> None:
    starter, _, iam = stubbed
    iam.add_response("list_mfa_devices", devices(SERIAL), {})  # no UserName: the caller's own
    assert starter.serial() == SERIAL
    assert starter.serial() == SERIAL  # listed once


def test_no_mfa_device_says_how_to_add_one_and_names_the_flag(stubbed: Any) -> None:
    starter, _, iam = stubbed
    iam.add_response("list_mfa_devices", devices(), {})
    with pytest.raises(mfa_session.MfaError) as caught:
        starter.serial()
    error = caught.value
    assert "has no MFA device" in error.cause and "profile 'dev'" in error.cause
    assert "Assign MFA device" in error.fix and "--mfa-serial" in error.fix
    assert "\n" not in error.cause + error.fix
    assert error.exit_code == EXIT_IDENTITY


def test_a_security_key_alone_gives_no_codes(stubbed: Any) -> None:
    starter, _, iam = stubbed
    iam.add_response("list_mfa_devices", devices(KEY), {})
    with pytest.raises(mfa_session.MfaError) as caught:
        starter.serial()
    assert "security key" in caught.value.cause


def test_several_devices_are_listed_and_the_flag_named(stubbed: Any) -> None:
    starter, _, iam = stubbed
    iam.add_response("list_mfa_devices", devices(SERIAL, OTHER, KEY), {})
    with pytest.raises(mfa_session.MfaError) as caught:
        starter.serial()
    assert f"2 MFA devices: {SERIAL}, {OTHER}" in caught.value.cause
    assert "--mfa-serial" in caught.value.fix


def test_no_permission_to_list_devices_names_mfa_serial(stubbed: Any) -> None:
    starter, _, iam = stubbed
    iam.add_client_error(
        "list_mfa_devices", "AccessDenied", "not authorized to perform: iam:ListMFADevices"
    )
    with pytest.raises(IamError) as caught:
        starter.serial()
    assert "iam:ListMFADevices" in caught.value.cause
    assert "--mfa-serial" in caught.value.fix and caught.value.exit_code == EXIT_IAM


def test_any_other_listing_failure_names_mfa_serial_too(stubbed: Any) -> None:
    starter, _, iam = stubbed
    iam.add_client_error("list_mfa_devices", "NoSuchEntity", "The user with name x is not found.")
    with pytest.raises(IamError) as caught:
        starter.serial()
    assert "NoSuchEntity" in caught.value.cause and "--mfa-serial" in caught.value.fix


def test_mfa_serial_is_used_as_given_and_checked(home: Path) -> None:
    assert mfa_sts.Starter("dev", "us-east-1", SERIAL).serial() == SERIAL  # no AWS call
    with pytest.raises(UsageError) as caught:
        mfa_sts.Starter("dev", "us-east-1", "not a serial")
    assert "--mfa-serial" in caught.value.cause


# --- starting one -------------------------------------------------------------------------


def expect_session(sts: Stubber, code: str = "908172", duration: int = 43200) -> None:
    params = {"SerialNumber": SERIAL, "TokenCode": code, "DurationSeconds": duration}
    sts.add_response("get_session_token", {"Credentials": SESSION}, params)


def test_a_session_is_started_and_cached_privately(
    stubbed: Any, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    starter, sts, iam = stubbed
    iam.add_response("list_mfa_devices", devices(SERIAL), {})
    expect_session(sts)
    seen: list[tuple[int, int]] = []
    real_replace = os.replace

    def replace(source: Any, target: Any) -> None:  # the file as it is before it has its name
        seen.append((stat.S_IMODE(os.stat(source).st_mode), os.path.getsize(source)))
        real_replace(source, target)

    monkeypatch.setattr(files.os, "replace", replace)
    old_umask = os.umask(0)  # the modes must not depend on the umask
    try:
        session = starter.start("908 172")  # as an authenticator app shows it
    finally:
        os.umask(old_umask)
    path = home / ".aws" / "bootstrap" / "mfa" / "dev.json"
    assert mfa_session.cache_path("dev") == path
    assert seen and all(mode == 0o600 for mode, _ in seen)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for folder in (path.parent, path.parent.parent):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    document = json.loads(path.read_text())
    assert document["serial"] == SERIAL
    assert datetime.fromisoformat(document["expires"]) == EXPIRES
    assert document["credentials"] == {
        "access_key_id": SESSION["AccessKeyId"],
        "secret_access_key": SESSION["SecretAccessKey"],
        "session_token": SESSION["SessionToken"],
    }
    assert "908172" not in path.read_text() and "908 172" not in path.read_text()
    assert session.expires == EXPIRES and session.credentials.token == SESSION["SessionToken"]
    cached = mfa_session.cached("dev")
    assert cached is not None and cached.credentials == session.credentials
    # What a report may show has no secret in it, nor does the session's repr.
    shown = json.dumps(session.as_json()) + repr(session)
    assert SESSION["SecretAccessKey"] not in shown and SESSION["SessionToken"] not in shown


def test_the_duration_is_sent(home: Path) -> None:
    sts_client, iam_client = client("sts"), client("iam")
    with Stubber(sts_client) as stub:
        stub.add_response(
            "get_session_token",
            {"Credentials": SESSION},
            {"SerialNumber": SERIAL, "TokenCode": "654321", "DurationSeconds": 129600},
        )
        starter = mfa_sts.Starter(
            "dev", "us-east-1", SERIAL, 129600, sts=sts_client, iam=iam_client
        )
        assert starter.start("654321").duration == 129600
        stub.assert_no_pending_responses()


def test_a_wrong_or_used_code_is_not_accepted_and_nothing_is_cached(
    stubbed: Any, home: Path
) -> None:
    starter, sts, iam = stubbed
    iam.add_response("list_mfa_devices", devices(SERIAL), {})
    sts.add_client_error("get_session_token", "AccessDenied", WRONG_CODE, 403)
    with pytest.raises(mfa_session.CodeNotAccepted) as caught:
        starter.start("000000")
    assert caught.value.cause.startswith("that MFA code was not accepted")
    assert "next code" in caught.value.fix and "000000" not in caught.value.cause
    assert mfa_session.cached("dev") is None


@pytest.mark.parametrize("code", ["12345", "1234567", "abcdef", ""])
def test_what_is_not_a_code_is_refused_before_asking_aws(stubbed: Any, code: str) -> None:
    starter, _, _ = stubbed
    with pytest.raises(mfa_session.CodeNotAccepted) as caught:
        starter.start(code)
    assert "6 digits" in caught.value.cause


def test_a_serial_that_is_not_the_users_names_the_flag(stubbed: Any) -> None:
    starter, sts, iam = stubbed
    iam.add_response("list_mfa_devices", devices(SERIAL), {})
    message = (
        "MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA "
        "serial number is valid and associated with this user."
    )
    sts.add_client_error("get_session_token", "AccessDenied", message, 403)
    with pytest.raises(mfa_session.MfaError) as caught:
        starter.start("123456")
    assert not isinstance(caught.value, mfa_session.CodeNotAccepted)  # asking again won't help
    assert "--mfa-serial" in caught.value.fix


def test_session_credentials_cannot_start_one(stubbed: Any) -> None:
    starter, sts, iam = stubbed
    iam.add_response("list_mfa_devices", devices(SERIAL), {})
    sts.add_client_error(
        "get_session_token",
        "AccessDenied",
        "Cannot call GetSessionToken with session credentials",
        403,
    )
    with pytest.raises(mfa_session.TemporaryCredentials) as caught:
        starter.start("123456")
    assert "long-term access key" in caught.value.cause


def test_a_profile_with_a_session_token_is_refused_before_any_request(home: Path) -> None:
    (home / ".aws" / "credentials").write_text(
        "[role]\naws_access_key_id = ASIAX\naws_secret_access_key = s\naws_session_token = t\n"
    )
    with pytest.raises(mfa_session.TemporaryCredentials):
        mfa_sts.Starter("role", "us-east-1").serial()


def test_asking_again_after_a_wrong_code(stubbed: Any) -> None:
    starter, sts, iam = stubbed
    iam.add_response("list_mfa_devices", devices(SERIAL), {})
    sts.add_client_error("get_session_token", "AccessDenied", WRONG_CODE, 403)
    expect_session(sts, "222222")
    codes, said, questions = iter(["111111", "222222"]), [], []

    def ask(question: str) -> str:
        questions.append(question)
        return next(codes)

    session = mfa_sts.start_asking(starter, ask, said.append)
    assert session.credentials.access_key == SESSION["AccessKeyId"]
    assert questions == [f"MFA code for {SERIAL} (profile dev)"] * 2
    assert len(said) == 1 and "not accepted" in said[0] and "2 more tries" in said[0]


def test_a_few_tries_then_the_error(stubbed: Any) -> None:
    starter, sts, iam = stubbed
    iam.add_response("list_mfa_devices", devices(SERIAL), {})
    for _ in range(mfa_session.TRIES):
        sts.add_client_error("get_session_token", "AccessDenied", WRONG_CODE, 403)
    asked: list[str] = []
    with pytest.raises(mfa_session.CodeNotAccepted):
        mfa_sts.start_asking(starter, lambda q: asked.append(q) or "000000")
    assert len(asked) == mfa_session.TRIES == 3


# --- the cache: reuse, damage, removal ------------------------------------------------------


def test_a_session_is_reused_until_five_minutes_before_it_expires(home: Path) -> None:
    session = session_of(EXPIRES)
    assert session.valid_at(EXPIRES - timedelta(minutes=5, seconds=1))
    assert not session.valid_at(EXPIRES - timedelta(minutes=5))
    assert not session.valid_at(EXPIRES + timedelta(hours=1))
    mfa_session.save(session)
    found = mfa_session.cached("dev")
    assert found is not None and found.expires == EXPIRES and found.serial == SERIAL


def test_the_default_profile_and_awkward_names(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = home / ".aws" / "bootstrap" / "mfa"
    assert mfa_session.cache_path(None) == folder / "default.json"
    monkeypatch.setenv("AWS_PROFILE", "ci")
    assert mfa_session.cache_path(None) == folder / "ci.json"
    assert mfa_session.cache_path("a/b c") == folder / "a%2Fb%20c.json"
    assert mfa_session.cache_path("..") == folder / "...json"


@pytest.mark.parametrize("text", ["", "not json", '{"format": 1}', "[]"])
def test_a_damaged_cache_is_no_session(home: Path, text: str) -> None:
    path = mfa_session.cache_path("dev")
    path.parent.mkdir(parents=True)
    path.write_text(text)
    assert mfa_session.cached("dev") is None


def test_another_profiles_file_is_not_taken(home: Path) -> None:
    mfa_session.save(session_of(EXPIRES, "prod"))
    mfa_session.cache_path("prod").rename(mfa_session.cache_path("dev"))
    assert mfa_session.cached("dev") is None


def test_forget_deletes_the_file_and_our_empty_folders(home: Path) -> None:
    mfa_session.save(session_of(EXPIRES))
    assert mfa_session.forget("dev") == mfa_session.cache_path("dev")
    assert not (home / ".aws" / "bootstrap").exists() and (home / ".aws").is_dir()
    assert mfa_session.forget("dev") is None


def test_the_expiry_is_said_for_people(home: Path) -> None:
    now = EXPIRES - timedelta(hours=11, minutes=59, seconds=30)
    assert session_of(EXPIRES).describe(now) == "expires 2030-01-02 03:04 UTC (in 11 h 59 min)"
    later = EXPIRES + timedelta(minutes=12)
    assert session_of(EXPIRES).describe(later) == "expired 2030-01-02 03:04 UTC (12 min ago)"


# --- the duration -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        (None, 43200),
        ("43200", 43200),
        ("12h", 43200),
        ("36h", 129600),
        ("129600", 129600),
        ("90m", 5400),
        ("900s", 900),
        (" 2H ", 7200),
    ],
)
def test_durations(text: str | None, seconds: int) -> None:
    assert mfa_session.parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("129601", "36 h"),
        ("37h", "36 h"),
        ("10m", "15 min"),
        ("12 hours", "not a duration"),
        ("-1", "not a duration"),
        ("1.5h", "not a duration"),
    ],
)
def test_durations_out_of_bounds_are_usage_errors(text: str, words: str) -> None:
    with pytest.raises(UsageError) as caught:
        mfa_session.parse_duration(text)
    assert words in caught.value.cause and "--mfa-duration" in caught.value.cause


# --- the helper line ----------------------------------------------------------------------

BOOTSTRAP = helper_program.HelperCommand("bootstrap", True)
SUB = helper_program.SUBCOMMAND


def test_the_helper_line_carries_mfa_and_reads_back() -> None:
    line = BOOTSTRAP.helper("dev", mfa=True)
    assert line == "!bootstrap git-credential --profile dev --mfa"
    assert helper_program.parse_helper_line(line) == helper_program.HelperLine(
        "bootstrap", "dev", True
    )
    assert helper_program.parse_helper(line) == ("bootstrap", "dev")  # what doctor reads
    assert BOOTSTRAP.helper(None, mfa=True) == "!bootstrap git-credential --mfa"
    python = helper_program.HelperCommand("/venv/bin/python -m bootstrap", False)
    assert helper_program.parse_helper_line(python.helper("my profile", True)) == (
        helper_program.HelperLine("/venv/bin/python -m bootstrap", "my profile", True)
    )


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("!bootstrap git-credential", ("bootstrap", None, False)),
        ("!bootstrap git-credential --profile dev", ("bootstrap", "dev", False)),
        ("!bootstrap git-credential --mfa --profile dev", ("bootstrap", "dev", True)),
        ("!bootstrap git-credential --profile git-credential", ("bootstrap", SUB, False)),
        ("!bootstrap git-credential --mfa --mfa", None),
        ("!bootstrap git-credential --profile a --profile b", None),
        ("!bootstrap git-credential --verbose", None),
        ("!bootstrap git-credential --profile", None),
        ("!/usr/bin/gh auth git-credential", None),
    ],
)
def test_parse_helper_line(value: str, parsed: tuple[str, str | None, bool] | None) -> None:
    expected = helper_program.HelperLine(*parsed) if parsed else None
    assert helper_program.parse_helper_line(value) == expected


def test_the_git_config_plan_writes_the_mfa_line(tmp_path: Path) -> None:
    seen = git_config.Look(tmp_path / ".gitconfig", False, (2, 40), {})
    planned = git_config.plan(seen, BOOTSTRAP, "dev", mfa=True)
    assert planned.helper == "!bootstrap git-credential --profile dev --mfa"
    assert all(("helper", planned.helper) in section.entries for section in planned.sections)
    written = {section.url: section.entries for section in planned.sections}
    again = git_config.Look(seen.path, True, (2, 40), written)
    assert all(git_config.is_ours(entries) for entries in written.values())
    assert git_config.helper_lines(again)[0].mfa is True
    assert git_config.plan(again, BOOTSTRAP, "dev", mfa=True).action == "unchanged"
    assert git_config.plan(again, BOOTSTRAP, "dev").action == "updated"  # --no-mfa
