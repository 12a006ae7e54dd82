"""The repositories the wizard can offer: codecommit:ListRepositories in one region.

Listing is a convenience, never a requirement: when it is denied or unavailable the wizard
falls back to asking for the name, and says why. So every failure here becomes
`ListingUnavailable(reason)`, a sentence for the user, not an error that stops the run.
"""

from __future__ import annotations

from typing import Any

from bootstrap.aws import failures
from bootstrap.errors import UsageError


class ListingUnavailable(Exception):
    """The repositories could not be listed; `reason` says why, in the user's terms."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


_DENIED_CODES = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"}


def _client(profile: str | None, region: str) -> Any:
    from botocore.config import Config

    from bootstrap.aws.session import make_session

    # One quick try: a slow or broken listing only delays the question it would answer.
    config = Config(connect_timeout=5, read_timeout=10, retries={"total_max_attempts": 2})
    return make_session(profile, region).client("codecommit", config=config)


def list_names(profile: str | None, region: str, client: Any = None) -> list[str]:
    """Every repository name the caller may see in `region`, sorted; or ListingUnavailable."""
    import botocore.exceptions as bx

    names: list[str] = []
    try:
        codecommit = client if client is not None else _client(profile, region)
        for page in codecommit.get_paginator("list_repositories").paginate(
            sortBy="repositoryName", order="ascending"
        ):
            names.extend(repo["repositoryName"] for repo in page.get("repositories", []))
    except bx.ClientError as exc:
        raise ListingUnavailable(_client_error_reason(exc, region)) from None
    except (bx.EndpointConnectionError, bx.ConnectTimeoutError, bx.ReadTimeoutError):
        raise ListingUnavailable(f"CodeCommit in {region} could not be reached") from None
    except bx.NoCredentialsError:
        raise ListingUnavailable("no AWS credentials were found to list them with") from None
    except bx.BotoCoreError as exc:
        raise ListingUnavailable(f"the AWS SDK could not list them ({exc})") from None
    return sorted(set(names))


def _client_error_reason(exc: Any, region: str) -> str:
    error = exc.response.get("Error", {})
    code = str(error.get("Code", ""))
    message = str(error.get("Message", "")).strip()
    if code in _DENIED_CODES:
        return f"your IAM policy does not allow codecommit:ListRepositories in {region}"
    if code in failures.CREDENTIAL_CODES | failures.EXPIRED_CODES:
        return f"AWS rejected the credentials for listing ({code})"
    if code.isdigit():
        # No error document, only an HTTP status (e.g. a server without this API).
        return f"CodeCommit in {region} answered ListRepositories with HTTP {code}"
    first_line = message.splitlines()[0] if message and not message.startswith("<") else ""
    return f"ListRepositories failed in {region}: {code}" + (
        f" ({first_line})" if first_line else ""
    )


def name_problem(name: str) -> str | None:
    """What is wrong with `name` as a CodeCommit repository name, or None."""
    if not name or len(name) > 100 or any(c in name for c in " /\\:?*[]~^"):
        return "a CodeCommit repository name: 1-100 letters, digits, '.', '_' or '-'"
    return None


def check_name(name: str, flag: str = "--repo") -> None:
    if problem := name_problem(name):
        raise UsageError(f"{flag} '{name}' is not a valid repository name", problem)
