"""The helper's fast path (`shared_files.from_files`): whenever it answers, botocore's own
chain gives the same credentials for the same files and environment; everything else (roles,
SSO, web identity, credential_process, a file that does not parse, a missing profile) is left to
botocore, which then answers or gives its error. And a run that takes it imports no botocore."""

from __future__ import annotations

import locale
import os
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bootstrap.https import credential_helper as helper
from bootstrap.https import shared_files, signing

AKID, SECRET, TOKEN = "AKIAFASTPATH", "fast/secret+KEY", "FwoGZXIvYXdzFASTTOKEN+/="
HOST = "git-codecommit.eu-west-1.amazonaws.com"
REQUEST = f"protocol=https\nhost={HOST}\npath=v1/repos/demo\n\n"
# Where botocore would go for a role or web identity: nowhere (connection refused at once).
NOWHERE = {"AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_MAX_ATTEMPTS": "1"}
HEAVY = ("boto3", "botocore", "paramiko", "questionary", "cryptography")


@pytest.fixture
def home(aws_free_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name, value in NOWHERE.items():
        monkeypatch.setenv(name, value)
    return aws_free_home


def write(home: Path, name: str, text: str) -> Path:
    path = home / ".aws" / name
    path.write_text(text)
    return path


def static(section: str = "default", token: str | None = None, secret: str = SECRET) -> str:
    text = f"[{section}]\naws_access_key_id = {AKID}\naws_secret_access_key = {secret}\n"
    return text + (f"aws_session_token = {token}\n" if token else "")


def agrees(profile: str | None) -> helper.Credentials:
    """The fast path answers, and botocore answers the same."""
    fast = shared_files.from_files(profile)
    assert fast is not None, "the fast path did not answer"
    assert fast == helper.from_botocore(profile)
    return fast


def botocore_error(profile: str | None) -> str:
    """The fast path leaves it to botocore, which refuses: its one-line cause."""
    assert shared_files.from_files(profile) is None
    with pytest.raises(helper.CredentialsError) as caught:
        helper.find_credentials(profile)
    return caught.value.cause


# --- the environment ----------------------------------------------------------------------


def test_keys_in_the_environment(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", AKID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    assert agrees(None) == shared_files.Credentials(AKID, SECRET, None)


@pytest.mark.parametrize(
    ("tokens", "expected"),
    [
        ({"AWS_SESSION_TOKEN": TOKEN}, TOKEN),
        ({"AWS_SECURITY_TOKEN": TOKEN}, TOKEN),
        ({"AWS_SECURITY_TOKEN": "older", "AWS_SESSION_TOKEN": TOKEN}, "older"),  # botocore's order
        ({"AWS_SECURITY_TOKEN": "", "AWS_SESSION_TOKEN": TOKEN}, TOKEN),
        ({"AWS_SESSION_TOKEN": ""}, None),
    ],
)
def test_a_session_token_in_the_environment(
    home: Path, monkeypatch: pytest.MonkeyPatch, tokens: dict[str, str], expected: str | None
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", AKID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    for name, value in tokens.items():
        monkeypatch.setenv(name, value)
    assert agrees(None).token == expected


def test_the_environment_comes_before_the_files_and_a_role(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(home, "credentials", static(secret="from-the-file"))
    write(home, "config", "[default]\nrole_arn = arn:aws:iam::123456789012:role/r\n")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAENV")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "from-the-environment")
    assert agrees(None) == shared_files.Credentials("AKIAENV", "from-the-environment", None)


def test_aws_profile_keeps_the_environment_first(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(home, "credentials", static("dev"))
    monkeypatch.setenv("AWS_PROFILE", "dev")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAENV")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "from-the-environment")
    assert agrees(None).access_key == "AKIAENV"


def test_an_explicit_profile_skips_the_environment(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """botocore drops its EnvProvider when the profile is passed in (git's --profile)."""
    write(home, "credentials", static("dev"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAENV")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "from-the-environment")
    assert agrees("dev") == shared_files.Credentials(AKID, SECRET, None)


def test_environment_keys_with_a_missing_profile_are_botocores_error(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_PROFILE", "nope")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", AKID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    assert "'nope' is not in your AWS config" in botocore_error(None)


@pytest.mark.parametrize(
    "env",
    [
        {"AWS_SECRET_ACCESS_KEY": ""},  # half a key pair: botocore's error
        {"AWS_SECRET_ACCESS_KEY": SECRET, "AWS_CREDENTIAL_EXPIRATION": "2099-01-01T00:00:00Z"},
        {"AWS_SECRET_ACCESS_KEY": SECRET, "AWS_METADATA_SERVICE_TIMEOUT": "soon"},
    ],
)
def test_unusual_environments_are_left_to_botocore(
    home: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str]
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", AKID)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert shared_files.from_files(None) is None


# --- the shared credentials file ------------------------------------------------------------


def test_a_static_default_profile(home: Path) -> None:
    write(home, "credentials", static())
    assert agrees(None) == shared_files.Credentials(AKID, SECRET, None)
    assert agrees("default") == shared_files.Credentials(AKID, SECRET, None)


def test_a_named_profile(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(home, "credentials", static() + static("dev", secret="dev-secret"))
    write(home, "config", "[profile dev]\nregion = eu-west-1\noutput = json\n")
    assert agrees("dev").secret_key == "dev-secret"
    monkeypatch.setenv("AWS_PROFILE", "dev")
    assert agrees(None).secret_key == "dev-secret"


def test_aws_default_profile_comes_before_aws_profile(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(home, "credentials", static("one", secret="s1") + static("two", secret="s2"))
    monkeypatch.setenv("AWS_DEFAULT_PROFILE", "one")
    monkeypatch.setenv("AWS_PROFILE", "two")
    assert agrees(None).secret_key == "s1"


@pytest.mark.parametrize("name", ["aws_session_token", "aws_security_token"])
def test_a_credentials_file_with_a_session_token(home: Path, name: str) -> None:
    write(home, "credentials", static("dev") + f"{name} = {TOKEN}\n")
    assert agrees("dev") == shared_files.Credentials(AKID, SECRET, TOKEN)


def test_files_named_by_the_environment(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = home / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "creds").write_text(static("dev", secret="elsewhere"))
    (elsewhere / "conf").write_text("[profile dev]\nregion = eu-west-1\n")
    write(home, "credentials", static("dev", secret="not-this-one"))
    monkeypatch.setenv("ELSEWHERE", str(elsewhere))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "$ELSEWHERE/creds")
    monkeypatch.setenv("AWS_CONFIG_FILE", "~/elsewhere/conf")
    assert agrees("dev").secret_key == "elsewhere"


def test_ini_details_are_botocores(home: Path) -> None:
    """[DEFAULT] fills every section, keys are case-insensitive, `;` after a value is kept,
    and a quoted profile name in the config file names the credentials file's section."""
    write(
        home,
        "credentials",
        "[DEFAULT]\naws_secret_access_key = from-default\n"
        f"[my dev]\nAWS_ACCESS_KEY_ID = {AKID}\naws_session_token = t ; not a comment\n",
    )
    write(home, "config", '[profile "my dev"]\nregion = eu-west-1\ns3 =\n  max_concurrency = 4\n')
    assert agrees("my dev") == shared_files.Credentials(AKID, "from-default", "t ; not a comment")


# --- left to botocore -----------------------------------------------------------------------


def test_a_profile_with_a_role_is_left_to_botocore(home: Path) -> None:
    """Static keys in the credentials file, but the config file says to assume a role:
    botocore assumes it (here STS is unreachable, so it fails); the keys are not the answer."""
    write(home, "credentials", static("base") + static("dev"))
    write(
        home,
        "config",
        "[profile dev]\nrole_arn = arn:aws:iam::123456789012:role/dev\nsource_profile = base\n",
    )
    assert "could not get AWS credentials for profile 'dev'" in botocore_error("dev")


@pytest.mark.parametrize(
    "setting",
    [
        "role_arn = arn:aws:iam::123456789012:role/dev",
        "source_profile = base",
        "credential_source = Environment",
        "web_identity_token_file = /nowhere",
        "credential_process = /bin/false",
        "sso_session = corp",
        "sso_start_url = https://example.awsapps.com/start",
        "sso_account_id = 111122223333",
        "sso_role_name = Dev",
        "metadata_service_timeout = soon",
        "ec2_metadata_service_endpoint_mode = carrier-pigeon",
    ],
)
@pytest.mark.parametrize("where", ["config", "credentials"])
def test_a_profile_botocore_must_judge(home: Path, setting: str, where: str) -> None:
    """In either file: botocore merges the credentials file's section into the profile."""
    write(home, "credentials", static("dev") + (setting + "\n" if where == "credentials" else ""))
    write(home, "config", "[profile dev]\n" + (setting + "\n" if where == "config" else ""))
    assert shared_files.from_files("dev") is None


@pytest.mark.parametrize("name", ["AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN"])
def test_web_identity_in_the_environment_is_left_to_botocore(
    home: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    write(home, "credentials", static())
    monkeypatch.setenv(name, str(home / "token"))
    assert shared_files.from_files(None) is None


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("credentials", "aws_access_key_id = before any section\n"),
        ("credentials", static() + "a line with no equals sign\n"),
        ("credentials", static() + static()),  # a section twice
        ("config", "[default]\ns3 =\n  not a nested setting\n"),
        ("config", "[default\nregion = eu-west-1\n"),
    ],
)
def test_a_malformed_file_is_left_to_botocore(home: Path, name: str, text: str) -> None:
    if name == "config":
        write(home, "credentials", static())
    write(home, name, text)
    assert "could not get AWS credentials" in botocore_error(None)


def test_a_file_that_is_not_text_is_left_to_botocore(home: Path) -> None:
    if locale.getpreferredencoding(False).lower().replace("-", "") != "utf8":
        pytest.skip("needs a UTF-8 locale, which the bytes below are not")
    write(home, "credentials", static())
    (home / ".aws" / "config").write_bytes(b"[default]\nregion = \xff\xfe\n")
    assert "could not get AWS credentials" in botocore_error(None)


def test_a_missing_profile_is_botocores_one_line_error(home: Path) -> None:
    write(home, "credentials", static())
    assert "AWS profile 'nope' is not in your AWS config" in botocore_error("nope")


@pytest.mark.parametrize(
    ("credentials", "config"),
    [
        ("", f"[default]\naws_access_key_id = {AKID}\naws_secret_access_key = {SECRET}\n"),
        (f"[default]\naws_access_key_id = {AKID}\n", ""),  # no secret: botocore's error
        ("[default]\naws_access_key_id =\naws_secret_access_key = s\n", ""),
        ("[default]\nregion = eu-west-1\n", ""),
        ("", ""),
    ],
)
def test_no_static_keys_in_the_credentials_file_is_left_to_botocore(
    home: Path, credentials: str, config: str
) -> None:
    write(home, "credentials", credentials)
    write(home, "config", config)
    assert shared_files.from_files(None) is None


def test_an_empty_profile_name_is_left_to_botocore(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(home, "credentials", static())
    monkeypatch.setenv("AWS_PROFILE", "")
    assert shared_files.from_files(None) is None
    assert shared_files.from_files("") is None


# --- whatever the files say, the fast path never disagrees with botocore --------------------

SECTIONS = ["default", "dev", "profile dev", "profile default", "profile  dev", "DEFAULT"]
STATIC = {
    "aws_access_key_id": ["AKIA1", "AKIA2", "AKIA3", "AKIA4", "AKIA5", ""],
    "aws_secret_access_key": ["s1", "s/2+", "s3", "s4 ; s", "s5", ""],
}
OTHERS = {
    "aws_session_token": ["tok", ""],
    "aws_security_token": ["old"],
    "region": ["eu-west-1"],
    "role_arn": ["arn:aws:iam::123456789012:role/r"],
    "source_profile": ["dev"],
    "sso_account_id": ["111122223333"],
    "credential_process": ["/bin/false"],
    "metadata_service_timeout": ["2", "soon"],
    "s3": ["\n  max_concurrency = 4"],
}


@st.composite
def ini(draw: st.DrawFn) -> str:
    """Some of SECTIONS in any order, most with static keys (some empty or half there), a few with a
    setting that sends them to botocore; now and then a line that does not parse."""
    lines = []
    for section in draw(st.permutations(SECTIONS)):
        if draw(st.integers(0, 3)) == 1:
            continue
        lines.append(f"[{section}]")
        # Hypothesis favours the ends of a range: the odd case is a number in the middle.
        keys = [key for key in STATIC if draw(st.integers(0, 9)) != 4]
        if draw(st.integers(0, 3)) == 2:
            keys.append(draw(st.sampled_from(sorted(OTHERS))))
        lines += [f"{key} = {draw(st.sampled_from((STATIC | OTHERS)[key]))}" for key in keys]
    if draw(st.integers(0, 19)) == 7:
        lines.append(draw(st.sampled_from(["junk", "[dev]", "  indented = x"])))
    return "\n".join(lines) + "\n"


def sometimes(name: str, values: list[str], odds: int) -> st.SearchStrategy[dict[str, str]]:
    """{name: one of values} once in `odds` draws, else {}."""
    value = st.sampled_from(values).map(lambda v: {name: v})
    return st.integers(0, 2 * odds - 1).flatmap(lambda n: value if n % odds == 1 else st.just({}))


@st.composite
def environment(draw: st.DrawFn) -> dict[str, str]:
    env: dict[str, str] = {}
    env |= draw(sometimes("AWS_PROFILE", ["dev", "default", "nope", ""], 3))
    env |= draw(sometimes("AWS_DEFAULT_PROFILE", ["dev", "default"], 5))
    env |= draw(sometimes("AWS_ACCESS_KEY_ID", ["AKIAENV", "AKIAENV2", ""], 2))
    env |= draw(sometimes("AWS_SECRET_ACCESS_KEY", ["from-the-environment", "e2", ""], 2))
    env |= draw(sometimes("AWS_SESSION_TOKEN", ["envtok"], 3))
    env |= draw(sometimes("AWS_SECURITY_TOKEN", ["envold", ""], 5))
    env |= draw(sometimes("AWS_ROLE_ARN", ["arn:aws:iam::123456789012:role/r"], 8))
    return env


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    config=ini(),
    credentials=ini(),
    env=environment(),
    profile=st.sampled_from([None, "dev", None, "default", "nope"]),
)
def test_the_fast_path_answers_as_botocore_does(
    config: str, credentials: str, env: dict[str, str], profile: str | None
) -> None:
    with tempfile.TemporaryDirectory() as root:
        (Path(root) / ".aws").mkdir()
        (Path(root) / ".aws" / "config").write_text(config)
        (Path(root) / ".aws" / "credentials").write_text(credentials)
        base = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        quiet = base | NOWHERE | {"HOME": root, "AWS_EC2_METADATA_DISABLED": "true"}
        with mock.patch.dict(os.environ, quiet | env, clear=True):
            fast = shared_files.from_files(profile)
            if fast is not None:
                assert fast == helper.from_botocore(profile)


# --- the command: the fast path imports no botocore ---------------------------------------


def imported_modules(stderr: str) -> set[str]:
    """Module names from `-X importtime` lines (as in test_startup)."""
    lines = (line for line in stderr.splitlines() if line.startswith("import time:"))
    return {line.rsplit("|", 1)[1].strip() for line in lines if line.count("|") == 2}


def run_timed(home: Path, *args: str, extra: dict[str, str] | None = None) -> tuple[str, set[str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env |= {"HOME": str(home), "AWS_EC2_METADATA_DISABLED": "true", **NOWHERE, **(extra or {})}
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "bootstrap", "git-credential", *args],
        input=REQUEST,
        capture_output=True,
        text=True,
        env=env,
        cwd=home,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    modules = imported_modules(done.stderr)
    assert "bootstrap.https.credential_helper" in modules, "the check would be blind"
    return done.stdout, modules


def expected_reply(stdout: str, secret: str, user: str) -> str:
    """What the helper must have printed, at the time its password carries."""
    when = datetime.strptime(stdout.split("password=", 1)[1][:15], "%Y%m%dT%H%M%S")
    password = signing.password(secret, "eu-west-1", HOST, "v1/repos/demo", when)
    return f"username={user}\npassword={password}\n"


@pytest.mark.parametrize(
    ("args", "extra"),
    [
        (("get",), {"AWS_ACCESS_KEY_ID": AKID, "AWS_SECRET_ACCESS_KEY": SECRET}),
        (("get",), {}),
        (("--profile", "dev", "get"), {}),
    ],
)
def test_the_fast_path_imports_nothing_heavy(
    home: Path, args: tuple[str, ...], extra: dict[str, str]
) -> None:
    write(home, "credentials", static() + static("dev", token=TOKEN))
    write(home, "config", "[profile dev]\nregion = eu-west-1\n")
    stdout, modules = run_timed(home, *args, extra=extra)
    user = f"{AKID}%{TOKEN}" if "dev" in args else AKID
    assert stdout == expected_reply(stdout, SECRET, user)
    assert sorted(m for m in modules if m.split(".")[0] in HEAVY) == []


def test_other_profiles_still_go_through_botocore(home: Path) -> None:
    """The detector is not blind: a credential_process profile imports botocore, and works."""
    script = home / "creds.sh"
    script.write_text(
        '#!/bin/sh\necho \'{"Version": 1, "AccessKeyId": "AKIAPROC", "SecretAccessKey": "p"}\'\n'
    )
    script.chmod(0o700)
    write(home, "config", f"[profile proc]\ncredential_process = {script}\n")
    stdout, modules = run_timed(home, "--profile", "proc", "get")
    assert stdout == expected_reply(stdout, "p", "AKIAPROC")
    assert "botocore.session" in modules
