"""AWS's errors, caught by code (narrowest first), as BootstrapErrors that say what to do.

The codes that mean "these credentials are rejected or expired" are the same whichever service
answers (IAM, STS, CodeCommit): repos.py reads them from here too.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from bootstrap import waits
from bootstrap.aws import unanswered
from bootstrap.errors import IamError, IdentityError

CREDENTIAL_CODES = frozenset(
    {
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "SignatureDoesNotMatch",
        "InvalidAccessKeyId",
        "AuthFailure",
    }
)
EXPIRED_CODES = frozenset({"ExpiredToken", "ExpiredTokenException", "RequestExpired"})
REFUSED_KEY_CODES = frozenset({"InvalidPublicKey", "UnrecognizedPublicKeyEncoding"})


class KeyLimitReached(IamError):
    """IAM's quota of 5 SSH keys per user (it cannot be raised)."""


class DuplicateKey(IamError):
    """IAM already holds this key material for this user."""


class NoAnswer(IdentityError):
    """AWS's answer never came (a timeout, a dropped connection, an unreadable or 5xx answer):
    whether it acted is not known, so whoever asked must look before going on."""


@dataclass(frozen=True)
class Whose:
    """Whose credentials a message names: the profile's when one is set (--profile or
    $AWS_PROFILE), "the default credentials" only when none is."""

    profile: str | None

    @property
    def source(self) -> str:
        return f"profile '{self.profile}'" if self.profile else "the default credentials"

    @property
    def credentials(self) -> str:
        return f"the credentials of {self.source}" if self.profile else self.source

    @property
    def profile_flag(self) -> str:
        return f" --profile {self.profile}" if self.profile else ""

    @property
    def other_profile(self) -> str:
        return "pass another --profile" if self.profile else "pass --profile"


@contextlib.contextmanager
def translated(whose: Whose, region: str, action: str, user: str | None = None) -> Iterator[None]:
    """botocore's exceptions, raised inside, as BootstrapErrors that name whose credentials and
    what to do."""
    import botocore.exceptions as bx
    from botocore.parsers import ResponseParserError

    who, flag = whose.source, whose.profile_flag
    try:
        with unanswered.said_while_waiting(action):
            yield
    except bx.NoCredentialsError:
        raise IdentityError(
            f"no AWS credentials found for {who}",
            f"run `aws configure{flag}` (or `aws sso login{flag}`), or {whose.other_profile}",
        ) from None
    except (bx.SSOTokenLoadError, bx.UnauthorizedSSOTokenError, bx.TokenRetrievalError):
        raise IdentityError(
            f"the SSO session for {who} has expired or was never started",
            f"run `aws sso login{flag}`",
        ) from None
    except (bx.EndpointConnectionError, bx.ConnectTimeoutError) as exc:
        url = getattr(exc, "kwargs", {}).get("endpoint_url", "AWS")
        raise IdentityError(
            f"could not reach {url} (region '{region}')",
            "check --region and your network or proxy settings",
        ) from None
    except (bx.HTTPClientError, ResponseParserError) as exc:
        raise no_answer(exc, action) from None
    except bx.ClientError as exc:
        raise client_error(exc, whose, action, user) from None


def no_answer(exc: BaseException, action: str) -> NoAnswer:
    """A request whose answer never came, or came unreadable: one line, exit 3."""
    import botocore.exceptions as bx

    what = unanswered.label(action)
    url = getattr(exc, "kwargs", {}).get("endpoint_url") or "AWS"
    if isinstance(exc, bx.ReadTimeoutError):
        return NoAnswer(
            f"{url} did not answer {what} within {waits.aws_read()} s, {waits.AWS_ATTEMPTS} times",
            "check your network or proxy, then run again (on a slow link, set "
            f"{waits.AWS_ENV} to more seconds)",
        )
    if isinstance(exc, bx.ConnectionClosedError):
        return NoAnswer(
            f"the connection to {url} was closed before AWS answered {what}, "
            f"{waits.AWS_ATTEMPTS} times",
            "check your network or proxy (something on the way cuts the connection), "
            "then run again",
        )
    if not isinstance(exc, bx.HTTPClientError):  # ResponseParserError
        return NoAnswer(
            f"AWS's answer to {what} was cut short or garbled, and could not be read",
            "run again; if it goes on, check for a proxy that alters the traffic to AWS",
        )
    return NoAnswer(
        f"the request {what} to {url} failed: {exc}", "check your network or proxy, then run again"
    )


def client_error(exc: Any, whose: Whose, action: str, user: str | None) -> Exception:
    error = exc.response.get("Error", {})
    code, message = error.get("Code", ""), error.get("Message", "")
    if code in CREDENTIAL_CODES:
        where = f"under [{whose.profile}] in" if whose.profile else "in"
        return IdentityError(
            f"AWS rejected {whose.credentials} ({code}: {message})",
            f"check the access key {where} ~/.aws/credentials, or {whose.other_profile}",
        )
    if code in EXPIRED_CODES:
        return IdentityError(
            f"{whose.credentials} have expired ({code})",
            f"refresh them (`aws sso login{whose.profile_flag}`, or new session "
            "credentials), then run again",
        )
    if code == "NoSuchEntity":
        return IamError(
            f"IAM has no user named '{user}'",
            "check --user (the IAM user name, not the access key id)",
        )
    if code == "LimitExceeded":
        return KeyLimitReached(
            f"IAM user '{user}' already has the maximum of 5 SSH public keys",
            "delete one you no longer use: aws iam delete-ssh-public-key "
            f"--user-name {user} --ssh-public-key-id APKA…",
        )
    if code == "DuplicateSSHPublicKey":
        return DuplicateKey(
            f"this public key is already registered to IAM user '{user}'",
            "run bootstrap again; it will reuse the registered key",
        )
    if code in REFUSED_KEY_CODES:
        return IamError(
            f"IAM refused the public key ({code}: {message})",
            "IAM accepts ssh-rsa keys of 2048 to 16384 bits; pass --key with a new path",
        )
    if code in ("AccessDenied", "AccessDeniedException"):
        return IamError(
            f"IAM denied {unanswered.label(action)} for user '{user}' ({message})",
            "ask an administrator for the AWS managed policy IAMUserSSHKeys "
            "(it lets users manage their own SSH keys)",
        )
    failed = f"{unanswered.label(action)} failed: {code}: {message}"
    if unanswered.is_sts(action):  # who we are could not be told: an identity failure
        return IdentityError(failed, "run again; if it goes on, run again with --debug")
    return IamError(failed, "run again with --debug")


def error_code(exc: BaseException) -> str | None:
    """The AWS error code of a botocore ClientError, without any 'Exception' suffix."""
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return None
    code = response.get("Error", {}).get("Code")
    return str(code).removesuffix("Exception") if code else None
