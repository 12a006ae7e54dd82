"""`bootstrap mfa` and `bootstrap init --mfa`, run as a user runs them, against a fake STS/IAM
reached through AWS_ENDPOINT_URL (mfa_fakes.py): the session is started and cached, its expiry
printed and never its credentials; the flags' errors; and init's `mfa session` step, the helper
line with --mfa, the dry run that starts nothing. (Against the sandbox's STS double and a real
clone: the end-to-end tests.)"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pexpect
import pytest
from mfa_fakes import SERIAL, FakeSts

from bootstrap.errors import EXIT_IDENTITY, EXIT_USAGE, EXIT_WOULD_CHANGE
from bootstrap.https.shared_files import Credentials

OTHER = "arn:aws:iam::123456789012:mfa/alice-phone"
CODE = "975310"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A temporary home. ssh's files are found from the user database, not $HOME, so the
    commands that read them are given --ssh-config and --key here (LOCAL)."""
    (tmp_path / ".ssh").mkdir(mode=0o700)
    (tmp_path / ".aws").mkdir()
    (tmp_path / ".aws" / "credentials").write_text(
        "[dev]\naws_access_key_id = AKIALONGTERMKEY01\naws_secret_access_key = long/term\n"
    )
    return tmp_path


@pytest.fixture
def sts() -> Iterator[FakeSts]:
    with FakeSts() as fake:
        fake.accept = {CODE, "864200"}
        yield fake


def env_for(home: Path, sts: FakeSts, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "GIT_"))}
    return (
        env
        | sts.env()
        | {
            "HOME": str(home),
            "AWS_EC2_METADATA_DISABLED": "true",
            "GIT_CONFIG_GLOBAL": str(home / ".gitconfig"),
            "GIT_CONFIG_NOSYSTEM": "1",
            **extra,
        }
    )


def local(home: Path) -> tuple[str, ...]:
    return ("--ssh-config", str(home / ".ssh" / "config"), "--key", str(home / ".ssh" / "key"))


def run(home: Path, sts: FakeSts, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    if args[0] in ("init", "status", "remove"):
        args = (*args, *local(home))
    done = subprocess.run(
        [sys.executable, "-m", "bootstrap", *args],
        capture_output=True,
        text=True,
        env=env_for(home, sts, **extra),
        cwd=home,
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
        start_new_session=True,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done


def cached(home: Path, profile: str = "dev") -> dict[str, Any]:
    path = home / ".aws" / "bootstrap" / "mfa" / f"{profile}.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    document: dict[str, Any] = json.loads(path.read_text())
    return document


def no_secret_in(sts: FakeSts, *texts: str) -> None:
    for issued in sts.issued:
        for text in texts:
            assert issued["SecretAccessKey"] not in text and issued["SessionToken"] not in text


# --- bootstrap mfa ----------------------------------------------------------------------------


def test_mfa_with_code_starts_caches_and_prints_when_it_expires(home: Path, sts: FakeSts) -> None:
    done = run(home, sts, "mfa", "--profile", "dev", "--code", CODE, "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["ok"] is True and report["serial"] == SERIAL and report["valid"] is True
    expires = datetime.fromisoformat(report["expires"])
    assert (
        timedelta(hours=11, minutes=59)
        < expires - datetime.now(timezone.utc)
        <= timedelta(hours=12)
    )
    assert sts.actions() == ["ListMFADevices", "GetSessionToken"]
    asked = sts.requests[-1]
    assert (asked["SerialNumber"], asked["TokenCode"], asked["DurationSeconds"]) == (
        SERIAL,
        CODE,
        "43200",
    )
    document = cached(home)
    assert document["credentials"]["access_key_id"] == sts.issued[0]["AccessKeyId"]
    assert CODE not in (home / ".aws" / "bootstrap" / "mfa" / "dev.json").read_text()
    no_secret_in(sts, done.stdout, done.stderr)


def test_mfa_text_output_says_where_and_until_when(home: Path, sts: FakeSts) -> None:
    done = run(home, sts, "mfa", "--code", CODE, "--mfa-serial", SERIAL, AWS_PROFILE="dev")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("✓ mfa session created: profile dev, ")
    assert "expires " in done.stdout and "~/.aws/bootstrap/mfa/dev.json" in done.stdout
    assert sts.actions() == ["GetSessionToken"]  # --mfa-serial: no ListMFADevices
    no_secret_in(sts, done.stdout, done.stderr)


def test_mfa_duration_is_sent_and_36h_is_the_most(home: Path, sts: FakeSts) -> None:
    done = run(home, sts, "mfa", "--profile", "dev", "--code", CODE, "--mfa-duration", "36h")
    assert done.returncode == 0, done.stderr
    assert sts.requests[-1]["DurationSeconds"] == "129600"
    refused = run(home, sts, "mfa", "--profile", "dev", "--code", "864200", "--mfa-duration", "37h")
    assert refused.returncode == EXIT_USAGE
    assert "36 h" in refused.stderr and "fix: pass --mfa-duration 36h or less" in refused.stderr
    assert len(sts.requests) == 2  # refused before any request


def test_mfa_without_a_terminal_or_code_names_code(home: Path, sts: FakeSts) -> None:
    done = run(home, sts, "mfa", "--profile", "dev")
    assert done.returncode == EXIT_USAGE
    assert "no terminal to ask on" in done.stderr and "fix: pass --code" in done.stderr


def test_mfa_with_a_wrong_code_says_so(home: Path, sts: FakeSts) -> None:
    done = run(home, sts, "mfa", "--profile", "dev", "--code", "000000", "--json")
    assert done.returncode == EXIT_IDENTITY
    error = json.loads(done.stdout)["error"]
    assert error["cause"].startswith("that MFA code was not accepted")
    assert not (home / ".aws" / "bootstrap" / "mfa" / "dev.json").exists()


def test_mfa_with_several_devices_lists_them(home: Path, sts: FakeSts) -> None:
    sts.devices = [SERIAL, OTHER]
    done = run(home, sts, "mfa", "--profile", "dev", "--code", CODE)
    assert done.returncode == EXIT_IDENTITY
    assert f"{SERIAL}, {OTHER}" in done.stderr and "--mfa-serial" in done.stderr


def test_mfa_at_a_terminal_asks_again_after_a_wrong_code(home: Path, sts: FakeSts) -> None:
    child = pexpect.spawn(
        sys.executable,
        ["-m", "bootstrap", "mfa", "--profile", "dev"],
        env=env_for(home, sts, TERM="xterm-256color", PROMPT_TOOLKIT_NO_CPR="1"),
        cwd=str(home),
        encoding="utf-8",
        dimensions=(40, 200),
        timeout=60,
    )
    child.expect("MFA code for")
    child.sendline("111111")
    child.expect("that MFA code was not accepted")
    child.expect("MFA code for")
    child.sendline(CODE)
    child.expect("mfa session created")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert cached(home)["serial"] == SERIAL


# --- init --mfa -------------------------------------------------------------------------------


def init(home: Path, sts: FakeSts, *args: str) -> tuple[int, dict[str, Any], str]:
    done = run(home, sts, "init", "--yes", "--json", "--region", "eu-west-1", "--no-clone", *args)
    return done.returncode, json.loads(done.stdout), done.stderr


def steps(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {step["step"]: step for step in report["steps"]}


def helper_line(home: Path) -> str:
    config = (home / ".gitconfig").read_text()
    return next(line.strip() for line in config.splitlines() if "git-credential" in line)


def test_init_mfa_starts_a_session_and_writes_the_mfa_helper_line(home: Path, sts: FakeSts) -> None:
    code, report, stderr = init(home, sts, "--profile", "dev", "--mfa", "--mfa-code", CODE)
    assert code == 0, stderr
    found = steps(report)
    assert list(found) == ["identity", "mfa session", "git", "test clone"]
    assert found["mfa session"]["action"] == "created"
    assert found["mfa session"]["summary"].startswith("expires ")
    assert found["mfa session"]["serial"] == SERIAL
    assert found["git"]["mfa"] is True and "--mfa" in found["git"]["summary"]
    assert helper_line(home).endswith("git-credential --profile dev --mfa")
    assert cached(home)["serial"] == SERIAL
    no_secret_in(sts, json.dumps(report), stderr)

    # Again, without --mfa: the session is kept, and so is --mfa in the helper line.
    before = (home / ".gitconfig").read_bytes()
    code, report, stderr = init(home, sts, "--profile", "dev")
    assert code == 0, stderr
    assert steps(report)["mfa session"]["action"] == "unchanged"
    assert steps(report)["git"]["action"] == "unchanged"
    assert (home / ".gitconfig").read_bytes() == before
    assert sts.actions().count("GetSessionToken") == 1

    # And --no-mfa takes it out of the helper line.
    code, report, stderr = init(home, sts, "--profile", "dev", "--no-mfa")
    assert code == 0, stderr
    assert "mfa session" not in steps(report)
    assert helper_line(home).endswith("git-credential --profile dev")


def test_init_mfa_dry_run_and_check_start_nothing(home: Path, sts: FakeSts) -> None:
    for flag in ("--dry-run", "--check"):
        code, report, stderr = init(home, sts, "--profile", "dev", "--mfa", flag)
        assert code == (EXIT_WOULD_CHANGE if flag == "--check" else 0), stderr
        step = steps(report)["mfa session"]
        assert step["action"] == "created" and report["changed"] is False
        assert step["summary"] == f"a 12 h session for profile dev with {SERIAL}"
    assert "GetSessionToken" not in sts.actions()
    assert not (home / ".aws" / "bootstrap").exists() and not (home / ".gitconfig").exists()


def test_init_mfa_unattended_without_a_code_names_mfa_code(home: Path, sts: FakeSts) -> None:
    code, report, _ = init(home, sts, "--profile", "dev", "--mfa")
    assert code == EXIT_USAGE
    assert report["error"]["fix"] == "pass --mfa-code"
    assert not (home / ".gitconfig").exists()  # asked for in the look, before any change


def test_init_reuses_a_valid_session_without_a_code(home: Path, sts: FakeSts) -> None:
    expires = datetime.now(timezone.utc) + timedelta(hours=3)
    keys = Credentials("ASIAVALIDSESSION01", "valid/secret", "ValidToken")
    path = home / ".aws" / "bootstrap" / "mfa"
    path.mkdir(parents=True, mode=0o700)
    (path / "dev.json").write_text(
        json.dumps(
            {
                "format": 1,
                "profile": "dev",
                "serial": SERIAL,
                "expires": expires.isoformat(),
                "credentials": {
                    "access_key_id": keys.access_key,
                    "secret_access_key": keys.secret_key,
                    "session_token": keys.token,
                },
            }
        )
    )
    code, report, stderr = init(home, sts, "--profile", "dev", "--mfa")
    assert code == 0, stderr
    assert steps(report)["mfa session"]["action"] == "unchanged"
    assert "GetSessionToken" not in sts.actions()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--mfa", "--protocol", "ssh"), "--protocol ssh"),
        (("--no-mfa", "--mfa-code", CODE), "--no-mfa"),
        (("--mfa", "--mfa-duration", "40h"), "36 h"),
        (("--mfa-serial", "x"), "--mfa-serial 'x'"),
        (("--mfa-code", "12"), "--mfa-code is not an MFA code"),
    ],
)
def test_init_mfa_flag_errors_come_before_any_request(
    home: Path, sts: FakeSts, args: tuple[str, ...], words: str
) -> None:
    code, report, _ = init(home, sts, "--profile", "dev", *args)
    assert code == EXIT_USAGE
    assert words in report["error"]["cause"]
    assert sts.requests == []


def test_status_and_remove_know_the_session(home: Path, sts: FakeSts) -> None:
    assert init(home, sts, "--profile", "dev", "--mfa", "--mfa-code", CODE)[0] == 0
    done = run(home, sts, "status", "--region", "eu-west-1", "--profile", "dev", "--json")
    checks = {check["step"]: check for check in json.loads(done.stdout)["steps"]}
    assert checks["mfa session"]["status"] == "ok", done.stdout
    assert checks["mfa session"]["summary"].startswith("profile dev: expires ")
    no_secret_in(sts, done.stdout)

    # Expired: ✗, and the fix.
    path = home / ".aws" / "bootstrap" / "mfa" / "dev.json"
    document = json.loads(path.read_text())
    document["expires"] = (datetime.now(timezone.utc) - timedelta(hours=1)).isoformat()
    path.write_text(json.dumps(document))
    done = run(home, sts, "status", "--region", "eu-west-1", "--profile", "dev")
    assert done.returncode != 0
    assert "✗ mfa session" in done.stdout and "expired" in done.stdout
    assert "fix: run: bootstrap mfa --profile dev" in done.stdout

    done = run(home, sts, "remove", "--yes", "--region", "eu-west-1", "--profile", "dev", "--json")
    assert done.returncode == 0, done.stderr
    removed = steps(json.loads(done.stdout))
    assert removed["mfa session"]["action"] == "deleted"
    assert not path.exists() and not (home / ".aws" / "bootstrap").exists()
    again = run(home, sts, "remove", "--yes", "--region", "eu-west-1", "--profile", "dev", "--json")
    assert "mfa session" not in steps(json.loads(again.stdout))  # nothing of MFA left


def test_init_mfa_at_a_terminal_asks_for_the_code_before_go_ahead(home: Path, sts: FakeSts) -> None:
    args = ["init", "--region", "eu-west-1", "--profile", "dev", "--no-clone", "--mfa"]
    child = pexpect.spawn(
        sys.executable,
        ["-m", "bootstrap", *args, *local(home)],
        env=env_for(home, sts, TERM="xterm-256color", PROMPT_TOOLKIT_NO_CPR="1"),
        cwd=str(home),
        encoding="utf-8",
        dimensions=(40, 200),
        timeout=60,
    )
    child.expect(f"MFA code for {SERIAL}")
    child.sendline("222222")
    child.expect("that MFA code was not accepted")
    child.expect("MFA code for")
    child.sendline(CODE)
    child.expect("mfa session  created: expires")
    child.expect("Go ahead")
    child.sendline("y")
    child.expect("git          created")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert helper_line(home).endswith("git-credential --profile dev --mfa")


@pytest.mark.parametrize(
    "args",
    [
        ("init", "--yes", "--region", "eu-west-1", "--mfa", "--mfa-duration", "40h"),
        ("init", "--yes", "--region", "eu-west-1", "--mfa", "--protocol", "ssh"),
        ("mfa", "--mfa-duration", "40h"),
        ("mfa", "--code", "12"),
    ],
)
def test_bad_mfa_values_are_refused_before_anything_heavy(
    home: Path, sts: FakeSts, args: tuple[str, ...]
) -> None:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "bootstrap", *args],
        capture_output=True,
        text=True,
        env=env_for(home, sts),
        cwd=home,
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )
    assert done.returncode == EXIT_USAGE, done.stderr[-500:]
    modules = {
        line.rsplit("|", 1)[1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert "bootstrap.cli" in modules
    assert not [m for m in modules if m.split(".")[0] in ("boto3", "botocore", "questionary")]
    assert sts.requests == []
