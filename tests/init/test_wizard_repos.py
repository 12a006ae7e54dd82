"""The repository picker's listing: codecommit:ListRepositories, and why it may be unavailable.

moto has no ListRepositories, so the listing itself is tested with botocore's Stubber; the
moto server is still asked once, to pin what the sandbox (and the pty test) shows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from bootstrap.aws import repos
from sandbox.iam import MotoIam


def client(**extra: Any) -> Any:
    return boto3.client(
        "codecommit",
        region_name="eu-west-1",
        aws_access_key_id="AKIAEXAMPLE",
        aws_secret_access_key="secret",
        **extra,
    )


def test_every_page_is_listed_and_sorted() -> None:
    codecommit = client()
    expected = {"sortBy": "repositoryName", "order": "ascending"}
    with Stubber(codecommit) as stub:
        stub.add_response(
            "list_repositories",
            {
                "repositories": [{"repositoryName": "web", "repositoryId": "1"}],
                "nextToken": "page-2",
            },
            expected,
        )
        stub.add_response(
            "list_repositories",
            {"repositories": [{"repositoryName": "api", "repositoryId": "2"}]},
            expected | {"nextToken": "page-2"},
        )
        assert repos.list_names(None, "eu-west-1", client=codecommit) == ["api", "web"]
        stub.assert_no_pending_responses()


def test_access_denied_says_which_permission_is_missing() -> None:
    codecommit = client()
    with Stubber(codecommit) as stub:
        stub.add_client_error(
            "list_repositories",
            service_error_code="AccessDeniedException",
            service_message="User: arn:aws:iam::1:user/alice is not authorized",
            http_status_code=400,
        )
        with pytest.raises(repos.ListingUnavailable) as unavailable:
            repos.list_names(None, "eu-west-1", client=codecommit)
    assert unavailable.value.reason == (
        "your IAM policy does not allow codecommit:ListRepositories in eu-west-1"
    )


def test_an_unknown_error_keeps_its_code_and_first_line() -> None:
    codecommit = client()
    with Stubber(codecommit) as stub:
        stub.add_client_error(
            "list_repositories",
            service_error_code="ThrottlingException",
            service_message="Rate exceeded\nmore detail",
            http_status_code=400,
        )
        with pytest.raises(repos.ListingUnavailable) as unavailable:
            repos.list_names(None, "eu-west-1", client=codecommit)
    assert unavailable.value.reason == (
        "ListRepositories failed in eu-west-1: ThrottlingException (Rate exceeded)"
    )


def test_an_unreachable_endpoint_is_named_as_such() -> None:
    from botocore.config import Config

    codecommit = client(
        endpoint_url="http://127.0.0.1:9",
        config=Config(connect_timeout=2, retries={"total_max_attempts": 1}),
    )
    with pytest.raises(repos.ListingUnavailable) as unavailable:
        repos.list_names(None, "eu-west-1", client=codecommit)
    assert unavailable.value.reason == "CodeCommit in eu-west-1 could not be reached"


def test_the_sandbox_moto_server_has_no_listing(
    moto_iam: MotoIam, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Through the real client construction (profile-less session, AWS_ENDPOINT_URL), with
    # no AWS files of the account's in the way.
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_iam.endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with pytest.raises(repos.ListingUnavailable) as unavailable:
        repos.list_names(None, "us-east-1")
    assert unavailable.value.reason == (
        "CodeCommit in us-east-1 answered ListRepositories with HTTP 500"
    )
