"""The boto3 session for a profile and region, and how patient its clients are."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bootstrap.errors import IdentityError

if TYPE_CHECKING:
    import boto3


def make_session(profile: str | None, region: str | None) -> boto3.Session:
    import boto3
    import botocore.exceptions

    try:
        return boto3.Session(profile_name=profile, region_name=region)
    except botocore.exceptions.ProfileNotFound:
        known = boto3.Session().available_profiles
        choices = ", ".join(sorted(known)) or "none configured"
        raise IdentityError(
            f"AWS profile '{profile}' is not in your AWS config (profiles: {choices})",
            f"pass --profile with one of those, or run `aws configure --profile {profile}`",
        ) from None


def client_config() -> Any:
    from botocore.config import Config

    # Fail in seconds, not minutes, when the network is down or the region is wrong.
    return Config(
        connect_timeout=5, read_timeout=20, retries={"mode": "standard", "max_attempts": 3}
    )
