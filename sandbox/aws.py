"""boto3 clients for the sandbox's own use: explicit endpoint and dummy credentials.

They never read the machine's ~/.aws files, AWS_PROFILE or AWS_* credentials, so the sandbox
behaves the same on any machine and can never reach real AWS by accident.
"""

from __future__ import annotations

import os
from typing import Any

REGION = "us-east-1"
ADMIN_ACCESS_KEY = "testing"
ADMIN_SECRET_KEY = "testing"


def admin_client(service: str, endpoint: str, region: str = REGION) -> Any:
    """A boto3 client for `service` at the moto `endpoint`, isolated from local AWS config."""
    return client_with_keys(service, endpoint, region, ADMIN_ACCESS_KEY, ADMIN_SECRET_KEY)


def client_with_keys(
    service: str,
    endpoint: str,
    region: str,
    access_key_id: str,
    secret_access_key: str,
    session_token: str | None = None,
    *,
    config: Any = None,
) -> Any:
    """A boto3 client for `service` at `endpoint` signing with these keys (a developer's, or a
    session's), isolated from the machine's AWS config (its files, AWS_PROFILE, AWS_* keys).
    `config`: a botocore.config.Config for the client."""
    import boto3
    import botocore.session

    core = botocore.session.Session()
    core.set_config_variable("config_file", os.devnull)
    core.set_config_variable("credentials_file", os.devnull)
    core.set_config_variable("profile", None)
    session = boto3.session.Session(
        botocore_session=core,
        aws_access_key_id=access_key_id,
        aws_secret_access_key=secret_access_key,
        aws_session_token=session_token,
        region_name=region,
    )
    make_client: Any = session.client  # any service name, so not the stubs' Literal overloads
    return make_client(service, endpoint_url=endpoint, config=config)
