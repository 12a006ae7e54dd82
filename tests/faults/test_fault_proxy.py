"""The fault proxy itself: each kind of fault does what the fault tests rely on, and says whether
IAM acted. A plain boto3 client (one attempt, a 1 s read timeout) talks to it; moto is asked
directly what IAM holds."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import boto3
import botocore.exceptions as bx
import botocore.session
import pytest
from botocore.config import Config
from botocore.parsers import ResponseParserError

from sandbox.case import unique
from sandbox.fault_proxy import FaultProxy
from sandbox.iam import MotoIam

BODY = (
    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC7vbqajDhA6RpFxOkc8ZlC1BAtDIcTN6wsZNjvShCpJXMM3umx5i"
    "zjIVUV5tDtrIJrqQ6BchFfgz9zbVctgWKWRA4GJmAJg7T8v9N1DWhOGxE1VdwTLN3gZkpXfzoJuvrLqpVp0ehFzkXMbrk"
    "jFzu1nI1Nyo4B2MTCQQxIgw1Fw== fault-test"
)


@pytest.fixture
def user(moto_iam: MotoIam) -> Iterator[str]:
    name = unique("fault")
    moto_iam.client("iam").create_user(UserName=name)
    yield name


def client(proxy: FaultProxy, config: Config) -> Any:
    """A boto3 IAM client through the proxy, with only its own settings (never ~/.aws)."""
    core = botocore.session.Session()
    core.set_config_variable("config_file", os.devnull)
    core.set_config_variable("credentials_file", os.devnull)
    session = boto3.session.Session(
        botocore_session=core,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    make: Any = session.client
    return make("iam", endpoint_url=proxy.endpoint, config=config)


def held(moto_iam: MotoIam, user: str) -> int:
    return len(moto_iam.client("iam").list_ssh_public_keys(UserName=user)["SSHPublicKeys"])


@pytest.mark.parametrize(
    ("kind", "raised", "iam_acted"),
    [
        ("500", bx.ClientError, False),
        ("throttle", bx.ClientError, False),
        ("reset", bx.ConnectionClosedError, False),
        ("truncate", ResponseParserError, True),
        ("lost", bx.ConnectionClosedError, True),
        ("stall", bx.ReadTimeoutError, True),
    ],
)
def test_each_fault_fails_the_call_and_iam_acted_only_where_it_says(
    fault_proxy: FaultProxy, moto_iam: MotoIam, user: str, kind: str, raised: type, iam_acted: bool
) -> None:
    fault_proxy.inject("UploadSSHPublicKey", kind, hold=3)
    # A short read timeout only where the stall is what is tested: a loaded machine may take
    # more than a second to relay any answer.
    read_timeout = 1 if kind == "stall" else 20
    iam = client(fault_proxy, Config(read_timeout=read_timeout, retries={"total_max_attempts": 1}))
    with pytest.raises(raised):
        iam.upload_ssh_public_key(UserName=user, SSHPublicKeyBody=BODY)
    assert held(moto_iam, user) == (1 if iam_acted else 0)
    assert fault_proxy.seen("UploadSSHPublicKey") == 1
    # The fault is spent: the next call goes through, and meets IAM's duplicate rule.
    if iam_acted:
        with pytest.raises(bx.ClientError, match="DuplicateSSHPublicKey"):
            iam.upload_ssh_public_key(UserName=user, SSHPublicKeyBody=BODY)
    else:
        iam.upload_ssh_public_key(UserName=user, SSHPublicKeyBody=BODY)
    assert held(moto_iam, user) == 1


def test_a_callback_runs_as_the_request_arrives_and_once_iam_acted(
    fault_proxy: FaultProxy, moto_iam: MotoIam, user: str
) -> None:
    calls: list[tuple[str, int]] = []
    fault_proxy.when("UploadSSHPublicKey", lambda a: calls.append((a, held(moto_iam, user))))
    fault_proxy.when(
        "UploadSSHPublicKey", lambda a: calls.append((a, held(moto_iam, user))), acted=True
    )
    iam = client(fault_proxy, Config(retries={"total_max_attempts": 1}))
    iam.upload_ssh_public_key(UserName=user, SSHPublicKeyBody=BODY)
    assert calls == [("UploadSSHPublicKey", 0), ("UploadSSHPublicKey", 1)]
