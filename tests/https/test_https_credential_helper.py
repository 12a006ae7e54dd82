"""`bootstrap git-credential`: git's credential-helper protocol, the credentials botocore's chain
finds (in a temporary home), and the command as git runs it: one line on failure, the password
on stdout only."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from bootstrap.errors import EXIT_IDENTITY, EXIT_USAGE
from bootstrap.https import credential_helper as helper
from bootstrap.https import signing
from sandbox.iam import MotoIam

HOST = "git-codecommit.eu-west-1.amazonaws.com"
REQUEST = f"protocol=https\nhost={HOST}\npath=v1/repos/demo\n\n"
NOW = datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc)
AKID, SECRET, TOKEN = "AKIAHELPERTEST", "helper/secret+KEY", "FwoGZXIvYXdzEXAMPLETOKEN+/="


def fixed(token: str | None = None) -> helper.Credentials:
    return helper.Credentials(AKID, SECRET, token)


@pytest.fixture
def home(aws_free_home: Path) -> Path:
    return aws_free_home


def write_credentials(home: Path, text: str) -> None:
    (home / ".aws" / "credentials").write_text(text)


def write_config(home: Path, text: str) -> None:
    (home / ".aws" / "config").write_text(text)


# --- the protocol -------------------------------------------------------------------------


def test_parse_stops_at_the_blank_line() -> None:
    request = helper.parse(
        [
            "protocol=https\n",
            "host=h\n",
            "path=a=b\n",
            "capability[]=authtype\n",
            "junk\n",
            "\n",
            "host=after-the-blank-line\n",
        ]
    )
    assert request.attributes == {"protocol": "https", "host": "h", "path": "a=b"}


def test_read_request_reads_bytes_to_eof() -> None:
    request = helper.read_request(io.BytesIO(b"protocol=https\r\nhost=git-codecommit.x\n"))
    assert (request.protocol, request.host, request.path) == ("https", "git-codecommit.x", None)


def test_get_answers_a_codecommit_host() -> None:
    reply = helper.answer(helper.parse(REQUEST.splitlines()), lambda: fixed(TOKEN), NOW)
    expected = signing.password(SECRET, "eu-west-1", HOST, "/v1/repos/demo", NOW)
    assert reply == f"username={AKID}%{TOKEN}\npassword={expected}\n"


@pytest.mark.parametrize(
    "text",
    [
        "protocol=https\nhost=github.com\npath=o/r.git\n",
        f"protocol=http\nhost={HOST}\npath=v1/repos/demo\n",  # not over https
        f"protocol=ssh\nhost={HOST}\n",
        "protocol=https\n",
        "",
    ],
)
def test_other_requests_get_no_answer_and_no_credentials_are_looked_up(text: str) -> None:
    def never() -> helper.Credentials:
        raise AssertionError("credentials were looked up")

    assert helper.answer(helper.parse(text.splitlines()), never, NOW) == ""


def test_without_a_path_the_error_names_use_http_path() -> None:
    with pytest.raises(helper.NoHttpPath) as caught:
        helper.answer(helper.parse(f"protocol=https\nhost={HOST}:443\n".splitlines()), fixed, NOW)
    assert "credential.useHttpPath must be true" in caught.value.fix
    assert caught.value.exit_code == EXIT_USAGE


@pytest.mark.parametrize("action", ["store", "erase", "something-new"])
def test_other_actions_read_and_do_nothing(action: str) -> None:
    stdin = io.BytesIO((REQUEST.rstrip("\n") + "\nusername=u\npassword=p\n").encode())
    stdout = io.BytesIO()

    def never(profile: str | None) -> helper.Credentials:
        raise AssertionError("credentials were looked up")

    helper.run(action, None, stdin, stdout, credentials=never)
    assert stdout.getvalue() == b""
    assert stdin.read() == b""  # everything was read


def test_run_get_writes_bytes_with_plain_newlines() -> None:
    stdout = io.BytesIO()
    helper.run("get", "p", io.BytesIO(REQUEST.encode()), stdout, lambda p: fixed(), NOW)
    assert stdout.getvalue().count(b"\n") == 2 and b"\r" not in stdout.getvalue()


# --- botocore's chain ---------------------------------------------------------------------


def test_static_keys_from_the_shared_credentials_file(home: Path) -> None:
    write_credentials(home, f"[default]\naws_access_key_id = {AKID}\naws_secret_access_key = x\n")
    assert helper.from_botocore(None) == helper.Credentials(AKID, "x", None)


def test_a_named_profile_with_a_session_token(home: Path) -> None:
    write_credentials(
        home,
        f"[dev]\naws_access_key_id = {AKID}\naws_secret_access_key = s\n"
        f"aws_session_token = {TOKEN}\n",
    )
    assert helper.from_botocore("dev") == helper.Credentials(AKID, "s", TOKEN)


def test_aws_profile_is_the_default(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_credentials(home, "[dev]\naws_access_key_id = AKIADEV\naws_secret_access_key = s\n")
    monkeypatch.setenv("AWS_PROFILE", "dev")
    assert helper.from_botocore(None).access_key == "AKIADEV"


def test_credential_process(home: Path) -> None:
    script = home / "creds.sh"
    script.write_text(
        "#!/bin/sh\n"
        f'echo \'{{"Version": 1, "AccessKeyId": "AKIAPROC", "SecretAccessKey": "p", '
        f'"SessionToken": "{TOKEN}"}}\'\n'
    )
    script.chmod(0o700)
    write_config(home, f"[profile proc]\ncredential_process = {script}\n")
    assert helper.from_botocore("proc") == helper.Credentials("AKIAPROC", "p", TOKEN)


def test_a_failing_credential_process_is_one_error(home: Path) -> None:
    write_config(home, "[profile proc]\ncredential_process = /bin/echo not-json\n")
    with pytest.raises(helper.CredentialsError) as caught:
        helper.from_botocore("proc")
    assert "profile 'proc'" in caught.value.cause


def test_a_missing_profile_is_named(home: Path) -> None:
    write_credentials(home, "[dev]\naws_access_key_id = A\naws_secret_access_key = s\n")
    with pytest.raises(helper.CredentialsError) as caught:
        helper.from_botocore("nope")
    assert "'nope'" in caught.value.cause
    assert "--profile" in caught.value.fix and caught.value.exit_code == EXIT_IDENTITY


def test_no_credentials_names_aws_configure(home: Path) -> None:
    with pytest.raises(helper.CredentialsError) as caught:
        helper.from_botocore(None)
    assert "no AWS credentials" in caught.value.cause
    assert "aws configure" in caught.value.fix and "--profile" in caught.value.fix


@pytest.mark.parametrize(
    "config",
    [
        # sso-session, as `aws configure sso` writes it today
        "[profile sso]\nsso_session = corp\nsso_account_id = 111122223333\n"
        "sso_role_name = Dev\n[sso-session corp]\n"
        "sso_start_url = https://example.awsapps.com/start\nsso_region = eu-west-1\n",
        # the legacy form
        "[profile sso]\nsso_start_url = https://example.awsapps.com/start\n"
        "sso_region = eu-west-1\nsso_account_id = 111122223333\nsso_role_name = Dev\n",
    ],
)
def test_sso_without_a_login_says_aws_sso_login(home: Path, config: str) -> None:
    write_config(home, config)
    with pytest.raises(helper.CredentialsError) as caught:
        helper.from_botocore("sso")
    assert caught.value.fix == "run: aws sso login --profile sso"


def test_assume_role_uses_and_fills_the_aws_cli_cache(
    home: Path, moto_iam: MotoIam, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A role profile is assumed through STS once; the AWS CLI's cache holds the result."""
    base = moto_iam.create_developer("https-helper-role-user")
    write_credentials(
        home,
        f"[base]\naws_access_key_id = {base.access_key_id}\n"
        f"aws_secret_access_key = {base.secret_access_key}\n",
    )
    write_config(
        home,
        "[profile role]\nrole_arn = arn:aws:iam::123456789012:role/dev\n"
        "source_profile = base\nregion = us-east-1\n",
    )
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_iam.endpoint)
    first = helper.from_botocore("role")
    assert first.token and first.access_key != base.access_key_id
    cached = list((home / ".aws" / "cli" / "cache").glob("*.json"))
    assert len(cached) == 1
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # STS unreachable now
    assert helper.from_botocore("role") == first


# --- the command, as git runs it ------------------------------------------------------------


def run_command(
    home: Path, *args: str, stdin: str = REQUEST, extra: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env |= {"HOME": str(home), "AWS_EC2_METADATA_DISABLED": "true", **(extra or {})}
    return subprocess.run(
        [sys.executable, "-m", "bootstrap", "git-credential", *args],
        input=stdin.encode(),
        capture_output=True,
        env=env,
        cwd=home,
        timeout=60,
        check=False,
    )


def test_command_get_prints_username_and_password_only(home: Path) -> None:
    write_credentials(
        home,
        f"[dev]\naws_access_key_id = {AKID}\naws_secret_access_key = {SECRET}\n"
        f"aws_session_token = {TOKEN}\n",
    )
    done = run_command(home, "--profile", "dev", "get")
    assert done.returncode == 0 and done.stderr == b""
    lines = done.stdout.decode().splitlines()
    assert [line.split("=", 1)[0] for line in lines] == ["username", "password"]
    assert lines[0] == f"username={AKID}%{TOKEN}"
    password = lines[1].removeprefix("password=")
    when = datetime.strptime(password[:15], "%Y%m%dT%H%M%S")
    assert password == signing.password(SECRET, "eu-west-1", HOST, "v1/repos/demo", when)
    assert abs((datetime.now(timezone.utc).replace(tzinfo=None) - when).total_seconds()) < 60


def test_command_other_host_prints_nothing(home: Path) -> None:
    done = run_command(home, "get", stdin="protocol=https\nhost=github.com\n\n")
    assert (done.returncode, done.stdout, done.stderr) == (0, b"", b"")


@pytest.mark.parametrize(
    ("args", "stdin", "code", "words"),
    [
        (("get",), f"protocol=https\nhost={HOST}\n\n", EXIT_USAGE, "credential.useHttpPath"),
        (("--profile", "nope", "get"), REQUEST, EXIT_IDENTITY, "'nope'"),
        (("get",), REQUEST, EXIT_IDENTITY, "aws configure"),
    ],
)
def test_command_failures_are_one_line(
    home: Path, args: tuple[str, ...], stdin: str, code: int, words: str
) -> None:
    write_credentials(home, f"[dev]\naws_access_key_id = A\naws_secret_access_key = {SECRET}\n")
    done = run_command(home, *args, stdin=stdin)
    err = done.stderr.decode()
    assert done.returncode == code and done.stdout == b""
    assert err.count("\n") == 1 and err.startswith("bootstrap git-credential: ")
    assert words in err and "Traceback" not in err and SECRET not in err


def test_command_store_and_erase_do_nothing(home: Path) -> None:
    for action in ("store", "erase"):
        done = run_command(home, action, stdin=REQUEST + "username=u\npassword=p\n")
        assert (done.returncode, done.stdout, done.stderr) == (0, b"", b"")
    assert sorted(p.name for p in home.iterdir()) == [".aws"]  # nothing written
