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
    import boto3
    import botocore.session

    core = botocore.session.Session()
    core.set_config_variable("config_file", os.devnull)
    core.set_config_variable("credentials_file", os.devnull)
    core.set_config_variable("profile", None)
    session = boto3.session.Session(
        botocore_session=core,
        aws_access_key_id=ADMIN_ACCESS_KEY,
        aws_secret_access_key=ADMIN_SECRET_KEY,
        region_name=region,
    )
    make_client: Any = session.client  # any service name, so not the stubs' Literal overloads
    return make_client(service, endpoint_url=endpoint)
