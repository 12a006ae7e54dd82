"""Credential errors name whose credentials they are: the profile when one is set (--profile
or $AWS_PROFILE), "the default credentials" only when none is; and the fix is for that profile.

IAM's refusals are injected with botocore's Stubber; botocore's own credential errors with a
client that raises them, as boto3 does before sending anything.
"""

from __future__ import annotations

from typing import Any

import botocore.exceptions as bx
import pytest
from botocore.stub import Stubber

from bootstrap.aws.iam import Aws
from bootstrap.errors import IdentityError
from sandbox.case import SandboxCase


class Raising:
    """An IAM client whose every paginated call raises `error` (as boto3 does without
    credentials, before any request)."""

    def __init__(self, error: Exception):
        self.error = error

    def get_paginator(self, _operation: str) -> Any:
        raise self.error


def refused(aws: Aws) -> IdentityError:
    with pytest.raises(IdentityError) as failure:
        aws.list_keys("alice")
    return failure.value


@pytest.mark.parametrize("code", ["InvalidClientTokenId", "SignatureDoesNotMatch"])
def test_rejected_credentials_name_the_profile(stubbed_iam: tuple[Any, Stubber], code: str) -> None:
    iam, stub = stubbed_iam
    stub.add_client_error("list_ssh_public_keys", code, "bad", http_status_code=403)
    error = refused(Aws("dev", "us-east-1", iam_client=iam))
    assert error.cause == f"AWS rejected the credentials of profile 'dev' ({code}: bad)"
    assert error.fix == (
        "check the access key under [dev] in ~/.aws/credentials, or pass another --profile"
    )


def test_rejected_default_credentials_say_default(stubbed_iam: tuple[Any, Stubber]) -> None:
    iam, stub = stubbed_iam
    stub.add_client_error("list_ssh_public_keys", "InvalidClientTokenId", "bad", 403)
    error = refused(Aws(None, "us-east-1", iam_client=iam))
    assert error.cause == "AWS rejected the default credentials (InvalidClientTokenId: bad)"
    assert error.fix == "check the access key in ~/.aws/credentials, or pass --profile"
    assert "profile '" not in error.cause


def test_expired_credentials_name_the_profile_and_its_sso_login(
    stubbed_iam: tuple[Any, Stubber],
) -> None:
    iam, stub = stubbed_iam
    stub.add_client_error("list_ssh_public_keys", "ExpiredToken", "old", http_status_code=403)
    error = refused(Aws("dev", "us-east-1", iam_client=iam))
    assert error.cause == "the credentials of profile 'dev' have expired (ExpiredToken)"
    assert "`aws sso login --profile dev`" in error.fix


def test_expired_default_credentials_say_default(stubbed_iam: tuple[Any, Stubber]) -> None:
    iam, stub = stubbed_iam
    stub.add_client_error("list_ssh_public_keys", "ExpiredToken", "old", http_status_code=403)
    error = refused(Aws(None, "us-east-1", iam_client=iam))
    assert error.cause == "the default credentials have expired (ExpiredToken)"
    assert "`aws sso login`" in error.fix


@pytest.mark.parametrize(
    ("profile", "cause", "fix"),
    [
        (
            "dev",
            "no AWS credentials found for profile 'dev'",
            "run `aws configure --profile dev` (or `aws sso login --profile dev`), "
            "or pass another --profile",
        ),
        (
            None,
            "no AWS credentials found for the default credentials",
            "run `aws configure` (or `aws sso login`), or pass --profile",
        ),
    ],
    ids=["profile", "default"],
)
def test_missing_credentials_name_the_profile_or_say_default(
    profile: str | None, cause: str, fix: str
) -> None:
    error = refused(Aws(profile, "us-east-1", iam_client=Raising(bx.NoCredentialsError())))
    assert (error.cause, error.fix) == (cause, fix)


def test_expired_sso_session_names_the_profile() -> None:
    raising = Raising(bx.TokenRetrievalError(provider="sso", error_msg="expired"))
    error = refused(Aws("dev", "us-east-1", iam_client=raising))
    assert error.cause == "the SSO session for profile 'dev' has expired or was never started"
    assert error.fix == "run `aws sso login --profile dev`"


@pytest.mark.e2e
def test_aws_profile_from_the_environment_is_the_one_named(sandbox: SandboxCase) -> None:
    # $AWS_PROFILE names a profile with a region and no credentials: the [default]
    # credentials next to it are not used, and the error says which profile lacks them.
    config = sandbox.home / ".aws" / "config"
    config.write_text(config.read_text() + f"\n[profile dev]\nregion = {sandbox.region}\n")
    sandbox.env["AWS_PROFILE"] = "dev"
    done = sandbox.run("init", "--yes", "--repo", "r", "--no-clone")
    assert done.returncode == 3, done.stderr
    assert "no AWS credentials found for profile 'dev'" in done.stderr
    assert "aws configure --profile dev" in done.stderr
    assert "default credentials" not in done.stderr
