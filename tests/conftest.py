"""Shared fixtures: a fake AWS account (moto) and a fake CodeCommit (real sshd or paramiko).

Session scope (started once, stopped at the end; this machine has 2 cores):
- `moto_iam`: a started sandbox.iam.MotoIam (IAM + STS on 127.0.0.1).
- `userdb_shim`: Path of the built LD_PRELOAD shim (skips if gcc is missing).
- `codecommit_pool`: a sandbox.pool.ServerPool: `.get(kind, region)` starts a double of
  kind "openssh" or "paramiko" for a region on first use (one server serves one region).
- `codecommit_server`: the pool's sandbox.sshd.OpenSshCodeCommit (real OpenSSH sshd) for
  us-east-1 (skips if sshd is missing).
- `paramiko_codecommit`: the pool's sandbox.paramiko_server.ParamikoCodeCommit for us-east-1,
  same interface.

Function scope (fresh per test; isolation by unique names on the shared servers):
- `sandbox`: a sandbox.case.SandboxCase on the OpenSSH server: `home` (tmp, with .ssh 0700
  and ~/.aws files for a new IAM user), `iam`, `server`, `region` ("us-east-1"), `user_name`,
  `creds`, `env` (= iam.tool_env(home) | userdb.home_env(home): ssh and git see `home` as the
  account's home), and helpers: write_routing(), trust_host_key(), write_ssh_config(text),
  make_key(), upload_key(path), put_user_policy(doc), create_repo() -> unique name,
  clone_url(name), server_log(), run(*args, input=None, check=False) for
  `python -m bootstrap`, git(*args, cwd=None, check=False); for checking: snapshot() (every
  file under home with its bytes and mode), iam_keys() (the user's SSH keys in IAM); and the
  tool's commands as the tests run them: init(*extra, pin=True) (unattended, 2048-bit key,
  --accept-host-key unless pin=False; init_args() gives the arguments alone), ready() (routing
  and a new repository), set_up() -> (repo, key id) after a successful init, and
  doctor(*extra, checked=True) -> (exit code, checks by name).
- `paramiko_sandbox`: the same on the paramiko server.
- `https_sandbox`: a case whose git also reaches the HTTPS double (`https_codecommit`: the
  SSH double's repositories over HTTPS, behind a CONNECT proxy) through HTTPS_PROXY.
- `mfa_sandbox`: `https_sandbox` plus AWS_ENDPOINT_URL_STS = `sts_double.endpoint` (session
  scope: sandbox.sts_double.StsDouble, GetSessionToken with real MFA checks, the rest of STS
  forwarded to moto); enable_mfa() -> (serial, seed), mfa_code(), get_session_token().
- `sandbox_factory`: make(kind="openssh", region="us-east-1", grant_git=True,
  write_aws_files=True) -> a new SandboxCase (own home, own IAM user) on the pool's server for
  that kind and region; for tests that need two developers, another region, or no AWS files.
- `fault_proxy`: a sandbox.fault_proxy.FaultProxy in front of moto (per test): `use_for(env)`
  routes a case's IAM/STS calls through it; `inject(action, kind, count)` breaks them (500,
  throttle, reset, truncate, lost, stall), `when(action, callback, acted=False)` calls back as a
  request arrives (sandbox/stop_at.py stops the tool there), `seen(action)` counts them.
- `ssh_home`: an ssh_home.SshHome, a temporary home that the real ssh (run by this process)
  takes for the account's; for in-process ssh config tests.
- `stubbed_iam`: (IAM client, botocore Stubber): a client with fake credentials whose requests
  the Stubber answers; every response queued must be used by the end of the test.
- `stubbed`: (bootstrap's Aws on that client, the Stubber).

Also, for every session: the real account's ~/.ssh and ~/.aws must be untouched at the end.
"""

from __future__ import annotations

import os
import pwd
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from ssh_home import SshHome, use_home

from bootstrap.aws.iam import Aws
from sandbox.case import SandboxCase
from sandbox.connect_proxy import ConnectProxy
from sandbox.fault_proxy import FaultProxy
from sandbox.https_codecommit import HttpsCodeCommit
from sandbox.iam import MotoIam
from sandbox.paramiko_server import ParamikoCodeCommit
from sandbox.pool import ServerPool
from sandbox.sshd import OpenSshCodeCommit, find_sshd
from sandbox.sts_double import StsDouble
from sandbox.userdb import build_shim

REGION = "us-east-1"


def _require(*programs: str) -> None:
    missing = [p for p in programs if shutil.which(p) is None]
    if missing:
        pytest.skip(f"needs {', '.join(missing)} on PATH (make system-deps)")


def _snapshot(path: Path) -> list[tuple[str, float]] | None:
    if not path.exists():
        return None
    entries = [(str(path), path.stat().st_mtime)]
    entries += sorted((str(p), p.stat().st_mtime) for p in path.rglob("*"))
    return entries


@pytest.fixture(scope="session", autouse=True)
def real_home_untouched() -> Iterator[None]:
    """Fail the session if anything wrote to the real account's ~/.ssh or ~/.aws."""
    real_home = Path(pwd.getpwuid(os.getuid()).pw_dir)
    watched = [real_home / ".ssh", real_home / ".aws"]
    before = [_snapshot(p) for p in watched]
    yield
    after = [_snapshot(p) for p in watched]
    changed = [str(p) for p, b, a in zip(watched, before, after, strict=True) if b != a]
    assert not changed, f"tests modified the real {', '.join(changed)}"


@pytest.fixture(scope="session")
def moto_iam() -> Iterator[MotoIam]:
    with MotoIam() as iam:
        yield iam


@pytest.fixture(scope="session")
def userdb_shim() -> Path:
    _require("gcc", "ssh", "ssh-keygen", "git")
    return build_shim()


@pytest.fixture(scope="session")
def codecommit_pool(
    moto_iam: MotoIam, userdb_shim: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerPool]:
    with ServerPool(moto_iam, tmp_path_factory.mktemp("codecommit")) as pool:
        yield pool


def _server(pool: ServerPool, kind: str, region: str) -> Any:
    if kind == "openssh" and find_sshd() is None:
        pytest.skip("needs OpenSSH's sshd (apt-get install openssh-server)")
    return pool.get(kind, region)


@pytest.fixture(scope="session")
def codecommit_server(codecommit_pool: ServerPool) -> OpenSshCodeCommit:
    server: OpenSshCodeCommit = _server(codecommit_pool, "openssh", REGION)
    return server


@pytest.fixture(scope="session")
def paramiko_codecommit(codecommit_pool: ServerPool) -> ParamikoCodeCommit:
    server: ParamikoCodeCommit = _server(codecommit_pool, "paramiko", REGION)
    return server


@pytest.fixture(scope="session")
def sts_double(moto_iam: MotoIam, tmp_path_factory: pytest.TempPathFactory) -> Iterator[StsDouble]:
    """sandbox.sts_double.StsDouble in front of moto: GetSessionToken with real MFA checks
    (and sessions the HTTPS double accepts); every other STS call goes on to moto. Only cases
    that set AWS_ENDPOINT_URL_STS to its `endpoint` (see `mfa_sandbox`) use it."""
    with StsDouble(tmp_path_factory.mktemp("sts"), moto_iam, REGION) as double:
        yield double


@pytest.fixture(scope="session")
def https_codecommit(
    moto_iam: MotoIam,
    codecommit_server: OpenSshCodeCommit,
    sts_double: StsDouble,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[HttpsCodeCommit, ConnectProxy]]:
    """The HTTPS double, serving the SSH double's repositories, behind a CONNECT proxy: git
    reaches it with its own HTTPS_PROXY and GIT_SSL_CAINFO settings. It also accepts the
    sessions `sts_double` makes."""
    workdir = tmp_path_factory.mktemp("https")
    server = HttpsCodeCommit(
        workdir / "server",
        moto_iam,
        REGION,
        repos_dir=codecommit_server.repos_dir,
        sts=sts_double,
    )
    with server, ConnectProxy(workdir / "proxy", {server.host: server.port}) as proxy:
        yield server, proxy


@pytest.fixture
def https_sandbox(
    moto_iam: MotoIam,
    codecommit_server: OpenSshCodeCommit,
    https_codecommit: tuple[HttpsCodeCommit, ConnectProxy],
    tmp_path: Path,
) -> SandboxCase:
    """A sandbox case whose git reaches CodeCommit over HTTPS too (the SSH side still works)."""
    server, proxy = https_codecommit
    case = SandboxCase.create(tmp_path / "home", moto_iam, codecommit_server)
    case.use_https(server, proxy.url)
    return case


@pytest.fixture
def mfa_sandbox(
    moto_iam: MotoIam,
    codecommit_server: OpenSshCodeCommit,
    https_codecommit: tuple[HttpsCodeCommit, ConnectProxy],
    sts_double: StsDouble,
    tmp_path: Path,
) -> SandboxCase:
    """`https_sandbox` whose STS is `sts_double` (AWS_ENDPOINT_URL_STS in case.env; IAM and the
    rest stay on moto): GetSessionToken checks MFA codes. case.enable_mfa() gives the user a
    virtual MFA device, case.mfa_code() its current code."""
    server, proxy = https_codecommit
    case = SandboxCase.create(tmp_path / "home", moto_iam, codecommit_server)
    case.use_https(server, proxy.url)
    case.use_sts(sts_double)
    return case


@pytest.fixture(name="sandbox")
def sandbox_case(
    moto_iam: MotoIam, codecommit_server: OpenSshCodeCommit, tmp_path: Path
) -> SandboxCase:
    return SandboxCase.create(tmp_path / "home", moto_iam, codecommit_server)


@pytest.fixture
def fault_proxy(moto_iam: MotoIam, tmp_path: Path) -> Iterator[FaultProxy]:
    """A sandbox.fault_proxy.FaultProxy in front of moto, for one test: `proxy.use_for(env)`
    sends a case's IAM and STS calls through it; `inject` and `when` break chosen requests."""
    with FaultProxy(tmp_path / "faults", moto_iam.endpoint) as proxy:
        yield proxy


@pytest.fixture
def paramiko_sandbox(
    moto_iam: MotoIam, paramiko_codecommit: ParamikoCodeCommit, tmp_path: Path
) -> SandboxCase:
    return SandboxCase.create(tmp_path / "home", moto_iam, paramiko_codecommit)


@pytest.fixture
def sandbox_factory(
    moto_iam: MotoIam, codecommit_pool: ServerPool, tmp_path: Path
) -> Callable[..., SandboxCase]:
    made: list[SandboxCase] = []

    def make(
        kind: str = "openssh",
        region: str = REGION,
        *,
        grant_git: bool = True,
        write_aws_files: bool = True,
    ) -> SandboxCase:
        case = SandboxCase.create(
            tmp_path / f"home-{len(made)}",
            moto_iam,
            _server(codecommit_pool, kind, region),
            grant_git=grant_git,
            write_aws_files=write_aws_files,
        )
        made.append(case)
        return case

    return make


@pytest.fixture
def ssh_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, userdb_shim: Path) -> SshHome:
    return use_home(monkeypatch, tmp_path / "home")


@pytest.fixture
def stubbed_iam() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client(
        "iam", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="y"
    )
    with Stubber(client) as stub:
        yield client, stub
        stub.assert_no_pending_responses()


@pytest.fixture
def stubbed(stubbed_iam: tuple[Any, Stubber]) -> tuple[Aws, Stubber]:
    client, stub = stubbed_iam
    return Aws(None, REGION, iam_client=client), stub
