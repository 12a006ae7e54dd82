"""SandboxCase: one test's world — a temp home, a fresh IAM user, the env, and helpers.

The servers are shared (session scope); isolation comes from names: each case has its own IAM
user (so it sees only its own SSH keys) and creates repositories under unique names.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sandbox import totp
from sandbox.aws import client_with_keys
from sandbox.githost import GitHost
from sandbox.iam import GIT_POLICY, Credentials, MotoIam
from sandbox.mfa import enable_virtual_mfa
from sandbox.userdb import home_env


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def append_private(path: Path, text: str) -> None:
    """Append `text` (newline-terminated) to `path`, creating it 0600 (parents 0700)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a") as handle:
        handle.write(text if text.endswith("\n") else text + "\n")
    path.chmod(0o600)


@dataclass
class SandboxCase:
    home: Path
    iam: MotoIam
    server: GitHost
    region: str
    user_name: str
    creds: Credentials
    env: dict[str, str]
    _log_marks: dict[str, int] = field(default_factory=dict)
    https: Any = None  # the HTTPS double (sandbox.https_codecommit), after use_https
    sts: Any = None  # the STS double (sandbox.sts_double.StsDouble), after use_sts
    mfa_serial: str | None = None  # the user's virtual MFA device, after enable_mfa
    mfa_seed: str | None = None  # its Base32 seed (what an authenticator app scans)

    @classmethod
    def create(
        cls,
        home: Path,
        iam: MotoIam,
        server: GitHost,
        *,
        grant_git: bool = True,
        write_aws_files: bool = True,
    ) -> SandboxCase:
        """A fresh home (with .ssh 0700), a fresh IAM user, and its AWS files.

        The case's region is the server's. `grant_git` gives the user GitPull/GitPush on *;
        `write_aws_files` writes home/.aws/credentials and config (profile "default").
        """
        region = server.region
        home.mkdir(parents=True, exist_ok=True)
        (home / ".ssh").mkdir(mode=0o700, exist_ok=True)
        user_name = unique("dev")
        creds = iam.create_developer(user_name, grant_git=grant_git)
        if write_aws_files:
            iam.write_aws_files(home, creds, region)
        env = iam.tool_env(home) | home_env(home)
        return cls(home, iam, server, region, user_name, creds, env, server.log_marks())

    def use_https(self, server: Any, proxy_url: str) -> None:
        """git reaches `server` through the proxy with its own settings (HTTPS_PROXY,
        GIT_SSL_CAINFO): the same ones a corporate user's machine has."""
        self.https = server
        self.env |= server.client_env(proxy_url)

    def https_url(self, repo: str) -> str:
        return str(self.https.clone_url(repo))

    # --- MFA ------------------------------------------------------------------------------------

    def use_sts(self, sts: Any) -> None:
        """The tool's STS calls go to `sts` (a sandbox.sts_double.StsDouble) through
        AWS_ENDPOINT_URL_STS; every other service stays on moto."""
        self.sts = sts
        self.env["AWS_ENDPOINT_URL_STS"] = sts.endpoint

    def enable_mfa(self, device_name: str | None = None) -> tuple[str, str]:
        """Give the case's user an enabled virtual MFA device; (serial ARN, Base32 seed).

        The seed is kept on the case for `mfa_code`. The enabling codes are from the two steps
        before now, so `mfa_code()` is still unused for the STS double.
        """
        serial, seed = enable_virtual_mfa(self.iam.client("iam"), self.user_name, device_name)
        self.mfa_serial, self.mfa_seed = serial, seed
        return serial, seed

    def expire_mfa_session(self) -> Path:
        """The MFA session ran out: STS ends it, and the cache's own expiry is put in the past
        (the cache stays 0600, as written). The cache file."""
        if self.sts is None:
            raise RuntimeError("call use_sts() first")
        self.sts.expire_all()
        [cache] = (self.home / ".aws" / "bootstrap" / "mfa").glob("*.json")
        document = json.loads(cache.read_text())
        document["expires"] = "2000-01-01T00:00:00+00:00"
        cache.write_text(json.dumps(document))
        return cache

    def mfa_code(self, at: float | None = None) -> str:
        """The code the user's device shows at Unix time `at` (now); after enable_mfa."""
        if self.mfa_seed is None:
            raise RuntimeError("call enable_mfa() first")
        return totp.code(self.mfa_seed, at)

    def get_session_token(
        self, code: str | None = None, *, mfa: bool = True, duration: int | None = None
    ) -> dict[str, Any]:
        """GetSessionToken on the STS double (after use_sts) with the case's long-term key;
        boto3's Credentials dict. With `mfa` (after enable_mfa) it sends the serial and `code`
        (by default the current one)."""
        if self.sts is None:
            raise RuntimeError("call use_sts() first")
        sts = client_with_keys(
            "sts", self.sts.endpoint, self.region, self.creds.access_key_id,
            self.creds.secret_access_key,
        )  # fmt: skip
        params: dict[str, Any] = {}
        if mfa:
            params |= {"SerialNumber": self.mfa_serial, "TokenCode": code or self.mfa_code()}
        if duration is not None:
            params["DurationSeconds"] = duration
        return dict(sts.get_session_token(**params)["Credentials"])

    def use_role_session(self, role: str | None = None, *, grant_git: bool = True) -> str:
        """Replace the case's long-term key in ~/.aws with an assumed-role session (an SSO or
        role user's kind of credentials); the role's ARN. `grant_git` allows Git on *."""
        iam, sts = self.iam.client("iam"), self.iam.client("sts")
        name = role or unique("dev-role")
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}
            ],
        }
        arn = str(
            iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"][
                "Arn"
            ]
        )
        if grant_git:
            iam.put_role_policy(
                RoleName=name, PolicyName="git", PolicyDocument=json.dumps(GIT_POLICY)
            )
        session = sts.assume_role(RoleArn=arn, RoleSessionName="alice")["Credentials"]
        credentials = self.home / ".aws" / "credentials"
        credentials.write_text(
            "[default]\n"
            f"aws_access_key_id = {session['AccessKeyId']}\n"
            f"aws_secret_access_key = {session['SecretAccessKey']}\n"
            f"aws_session_token = {session['SessionToken']}\n"
        )
        credentials.chmod(0o600)
        return arn

    # --- files in the home ---------------------------------------------------------------

    @property
    def ssh_dir(self) -> Path:
        return self.home / ".ssh"

    def write_ssh_config(self, text: str) -> None:
        """Append `text` to home/.ssh/config (0600)."""
        append_private(self.ssh_dir / "config", text)

    def write_routing(self) -> None:
        """Append the server's routing block (the sandbox's DNS) to home/.ssh/config."""
        self.write_ssh_config(self.server.routing_config(self.region))

    def trust_host_key(self) -> None:
        """Append the server's host key line to home/.ssh/known_hosts."""
        append_private(self.ssh_dir / "known_hosts", self.server.known_hosts_line(self.region))

    def make_key(self, name: str = "codecommit_rsa", bits: int = 2048) -> Path:
        """A new unencrypted RSA key pair in home/.ssh; returns the private key path (0600)."""
        path = self.ssh_dir / name
        subprocess.run(
            [
                "ssh-keygen",
                "-q",
                "-t",
                "rsa",
                "-b",
                str(bits),
                "-N",
                "",
                "-C",
                name,
                "-f",
                str(path),
            ],
            check=True,
            stdin=subprocess.DEVNULL,
            env=self.env,
        )
        path.chmod(0o600)
        return path

    def upload_key(self, private_key: Path) -> str:
        """Upload private_key's .pub to this case's IAM user; return the key id (APKA...)."""
        public = private_key.with_name(private_key.name + ".pub").read_text()
        return self.iam.upload_ssh_key(self.user_name, public)

    def put_user_policy(self, document: dict[str, Any], name: str = "sandbox-policy") -> None:
        self.iam.put_user_policy(self.user_name, name, document)

    def put_service_control_policy(self, document: dict[str, Any]) -> None:
        """An AWS Organizations SCP over this user's account: the CodeCommit double enforces it,
        and nothing the tool may read shows it (as with real SCPs, for a member account)."""
        self.server.set_service_control_policies(self.user_name, [document])

    def snapshot(self) -> dict[str, tuple[bytes, int]]:
        """Every file and folder under home with its bytes and mode: compare before and after."""
        return {
            str(path.relative_to(self.home)): (
                path.read_bytes() if path.is_file() else b"",
                stat.S_IMODE(path.lstat().st_mode),
            )
            for path in sorted(self.home.rglob("*"))
        }

    def iam_keys(self) -> list[dict[str, Any]]:
        """The SSH public keys IAM lists for this case's user (id, status, upload date)."""
        reply = self.iam.client("iam").list_ssh_public_keys(UserName=self.user_name)
        return list(reply["SSHPublicKeys"])

    # --- the server -------------------------------------------------------------------------

    def create_repo(self, prefix: str = "repo") -> str:
        """Create a repository with a unique name on the shared server; return the name."""
        name = unique(prefix)
        self.server.create_repo(name)
        return name

    def clone_url(self, repo: str) -> str:
        return self.server.clone_url(repo)

    def server_log(self) -> str:
        """The server's logs written since this case began."""
        return self.server.log_text(since=self._log_marks)

    # --- running things -------------------------------------------------------------------

    def run(
        self, *args: str, input: str | None = None, check: bool = False
    ) -> subprocess.CompletedProcess[str]:
        """Run the tool: `python -m bootstrap ARGS` with the case's env, in its home."""
        return subprocess.run(
            [sys.executable, "-m", "bootstrap", *args],
            env=self.env,
            cwd=self.home,
            input=input,
            capture_output=True,
            text=True,
            check=check,
            timeout=300,
        )

    def start(self, *args: str) -> subprocess.Popen[str]:
        """Start the tool (`python -m bootstrap ARGS`, as `run` does) without waiting: for tests
        that stop it at a chosen point (sandbox/stop_at.py). Read it with communicate()."""
        return subprocess.Popen(
            [sys.executable, "-m", "bootstrap", *args],
            env=self.env,
            cwd=self.home,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def git(
        self, *args: str, cwd: Path | None = None, check: bool = False
    ) -> subprocess.CompletedProcess[str]:
        """Run the real git with the case's env (ssh sees the temp home), in `cwd` or home."""
        return subprocess.run(
            ["git", *args],
            env=self.env,
            cwd=cwd or self.home,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=check,
            timeout=120,
        )

    # --- the tool's commands, as the tests run them ---------------------------------------------

    def init_args(self, *extra: str, pin: bool = True) -> list[str]:
        """Arguments for an unattended `init` in the case's region with a 2048-bit key (quick
        to make), then `extra`; `pin` adds --accept-host-key with the server's fingerprint."""
        args = ["init", "--yes", "--region", self.region, "--key-bits", "2048", *extra]
        if pin:
            args += ["--accept-host-key", self.server.host_key_fingerprint]
        return args

    def init(self, *extra: str, pin: bool = True) -> subprocess.CompletedProcess[str]:
        """Run `bootstrap init` with `init_args(*extra, pin=pin)`."""
        return self.run(*self.init_args(*extra, pin=pin))

    def ready(self) -> str:
        """Route the git host to the server and create a repository; return its name."""
        self.write_routing()
        return self.create_repo()

    def set_up(self) -> tuple[str, str]:
        """A working setup made by init (`ready`, then `init --repo`): (repository, key id)."""
        repo = self.ready()
        done = self.init("--repo", repo, "--json")
        assert done.returncode == 0, done.stderr
        steps = {step["step"]: step for step in json.loads(done.stdout)["steps"]}
        return repo, str(steps["registration"]["key_id"])

    def doctor(self, *extra: str, checked: bool = True) -> tuple[int, dict[str, dict[str, str]]]:
        """Run `bootstrap doctor --json` in the case's region: (exit code, checks by name).

        `checked` also asserts that doctor did not crash and that its report's `ok` agrees with
        the exit code.
        """
        done = self.run("doctor", "--region", self.region, "--json", *extra)
        if checked:
            assert "Traceback" not in done.stderr, done.stderr
        report = json.loads(done.stdout)
        if checked:
            assert report["ok"] is (done.returncode == 0)
        checks = {check["step"]: check for check in report["steps"]}
        return done.returncode, checks
