"""`bootstrap git-credential --mfa get`, as git runs it: a valid cached MFA session signs
(username AKID%TOKEN, no AWS SDK imported); an expired one is asked for again on the terminal
(/dev/tty: git holds stdin and stdout), and with no terminal the helper fails in one line that
names `bootstrap mfa`. The path without --mfa imports none of it."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pexpect
import pytest
from mfa_fakes import SERIAL, FakeSts

from bootstrap.errors import EXIT_IDENTITY
from bootstrap.https import mfa_helper, mfa_session, signing
from bootstrap.https.shared_files import Credentials

HOST = "git-codecommit.eu-west-1.amazonaws.com"
REQUEST = f"protocol=https\nhost={HOST}\npath=v1/repos/demo\n\n"
LONG_TERM = ("AKIALONGTERMKEY01", "long/term/SECRET")
CACHED = Credentials("ASIACACHEDSESSION1", "cached/session/SECRET", "CachedSessionToken+/=")
HEAVY = ("boto3", "botocore")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / ".aws").mkdir()
    (tmp_path / ".aws" / "credentials").write_text(
        f"[dev]\naws_access_key_id = {LONG_TERM[0]}\naws_secret_access_key = {LONG_TERM[1]}\n"
    )
    return tmp_path


@pytest.fixture
def sts() -> Iterator[FakeSts]:
    with FakeSts() as fake:
        yield fake


def cache(expires: datetime, profile: str = "dev") -> None:
    session = mfa_session.Session(profile, SERIAL, expires, CACHED, duration=3600)
    mfa_session.save(session)


def env_for(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "GIT_"))}
    return env | {"HOME": str(home), "AWS_EC2_METADATA_DISABLED": "true", **extra}


def helper(
    home: Path, *args: str, importtime: bool = False, **extra: str
) -> subprocess.CompletedProcess[bytes]:
    """The helper as git runs it, in a session of its own: no controlling terminal."""
    python = [sys.executable, *(["-X", "importtime"] if importtime else [])]
    return subprocess.run(
        [*python, "-m", "bootstrap", "git-credential", *args],
        input=REQUEST.encode(),
        capture_output=True,
        env=env_for(home, **extra),
        cwd=home,
        timeout=60,
        check=False,
        start_new_session=True,
    )


def imported(stderr: bytes) -> set[str]:
    lines = stderr.decode().splitlines()
    return {line.rsplit("|", 1)[1].strip() for line in lines if line.startswith("import time:")}


def signed_with(stdout: bytes, credentials: Credentials) -> None:
    username, password = (line.split("=", 1)[1] for line in stdout.decode().splitlines())
    assert username == signing.username(credentials.access_key, credentials.token)
    if credentials.token:
        assert username == f"{credentials.access_key}%{credentials.token}"
    when = datetime.strptime(password[:15], "%Y%m%dT%H%M%S")
    expected = signing.password(credentials.secret_key, "eu-west-1", HOST, "v1/repos/demo", when)
    assert password == expected


def in_hours(hours: float) -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0) + timedelta(hours=hours)


# --- a valid session -------------------------------------------------------------------------


def test_a_valid_session_signs_and_no_aws_sdk_is_imported(home: Path) -> None:
    cache(in_hours(2))
    done = helper(home, "--profile", "dev", "--mfa", "get", importtime=True)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    signed_with(done.stdout, CACHED)
    modules = imported(done.stderr)
    assert "bootstrap.https.mfa_helper" in modules  # the check is not blind
    assert not [m for m in modules if m.split(".")[0] in HEAVY]


def test_without_mfa_nothing_of_it_is_imported(home: Path) -> None:
    cache(in_hours(2))
    done = helper(home, "--profile", "dev", "get", importtime=True)
    assert done.returncode == 0
    signed_with(done.stdout, Credentials(*LONG_TERM))  # the long-term key, as before
    assert not [m for m in imported(done.stderr) if "mfa" in m]


def test_other_hosts_get_no_answer_and_no_session_is_needed(home: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bootstrap", "git-credential", "--mfa", "get"],
        input=b"protocol=https\nhost=github.com\n\n",
        capture_output=True,
        env=env_for(home),
        timeout=60,
        start_new_session=True,
        check=False,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, b"", b"")


# --- expired, and no terminal ----------------------------------------------------------------


def one_line(done: subprocess.CompletedProcess[bytes]) -> str:
    err = done.stderr.decode()
    assert done.returncode == EXIT_IDENTITY and done.stdout == b""
    assert err.count("\n") == 1 and err.startswith("bootstrap git-credential: "), err
    assert "Traceback" not in err
    for secret in (CACHED.secret_key, CACHED.token or "", LONG_TERM[1]):
        assert secret not in err
    return err


def test_an_expired_session_without_a_terminal_names_bootstrap_mfa(home: Path) -> None:
    expired = in_hours(-1)
    cache(expired)
    err = one_line(helper(home, "--profile", "dev", "--mfa", "get"))
    assert f"the MFA session for profile dev expired at {mfa_session.when(expired)}" in err
    assert err.rstrip().endswith("run: bootstrap mfa --profile dev")


def test_a_session_in_its_last_five_minutes_is_not_used(home: Path) -> None:
    cache(datetime.now(timezone.utc) + timedelta(minutes=4))
    err = one_line(helper(home, "--profile", "dev", "--mfa", "get"))
    assert "in less than 5 minutes; run: bootstrap mfa --profile dev" in err


def test_no_session_at_all_without_a_terminal(home: Path) -> None:
    err = one_line(helper(home, "--mfa", "get", AWS_PROFILE="dev"))
    assert "there is no MFA session for profile dev; run: bootstrap mfa --profile dev" in err


@pytest.mark.parametrize("value", ["0", "false", "no", "off"])
def test_git_terminal_prompt_false_means_no_question(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_TERMINAL_PROMPT", value)
    assert mfa_helper.open_terminal() is None


# --- expired, at a terminal ------------------------------------------------------------------


def spawn_helper(home: Path, sts: FakeSts, **extra: str) -> pexpect.spawn:
    """The helper with git's pipes on stdin/stdout and a terminal to ask on, as git runs it from
    a shell."""
    (home / "request").write_text(REQUEST)
    command = shlex.join([sys.executable, "-m", "bootstrap", "git-credential"])
    script = f"{command} --profile dev --mfa get < request > answer 2> errors"
    return pexpect.spawn(
        "/bin/sh",
        ["-c", script],
        env=env_for(home, **sts.env(), **extra),
        cwd=str(home),
        encoding="utf-8",
        timeout=60,
    )


def test_an_expired_session_is_started_again_at_the_terminal(home: Path, sts: FakeSts) -> None:
    cache(in_hours(-1))
    sts.accept = {"246810"}
    child = spawn_helper(home, sts)
    child.expect("expired at")
    child.expect(f"MFA code for {SERIAL} \\(profile dev\\): ")
    child.sendline("111111")
    child.expect("that MFA code was not accepted")
    child.expect("MFA code for ")
    child.sendline("246810")
    child.expect("MFA session expires")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, (home / "errors").read_text()
    issued = sts.issued[-1]
    fresh = Credentials(issued["AccessKeyId"], issued["SecretAccessKey"], issued["SessionToken"])
    signed_with((home / "answer").read_bytes(), fresh)
    assert "246810" not in child.before  # not echoed
    again = mfa_session.cached("dev")
    assert again is not None and again.valid and again.credentials == fresh
    assert [r["DurationSeconds"] for r in sts.requests] == ["3600", "3600"]  # as the last one
    assert [r["SerialNumber"] for r in sts.requests] == [SERIAL, SERIAL]  # no ListMFADevices


def test_git_terminal_prompt_0_is_one_line_even_at_a_terminal(home: Path, sts: FakeSts) -> None:
    cache(in_hours(-1))
    child = spawn_helper(home, sts, GIT_TERMINAL_PROMPT="0")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == EXIT_IDENTITY
    assert "run: bootstrap mfa --profile dev" in (home / "errors").read_text()
    assert sts.requests == []


def test_the_terminal_reads_a_line_without_echo() -> None:
    import termios
    import threading

    leader, follower = os.openpty()
    answers: list[str] = []
    try:
        terminal = mfa_helper.Terminal(os.dup(follower))
        asking = threading.Thread(target=lambda: answers.append(terminal.ask("MFA code")))
        asking.start()
        shown = b""
        while b"MFA code: " not in shown:  # type only once the question is there, as people do
            shown += os.read(leader, 1024)
        os.write(leader, b"135 790\n")
        asking.join(timeout=10)
        assert answers == ["135 790"]
        assert termios.tcgetattr(follower)[3] & termios.ECHO  # echo is back on
        terminal.say("done")
        while b"done" not in shown:
            shown += os.read(leader, 1024)
        assert b"135" not in shown
        os.close(terminal.fd)
    finally:
        os.close(leader)
        os.close(follower)
