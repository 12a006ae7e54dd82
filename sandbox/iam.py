"""MotoIam: a moto server on 127.0.0.1 playing IAM and STS for one test session."""

from __future__ import annotations

import configparser
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sandbox.aws import REGION, admin_client
from sandbox.net import LOCALHOST, wait_for_port
from sandbox.serving import Started

# What AWSCodeCommitPowerUser grants for Git over SSH, and no more.
GIT_POLICY_NAME = "sandbox-codecommit-git"
GIT_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": ["codecommit:GitPull", "codecommit:GitPush"],
            "Resource": "*",
        }
    ],
}


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    secret_access_key: str


@dataclass(frozen=True)
class SshKeyRecord:
    user_name: str
    status: str  # "Active" | "Inactive"
    body: str  # "ssh-rsa AAAA... [comment]" as uploaded


def find_ssh_key(iam: Any, key_id: str) -> SshKeyRecord | None:
    """Find an SSH public key by its id across all IAM users (as CodeCommit does at login)."""
    for page in iam.get_paginator("list_users").paginate():
        for user in page["Users"]:
            name = user["UserName"]
            for kpage in iam.get_paginator("list_ssh_public_keys").paginate(UserName=name):
                for key in kpage["SSHPublicKeys"]:
                    if key["SSHPublicKeyId"] == key_id:
                        got = iam.get_ssh_public_key(
                            UserName=name, SSHPublicKeyId=key_id, Encoding="SSH"
                        )["SSHPublicKey"]
                        return SshKeyRecord(name, got["Status"], got["SSHPublicKeyBody"])
    return None


def _write_private(path: Path, text: str) -> None:
    """Write `text` to `path` atomically with mode 0600."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.replace(tmp, path)


def _merge_ini(path: Path, section: str, values: dict[str, str]) -> None:
    parser = configparser.RawConfigParser()
    if path.exists():
        parser.read(path)
    if not parser.has_section(section):
        parser.add_section(section)
    for key, value in values.items():
        parser.set(section, key, value)
    lines: list[str] = []
    for name in parser.sections():
        lines.append(f"[{name}]")
        lines.extend(f"{key} = {value}" for key, value in parser.items(name))
        lines.append("")
    _write_private(path, "\n".join(lines))


class MotoIam(Started):
    """A started moto server (IAM, STS, ...) on 127.0.0.1 with a free port.

    moto keeps its state in process-wide backends: a `moto.mock_aws` used elsewhere in the same
    process resets them. Tests should create their own users (unique names) per test.
    """

    def __init__(self) -> None:
        self._server: Any = None
        self.endpoint = ""
        self.port = 0

    def start(self) -> MotoIam:
        from moto.server import ThreadedMotoServer

        from sandbox import moto_fixes

        moto_fixes.apply()
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
        self._server = ThreadedMotoServer(ip_address=LOCALHOST, port=0, verbose=False)
        self._server.start()
        _host, self.port = self._server.get_host_and_port()
        self.endpoint = f"http://{LOCALHOST}:{self.port}"
        wait_for_port(self.port)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def client(self, service: str, region: str = REGION) -> Any:
        """An admin boto3 client (dummy credentials) for `service` on this server."""
        if not self.endpoint:
            raise RuntimeError("MotoIam is not started")
        return admin_client(service, self.endpoint, region)

    def create_developer(self, user_name: str, *, grant_git: bool = True) -> Credentials:
        """Create an IAM user with an access key; `grant_git` allows GitPull/GitPush on *."""
        iam = self.client("iam")
        iam.create_user(UserName=user_name)
        if grant_git:
            iam.put_user_policy(
                UserName=user_name,
                PolicyName=GIT_POLICY_NAME,
                PolicyDocument=json.dumps(GIT_POLICY),
            )
        key = iam.create_access_key(UserName=user_name)["AccessKey"]
        return Credentials(key["AccessKeyId"], key["SecretAccessKey"])

    def upload_ssh_key(self, user_name: str, public_key: str) -> str:
        """Upload `public_key` (an "ssh-rsa AAAA..." line) for the user; return its key id."""
        got = self.client("iam").upload_ssh_public_key(
            UserName=user_name, SSHPublicKeyBody=public_key.strip()
        )
        return str(got["SSHPublicKey"]["SSHPublicKeyId"])

    def set_ssh_key_status(self, user_name: str, key_id: str, status: str) -> None:
        self.client("iam").update_ssh_public_key(
            UserName=user_name, SSHPublicKeyId=key_id, Status=status
        )

    def put_user_policy(self, user_name: str, name: str, document: dict[str, Any]) -> None:
        self.client("iam").put_user_policy(
            UserName=user_name, PolicyName=name, PolicyDocument=json.dumps(document)
        )

    def find_ssh_key(self, key_id: str) -> tuple[str, str, str] | None:
        """(user_name, status, body) of the SSH key with this id, or None."""
        found = find_ssh_key(self.client("iam"), key_id)
        return None if found is None else (found.user_name, found.status, found.body)

    @staticmethod
    def write_aws_files(
        home: Path, creds: Credentials, region: str, profile: str = "default"
    ) -> None:
        """Write (merge) home/.aws/credentials and home/.aws/config, both 0600."""
        aws = home / ".aws"
        _merge_ini(
            aws / "credentials",
            profile,
            {
                "aws_access_key_id": creds.access_key_id,
                "aws_secret_access_key": creds.secret_access_key,
            },
        )
        section = "default" if profile == "default" else f"profile {profile}"
        _merge_ini(aws / "config", section, {"region": region})

    def tool_env(self, home: Path) -> dict[str, str]:
        """A clean environment for the tool as a subprocess.

        Built from scratch, so no AWS_* variable (credentials, profile, region) is inherited:
        the tool must find credentials through home/.aws, as on a developer's machine.
        """
        env = {
            "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
            "HOME": str(home),
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_EC2_METADATA_DISABLED": "true",
            "LANG": "C.UTF-8",
        }
        return env
