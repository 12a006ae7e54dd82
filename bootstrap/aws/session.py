"""The boto3 session for a profile and region, and how patient its clients are."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from bootstrap import waits
from bootstrap.errors import IdentityError

if TYPE_CHECKING:
    import boto3


def make_session(profile: str | None, region: str | None) -> boto3.Session:
    import boto3
    import botocore.exceptions

    try:
        return boto3.Session(profile_name=profile, region_name=region)
    except botocore.exceptions.ProfileNotFound as missing:
        raise profile_not_found(profile, missing) from None


def profile_not_found(profile: str | None, missing: Exception) -> IdentityError:
    """--profile, or $AWS_PROFILE when no --profile was given, names a profile not configured.
    The profiles that are, read without one (boto3.Session() would fail on $AWS_PROFILE too)."""
    import botocore.session

    name = profile or str(getattr(missing, "kwargs", {}).get("profile") or "")
    from_env = os.environ.get("AWS_PROFILE") == name
    source = f"AWS profile '{name}'" + (" (from $AWS_PROFILE)" if from_env else "")
    try:
        known = botocore.session.Session().available_profiles
    except Exception:  # an unreadable AWS config: the profile is missing all the same
        known = []
    choices = ", ".join(sorted(known)) or "none configured"
    flag = "pass --profile with one of those" + (" (or change AWS_PROFILE)" if from_env else "")
    return IdentityError(
        f"{source} is not in your AWS config (profiles: {choices})",
        f"{flag}, or run `aws configure --profile {name}`",
    )


def client_config() -> Any:
    from botocore.config import Config

    # Fail in seconds, not minutes, when the network is down or the region is wrong.
    return Config(
        connect_timeout=5,
        read_timeout=waits.aws_read(),
        retries={"mode": "standard", "total_max_attempts": waits.AWS_ATTEMPTS},
    )
