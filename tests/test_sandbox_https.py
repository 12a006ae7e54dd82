"""Tests of the HTTPS CodeCommit double and its CONNECT proxy, judged by signers nobody here wrote.

The AWS CLI's `aws codecommit credential-helper` and git-remote-codecommit sign; the real git
(libcurl) talks TLS through the proxy and trusts only the test CA. If these clients work against
the double and a tampered signature does not, the double checks signatures as CodeCommit does.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import ssl
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from sandbox.connect_proxy import ConnectProxy
from sandbox.gitaccess import EXPLICIT_DENY, IMPLICIT_DENY, REPO_MISSING
from sandbox.githost import GIT_IDENTITY
from sandbox.https_codecommit import HttpsCodeCommit, password, signature
from sandbox.iam import GIT_POLICY, Credentials, MotoIam
from sandbox.net import LOCALHOST

REGION = "us-east-1"
HOST = "git-codecommit.us-east-1.amazonaws.com"
VENV_BIN = Path(sys.prefix) / "bin"
AWS_HELPER = "!aws codecommit credential-helper $@"
e2e = pytest.mark.e2e


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@dataclass
class Https:
    iam: MotoIam
    server: HttpsCodeCommit
    proxy: ConnectProxy


@pytest.fixture(scope="module")
def https(moto_iam: MotoIam, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Https]:
    root = tmp_path_factory.mktemp("https-codecommit")
    with (
        HttpsCodeCommit(root / "server", moto_iam, REGION) as server,
        ConnectProxy(root / "proxy") as proxy,
    ):
        proxy.route(server.host, server.port)
        yield Https(moto_iam, server, proxy)


@dataclass
class Developer:
    """One test's world: a temp HOME with ~/.aws for a new IAM user, and a new repository."""

    home: Path
    user_name: str
    creds: Credentials
    repo: str
    env: dict[str, str]
    https: Https

    def git(
        self, *args: str, cwd: Path | None = None, env: Mapping[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["git", *args],
            cwd=cwd or self.home,
            env={**self.env, **(env or {})},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def clone_with_aws_helper(
        self, dest: str = "clone", env: Mapping[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return self.git(
            "-c",
            "credential.helper=",
            "-c",
            f"credential.helper={AWS_HELPER}",
            "-c",
            "credential.UseHttpPath=true",
            "clone",
            self.https.server.clone_url(self.repo),
            dest,
            env=env,
        )


def _base_env(home: Path, server: HttpsCodeCommit, proxy: ConnectProxy) -> dict[str, str]:
    """From scratch: nothing of this machine's git, AWS or proxy settings leaks in."""
    return {
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_CONFIG_NOSYSTEM": "1",
        "AWS_EC2_METADATA_DISABLED": "true",
        **server.client_env(proxy.url),
    }


@pytest.fixture
def dev(https: Https, tmp_path: Path) -> Developer:
    for program in ("aws", "git-remote-codecommit"):
        if not (VENV_BIN / program).exists():
            pytest.skip(f"needs {program} in {VENV_BIN} (pip install -e '.[test]')")
    home = tmp_path / "home"
    home.mkdir()
    user_name = unique("dev")
    creds = https.iam.create_developer(user_name)
    https.iam.write_aws_files(home, creds, REGION)
    repo = unique("repo")
    https.server.create_repo(repo)
    env = _base_env(home, https.server, https.proxy)
    return Developer(home, user_name, creds, repo, env, https)


# --- the signature, against git-remote-codecommit's signer (pure) -----------------------------


def test_signature_is_git_remote_codecommits() -> None:
    import botocore.credentials
    import git_remote_codecommit  # type: ignore[import-untyped]

    creds = botocore.credentials.Credentials(
        "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
    )
    signed = git_remote_codecommit.sign(HOST, "/v1/repos/my-repo", REGION, creds)
    stamp, _, hexsig = signed.partition("Z")
    assert signature(creds.secret_key, stamp, REGION, "/v1/repos/my-repo", HOST) == hexsig
    assert signature(creds.secret_key, stamp, REGION, "/v1/repos/my-repo2", HOST) != hexsig
    assert signature(creds.secret_key, stamp, "us-west-2", "/v1/repos/my-repo", HOST) != hexsig


# --- the HTTP answers, seen by an HTTP client through the proxy ---------------------------------


def _request(
    https: Https, path: str, user: str | None = None, secret: str = "", method: str = "GET"
) -> tuple[int, dict[str, str], str]:
    import base64

    context = ssl.create_default_context(cafile=str(https.server.ca_pem))
    conn = http.client.HTTPSConnection(LOCALHOST, https.proxy.port, context=context, timeout=10)
    conn.set_tunnel(HOST, 443)
    headers = {}
    if user is not None:
        headers["Authorization"] = "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()
    try:
        conn.request(method, path, body=b"" if method == "POST" else None, headers=headers)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode()
    finally:
        conn.close()


def _botocore_password(creds: Credentials | Any, path: str, when: datetime | None = None) -> str:
    """A password signed by botocore's SigV4Auth, as the AWS CLI helper signs."""
    import botocore.auth
    import botocore.awsrequest
    import botocore.credentials

    if isinstance(creds, Credentials):
        creds = botocore.credentials.Credentials(creds.access_key_id, creds.secret_access_key)
    request = botocore.awsrequest.AWSRequest(method="GIT", url=f"https://{HOST}{path}")
    stamp = (when or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%S")
    request.context["timestamp"] = stamp
    signer = botocore.auth.SigV4Auth(creds, "codecommit", REGION)
    canonical = f"GIT\n{path}\n\nhost:{HOST}\n\nhost\n"
    return f"{stamp}Z{signer.signature(signer.string_to_sign(request, canonical), request)}"


REFS = "/v1/repos/{repo}/info/refs?service=git-upload-pack"


def test_statuses_for_each_failure(dev: Developer) -> None:
    https, repo, creds = dev.https, dev.repo, dev.creds
    refs = REFS.format(repo=repo)
    path = f"/v1/repos/{repo}"
    good = _botocore_password(creds, path)

    status, headers, _ = _request(https, refs)
    assert status == 401
    assert headers["WWW-Authenticate"].startswith("Basic realm=")

    assert _request(https, refs, creds.access_key_id, good)[0] == 200
    assert _request(https, refs, creds.access_key_id, good[:-1] + "x")[0] == 403  # malformed
    assert _request(https, refs, "AKIAUNKNOWNKEY000000", good)[0] == 403
    assert _request(https, refs, creds.access_key_id + "%token", good)[0] == 403
    other_repo = _botocore_password(creds, f"/v1/repos/{repo}-other")
    assert _request(https, refs, creds.access_key_id, other_repo)[0] == 403
    for minutes in (-16, 16):
        stale = _botocore_password(
            creds, path, datetime.now(timezone.utc) + timedelta(minutes=minutes)
        )
        assert _request(https, refs, creds.access_key_id, stale)[0] == 403
    near = _botocore_password(creds, path, datetime.now(timezone.utc) - timedelta(minutes=14))
    assert _request(https, refs, creds.access_key_id, near)[0] == 200

    missing = unique("missing")
    signed = _botocore_password(creds, f"/v1/repos/{missing}")
    status, _, body = _request(https, REFS.format(repo=missing), creds.access_key_id, signed)
    assert (status, body) == (404, REPO_MISSING.format(repo=missing) + "\n")
    # Dumb HTTP (no ?service=) is not CodeCommit's protocol.
    assert _request(https, f"{path}/info/refs", creds.access_key_id, good)[0] == 404

    lines = https.server.access_lines(repo)
    assert any(" 401 " in line for line in lines)
    assert any(
        line.split()[1:3]
        == [creds.access_key_id, f"arn:aws:iam::123456789012:user/{dev.user_name}"]
        and line.endswith("200 served")
        for line in lines
    )


def test_a_session_username_may_arrive_raw_or_url_quoted(dev: Developer) -> None:
    from urllib.parse import quote

    import botocore.credentials

    _role, env = _assume_git_role(dev.https, grant_git=True)
    key_id, token = env["AWS_ACCESS_KEY_ID"], env["AWS_SESSION_TOKEN"]
    creds = botocore.credentials.Credentials(key_id, env["AWS_SECRET_ACCESS_KEY"], token)
    good = _botocore_password(creds, f"/v1/repos/{dev.repo}")
    refs = REFS.format(repo=dev.repo)
    assert _request(dev.https, refs, f"{key_id}%{token}", good)[0] == 200
    assert _request(dev.https, refs, quote(f"{key_id}%{token}", safe=""), good)[0] == 200
    assert _request(dev.https, refs, key_id, good)[0] == 403  # the token is required
    assert _request(dev.https, refs, f"{key_id}%{token[:-4]}AAAA", good)[0] == 403


def test_an_inactive_key_is_refused(dev: Developer) -> None:
    iam = dev.https.iam.client("iam")
    path = f"/v1/repos/{dev.repo}"
    good = _botocore_password(dev.creds, path)
    iam.update_access_key(
        UserName=dev.user_name, AccessKeyId=dev.creds.access_key_id, Status="Inactive"
    )
    assert _request(dev.https, REFS.format(repo=dev.repo), dev.creds.access_key_id, good)[0] == 403


# --- git with the real signers --------------------------------------------------------------


@e2e
def test_aws_cli_credential_helper_clones(dev: Developer) -> None:
    done = dev.clone_with_aws_helper()
    assert done.returncode == 0, done.stderr + dev.https.server.log_text()
    assert (dev.home / "clone" / "README.md").read_text().startswith(f"# {dev.repo}")
    assert f"CONNECT {HOST}:443" in dev.https.proxy.log_text()


@e2e
def test_git_remote_codecommit_clones(dev: Developer) -> None:
    done = dev.git("clone", f"codecommit::{REGION}://{dev.repo}", "clone")
    assert done.returncode == 0, done.stderr + dev.https.server.log_text()
    assert (dev.home / "clone" / "README.md").exists()


@e2e
def test_push_needs_and_gets_git_push(dev: Developer) -> None:
    assert dev.git("clone", f"codecommit::{REGION}://{dev.repo}", "clone").returncode == 0
    work = dev.home / "clone"
    (work / "change.txt").write_text("pushed over HTTPS\n")
    assert dev.git("add", "change.txt", cwd=work).returncode == 0
    assert dev.git("commit", "-qm", "Change", cwd=work, env=GIT_IDENTITY).returncode == 0
    done = dev.git("push", "origin", "main", cwd=work)
    assert done.returncode == 0, done.stderr + dev.https.server.log_text()
    bare = dev.https.server.repos_dir / f"{dev.repo}.git"
    log = subprocess.run(
        ["git", "--git-dir", str(bare), "log", "--format=%s", "main"],
        capture_output=True,
        text=True,
        check=True,
        env={**dev.env, **GIT_IDENTITY},
    )
    assert log.stdout.split() == ["Change", "Initial", "commit"]
    assert any(
        "git-receive-pack 200 served" in line for line in dev.https.server.access_lines(dev.repo)
    )


def _fixed_helper(dev: Developer, user: str, secret: str) -> str:
    """A credential helper that prints a fixed username and password (git runs it with sh)."""
    script = dev.home / f"helper-{uuid.uuid4().hex[:6]}.sh"
    script.write_text(f"#!/bin/sh\necho username={user}\necho password={secret}\n")
    script.chmod(0o755)
    return str(script)


def _clone_with_helper(dev: Developer, helper: str, dest: str) -> subprocess.CompletedProcess[str]:
    return dev.git(
        "-c", "credential.helper=", "-c", f"credential.helper={helper}",
        "clone", dev.https.server.clone_url(dev.repo), dest,
    )  # fmt: skip


@e2e
def test_a_tampered_signature_is_refused_with_403(dev: Developer) -> None:
    import botocore.credentials
    import git_remote_codecommit

    creds = botocore.credentials.Credentials(dev.creds.access_key_id, dev.creds.secret_access_key)
    good = git_remote_codecommit.sign(HOST, f"/v1/repos/{dev.repo}", REGION, creds)
    # The same helper with the untampered password works: only the digit makes the difference.
    done = _clone_with_helper(dev, _fixed_helper(dev, dev.creds.access_key_id, good), "good")
    assert done.returncode == 0, done.stderr
    last = good[-1]
    tampered = good[:-1] + ("0" if last != "0" else "1")
    done = _clone_with_helper(dev, _fixed_helper(dev, dev.creds.access_key_id, tampered), "bad")
    assert done.returncode != 0
    assert "The requested URL returned error: 403" in done.stderr, done.stderr
    assert not (dev.home / "bad").exists()
    dev.https.server.wait_for_access(dev.repo, "403 signature does not match")


@e2e
def test_no_credentials_is_401_and_git_fails_without_prompting(dev: Developer) -> None:
    done = dev.git("-c", "credential.helper=", "clone", dev.https.server.clone_url(dev.repo), "c")
    assert done.returncode != 0
    assert "terminal prompts disabled" in done.stderr, done.stderr
    dev.https.server.wait_for_access(dev.repo, "401 no Authorization header")


def _assume_git_role(https: Https, *, grant_git: bool) -> tuple[str, dict[str, str]]:
    iam = https.iam.client("iam")
    role = unique("git-role")
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
    }
    arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    if grant_git:
        iam.put_role_policy(RoleName=role, PolicyName="git", PolicyDocument=json.dumps(GIT_POLICY))
    got = https.iam.client("sts").assume_role(RoleArn=arn, RoleSessionName="dev-session")
    creds = got["Credentials"]
    env = {
        "AWS_ACCESS_KEY_ID": creds["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": creds["SecretAccessKey"],
        "AWS_SESSION_TOKEN": creds["SessionToken"],
    }
    return role, env


@e2e
def test_an_assumed_role_session_clones_with_the_aws_cli_helper(dev: Developer) -> None:
    role, env = _assume_git_role(dev.https, grant_git=True)
    done = dev.clone_with_aws_helper(env=env)
    assert done.returncode == 0, done.stderr + dev.https.server.log_text()
    session_arn = f"arn:aws:sts::123456789012:assumed-role/{role}/dev-session"
    assert any(
        env["AWS_ACCESS_KEY_ID"] in line and session_arn in line and line.endswith("200 served")
        for line in dev.https.server.access_lines(dev.repo)
    )


@e2e
def test_a_session_token_must_match(dev: Developer) -> None:
    _role, env = _assume_git_role(dev.https, grant_git=True)
    done = dev.clone_with_aws_helper(
        env={**env, "AWS_SESSION_TOKEN": env["AWS_SESSION_TOKEN"][:-4] + "AAAA"}
    )
    assert done.returncode != 0
    assert "error: 403" in done.stderr
    dev.https.server.wait_for_access(dev.repo, "missing or wrong session token")


@e2e
def test_a_role_without_a_git_policy_gets_codecommits_implicit_deny(dev: Developer) -> None:
    role, env = _assume_git_role(dev.https, grant_git=False)
    done = dev.clone_with_aws_helper(env=env)
    assert done.returncode != 0
    message = IMPLICIT_DENY.format(
        user_arn=f"arn:aws:sts::123456789012:assumed-role/{role}/dev-session",
        action="codecommit:GitPull",
        resource=f"arn:aws:codecommit:{REGION}:123456789012:{dev.repo}",
    )
    assert f"remote: {message}" in done.stderr, done.stderr


@e2e
def test_an_explicit_deny_gives_codecommits_message(dev: Developer) -> None:
    deny = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": "codecommit:GitPull", "Resource": "*"}],
    }
    dev.https.iam.put_user_policy(dev.user_name, "deny-pull", deny)
    done = dev.git("clone", f"codecommit::{REGION}://{dev.repo}", "clone")
    assert done.returncode != 0
    message = EXPLICIT_DENY.format(
        user_arn=f"arn:aws:iam::123456789012:user/{dev.user_name}",
        action="codecommit:GitPull",
        resource=f"arn:aws:codecommit:{REGION}:123456789012:{dev.repo}",
    )
    assert f"remote: {message}" in done.stderr, done.stderr
    assert "The requested URL returned error: 403" in done.stderr


# --- the proxy --------------------------------------------------------------------------------


def _raw_proxy(proxy: ConnectProxy, request: bytes) -> bytes:
    with socket.create_connection((LOCALHOST, proxy.port), timeout=10) as sock:
        sock.sendall(request)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
        return answer


@pytest.mark.parametrize(
    "request_line",
    [
        "CONNECT example.com:443 HTTP/1.1",
        f"CONNECT {HOST}:22 HTTP/1.1",
        "CONNECT git-codecommit.eu-west-1.amazonaws.com:443 HTTP/1.1",
        f"CONNECT {HOST}.evil.example:443 HTTP/1.1",
        f"GET http://{HOST}/v1/repos/x/info/refs HTTP/1.1",
    ],
)
def test_the_proxy_refuses_every_other_target(https: Https, request_line: str) -> None:
    request = f"{request_line}\r\nHost: x\r\n\r\n".encode()
    assert _raw_proxy(https.proxy, request).startswith(b"HTTP/1.1 403 ")
    assert f"{request_line!r} refused 403" in https.proxy.log_text()


def test_the_proxy_refuses_the_doubles_own_address(https: Https) -> None:
    request = f"CONNECT {LOCALHOST}:{https.server.port} HTTP/1.1\r\n\r\n".encode()
    assert _raw_proxy(https.proxy, request).startswith(b"HTTP/1.1 403 ")


def test_stop_is_prompt_with_connections_open(moto_iam: MotoIam, tmp_path: Path) -> None:
    server = HttpsCodeCommit(tmp_path / "server", moto_iam, REGION)
    server.start()
    proxy = ConnectProxy(tmp_path / "proxy", {server.host: server.port})
    proxy.start()
    # An idle tunnel (CONNECT done, TLS never started) and an idle TLS-less socket on the server.
    tunnel = socket.create_connection((LOCALHOST, proxy.port), timeout=10)
    tunnel.sendall(f"CONNECT {HOST}:443 HTTP/1.1\r\n\r\n".encode())
    assert tunnel.recv(100).startswith(b"HTTP/1.1 200")
    idle = socket.create_connection((LOCALHOST, server.port), timeout=10)
    started = time.monotonic()
    proxy.stop()
    server.stop()
    assert time.monotonic() - started < 3
    assert tunnel.recv(100) == b""  # the proxy closed the tunnel
    tunnel.close()
    idle.close()


def test_password_helper_is_the_signature_with_its_time() -> None:
    when = datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    got = password("secret", REGION, "/v1/repos/r", HOST, when)
    assert got == "20240102T030405Z" + signature(
        "secret", "20240102T030405", REGION, "/v1/repos/r", HOST
    )
