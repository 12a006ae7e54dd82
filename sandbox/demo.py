"""`make demo`: watch `bootstrap init` work end to end with no AWS account, root or sshd.

It starts a moto IAM server and the in-process CodeCommit double (paramiko), creates the IAM
user `demo-developer` with access keys in ./demo-home/.aws, routes the CodeCommit host name to
the double in ./demo-home/.ssh/config (the sandbox's DNS), creates the repository `demo`, and
runs `bootstrap init` as that developer, with ssh and git seeing ./demo-home as the home
directory (LD_PRELOAD shim; needs gcc). Nothing touches your real ~/.ssh or ~/.aws.

The region is eu-south-1, one AWS has published no host-key fingerprint for, so the tool is
told the double's fingerprint with --accept-host-key (for us-east-1 it would rightly refuse
the double's key, which is not CodeCommit's).

Then the other path: a developer signed in with a role session (as after `aws sso login`),
who cannot own SSH keys, runs the same `bootstrap init` in ./demo-home/sso-developer and gets
HTTPS: git reaches the HTTPS double through a local CONNECT proxy with its own HTTPS_PROXY
and GIT_SSL_CAINFO settings, and our credential helper signs each request.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from sandbox.case import append_private
from sandbox.connect_proxy import ConnectProxy
from sandbox.https_codecommit import HttpsCodeCommit
from sandbox.iam import GIT_POLICY, MotoIam
from sandbox.paramiko_server import ParamikoCodeCommit
from sandbox.userdb import REPO_ROOT, ShimBuildError, home_env

REGION = "eu-south-1"
USER = "demo-developer"
REPO = "demo"
# $SANDBOX_DEMO_HOME lets the demo's own test run it elsewhere.
HOME = Path(os.environ.get("SANDBOX_DEMO_HOME", REPO_ROOT / "demo-home"))
MARKER = ".sandbox-demo-home"


def fresh_home() -> Path:
    """./demo-home, emptied if an earlier demo made it; refuse to delete anything else."""
    if HOME.exists():
        if not (HOME / MARKER).exists():
            raise SystemExit(f"{HOME} exists and was not made by the demo; move it away first")
        shutil.rmtree(HOME)
    (HOME / ".ssh").mkdir(mode=0o700, parents=True)
    (HOME / MARKER).write_text("made by `make demo`; deleted by the next run\n")
    return HOME


def step(text: str) -> None:
    print(f"\n== {text}", flush=True)


def iam_keys_text(keys: list[dict[str, str]]) -> str:
    """The user's SSH keys in IAM, one a line, as a person reads them."""
    if not keys:
        return "SSH keys in IAM: none"
    lines = [f"  {key['SSHPublicKeyId']}  {key['Status']}" for key in keys]
    return "SSH keys in IAM:\n" + "\n".join(lines)


def plain_clone(url: str, target: Path, env: dict[str, str]) -> int:
    """What the developer types next, with plain git; says whether it worked."""
    step(f"plain `git clone {url}` as the developer")
    code = subprocess.run(["git", "clone", url, str(target)], env=env, stdin=subprocess.DEVNULL)
    if code.returncode == 0:
        print(f"✓ plain git clone worked: {target} holds the repository; no bootstrap involved")
    else:
        print(f"✗ plain git clone failed (exit {code.returncode})")
    return code.returncode


NEXT = """
== what next
The demo is over; nothing outside {home} was touched (delete it when you like).
For real, with your AWS credentials (`aws configure`, or `aws sso login`):
  pip install .
  bootstrap init                      # the wizard asks what the flags leave open
  bootstrap status                    # what is set up; `bootstrap doctor` when git fails
Run the tests with `make test`; the README says what each command does.
"""


def main() -> int:
    if not sys.platform.startswith("linux"):
        # Elsewhere the LD_PRELOAD shim has no effect and ssh would use your real ~/.ssh.
        print(f"make demo runs on Linux only (this is {sys.platform})", file=sys.stderr)
        return 1
    try:
        shim = home_env(HOME)
    except ShimBuildError as error:
        print(f"demo needs gcc to let ssh use ./demo-home as home: {error}", file=sys.stderr)
        return 1
    home = fresh_home()
    with (
        tempfile.TemporaryDirectory(prefix="codecommit-demo-") as workdir,
        MotoIam() as iam,
        ParamikoCodeCommit(Path(workdir), iam, REGION) as server,
    ):
        step(f"IAM user {USER} with access keys in {home}/.aws (moto at {iam.endpoint})")
        iam.write_aws_files(home, iam.create_developer(USER), REGION)
        server.create_repo(REPO)
        append_private(home / ".ssh" / "config", server.routing_config(REGION))
        step(f"CodeCommit double on 127.0.0.1:{server.port}, repository '{REPO}'")
        print(f"host key {server.host_key_fingerprint}")
        # bootstrap's default is RSA 4096; a 2048-bit key (IAM's smallest) is generated in a
        # fraction of the time, which keeps the demo quick. Real setups keep the default.
        print(
            "--key-bits 2048: the demo makes a 2048-bit key (IAM's smallest) because it is "
            "quick to generate; without the flag bootstrap makes RSA 4096"
        )
        command = [
            sys.executable,
            "-m",
            "bootstrap",
            "init",
            "--yes",
            "--region",
            REGION,
            "--repo",
            REPO,
            "--key-bits",
            "2048",
            "--accept-host-key",
            server.host_key_fingerprint,
        ]
        step("bootstrap " + " ".join(command[3:]))
        env = iam.tool_env(home) | shim
        code = subprocess.run(command, env=env, cwd=home, stdin=subprocess.DEVNULL).returncode
        step(f"bootstrap exited {code}; {home}/.ssh/config is now:")
        print((home / ".ssh" / "config").read_text())
        keys = iam.client("iam").list_ssh_public_keys(UserName=USER)["SSHPublicKeys"]
        print(iam_keys_text(keys))
        if code == 0:
            step("the same again: nothing changes, and the clone that proved this setup stands")
            code = subprocess.run(command, env=env, cwd=home, stdin=subprocess.DEVNULL).returncode
        if code == 0:
            code = plain_clone(server.clone_url(REPO), home / "src" / REPO, env)
        print(f"\nserver log:\n{server.log_text()}")
        if code == 0:
            code = https_path(iam, server.repos_dir, Path(workdir), home / "sso-developer")
        if code == 0:
            print(NEXT.format(home=home), end="")
        return code


def role_session(iam: MotoIam, home: Path) -> None:
    """A role session in home/.aws, as `aws sso login` leaves one: no IAM user, no SSH keys."""
    import json

    admin = iam.client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
    }
    role = admin.create_role(RoleName="Developer", AssumeRolePolicyDocument=json.dumps(trust))
    admin.put_role_policy(
        RoleName="Developer", PolicyName="git", PolicyDocument=json.dumps(GIT_POLICY)
    )
    session = iam.client("sts").assume_role(RoleArn=role["Role"]["Arn"], RoleSessionName="alice")
    credentials = session["Credentials"]
    append_private(
        home / ".aws" / "credentials",
        "[default]\n"
        f"aws_access_key_id = {credentials['AccessKeyId']}\n"
        f"aws_secret_access_key = {credentials['SecretAccessKey']}\n"
        f"aws_session_token = {credentials['SessionToken']}\n",
    )
    append_private(home / ".aws" / "config", f"[default]\nregion = {REGION}\n")


def https_path(iam: MotoIam, repos_dir: Path, workdir: Path, home: Path) -> int:
    with (
        HttpsCodeCommit(workdir / "https", iam, REGION, repos_dir=repos_dir) as server,
        ConnectProxy(workdir / "proxy", {server.host: server.port}) as proxy,
    ):
        step(f"a role session (as after `aws sso login`) in {home}/.aws: no SSH keys possible")
        role_session(iam, home)
        step(
            f"HTTPS CodeCommit double behind a CONNECT proxy ({proxy.url}), test CA {server.ca_pem}"
        )
        env = iam.tool_env(home) | server.client_env(proxy.url)
        command = [sys.executable, "-m", "bootstrap", "init", "--yes", "--region", REGION]
        command += ["--repo", REPO]
        step("bootstrap " + " ".join(command[3:]))
        code = subprocess.run(command, env=env, cwd=home, stdin=subprocess.DEVNULL).returncode
        step(f"bootstrap exited {code}; {home}/.gitconfig is now:")
        gitconfig = home / ".gitconfig"
        print(gitconfig.read_text() if gitconfig.exists() else "(none)")
        if code == 0:
            code = plain_clone(server.clone_url(REPO), home / "src" / REPO, env)
        print(f"\nHTTPS server log:\n{server.log_text()}")
        return code


if __name__ == "__main__":
    sys.exit(main())
