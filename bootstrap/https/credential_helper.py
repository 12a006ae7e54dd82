"""`bootstrap git-credential get|store|erase`: git's credential-helper protocol, answered with a
CodeCommit username and signed password (see signing.py).

git writes `key=value` lines on our stdin, ending with a blank line or EOF (git-credential(1),
"INPUT/OUTPUT FORMAT"). For `get`, we answer `username=…` and `password=…` lines on stdout,
only when the request is for a CodeCommit Git host over https; for anything else we print
nothing and succeed, so that git asks its next helper. `store` and `erase` read their input and
do nothing: the password is computed on every request and expires in about 15 minutes, so
there is nothing to keep.

The path is signed, so git must send it: `credential.useHttpPath = true` for CodeCommit hosts
(git then sends `path=v1/repos/NAME`). Without it, `get` fails saying so.

Credentials are what botocore's chain gives for the profile: environment, shared files, SSO
(`sso-session` included), assume-role and web identity with the AWS CLI's cache
(~/.aws/cli/cache, shared with it), credential_process. git runs us for every fetch and push, and
importing botocore is most of a run's time, so the two common cases are read without it
(shared_files.py), in botocore's own order and with its own parsing: keys in the environment, and
static keys in the shared credentials file for a profile that nothing earlier in the chain
claims. Anything else (a role, SSO, web identity, credential_process, a file that does not
parse, a profile that does not exist, keys only in the config file) goes to botocore itself
(`from_botocore`), which imports botocore only, never boto3, and only once a CodeCommit request
has come.

With `--mfa` the request is signed with the profile's MFA session instead (mfa_helper.py):
cached in ~/.aws/bootstrap/mfa/, started again at the terminal when it has expired.

Every failure is a `HelperError` (a BootstrapError: cause, fix, exit code), or with `--mfa` an
`MfaError` (one too), which the command prints as one line on stderr. The password and the
session token are written to stdout only: never to argv, a log, or stderr, and never into an
error.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, BinaryIO

from bootstrap.errors import EXIT_IDENTITY, EXIT_USAGE, BootstrapError
from bootstrap.https import shared_files, signing
from bootstrap.https.shared_files import Credentials

ACTIONS = ("get", "store", "erase")
# What the AWS CLI caches assumed-role (and SSO role) credentials in: shared, so that a role
# assumed by `aws` is not assumed again (nor its MFA asked again) by git.
CLI_CACHE = os.path.join("~", ".aws", "cli", "cache")
_CACHED_PROVIDERS = ("assume-role", "assume-role-with-web-identity", "sso")


class HelperError(BootstrapError):
    """A request we should answer and cannot; printed as one line on git's stderr."""


class NoHttpPath(HelperError):
    exit_code = EXIT_USAGE

    def __init__(self, host: str) -> None:
        super().__init__(
            f"git did not send the repository path for {host}, and the CodeCommit password "
            "is signed over it",
            "credential.useHttpPath must be true for CodeCommit hosts: git config --global "
            f"'credential.https://{signing.without_port(host)}.useHttpPath' true",
        )


class CredentialsError(HelperError):
    exit_code = EXIT_IDENTITY


@dataclass(frozen=True)
class Request:
    """What git asked: the attributes we use, and everything it sent (`attributes`)."""

    attributes: dict[str, str]

    @property
    def protocol(self) -> str | None:
        return self.attributes.get("protocol")

    @property
    def host(self) -> str | None:
        return self.attributes.get("host")

    @property
    def path(self) -> str | None:
        return self.attributes.get("path") or None

    @property
    def region(self) -> str | None:
        """The CodeCommit region, when this is a request for a CodeCommit host over https."""
        if self.protocol != "https" or not self.host:
            return None
        return signing.region_of(self.host)


def parse(lines: Iterable[str]) -> Request:
    """`key=value` lines up to the first blank one. A value may hold `=`; a line without one
    is skipped, as is a repeated `key[]=` (capabilities, WWW-Authenticate: not needed here)."""
    attributes: dict[str, str] = {}
    for raw in lines:
        line = raw.rstrip("\r\n")
        if not line:
            break
        key, sep, value = line.partition("=")
        if sep and not key.endswith("[]"):
            attributes[key] = value
    return Request(attributes)


def read_request(stream: BinaryIO) -> Request:
    """Read git's request from `stream` (stdin's bytes) until a blank line or EOF."""

    def lines() -> Iterable[str]:
        for raw in stream:
            yield raw.decode("utf-8", errors="surrogateescape")

    return parse(lines())


def answer(
    request: Request, credentials: Callable[[], Credentials], now: datetime | None = None
) -> str:
    """The reply to `get`: `username=` and `password=` lines, or "" when this request is not
    for a CodeCommit host over https (git then asks its next helper). `credentials` is called
    only for a request we answer."""
    region = request.region
    if region is None or request.host is None:
        return ""
    if request.path is None:
        raise NoHttpPath(signing.without_port(request.host))
    found = credentials()
    when = now or datetime.now(timezone.utc)
    secret = signing.password(found.secret_key, region, request.host, request.path, when)
    return f"username={signing.username(found.access_key, found.token)}\npassword={secret}\n"


def _profile_named(profile: str | None) -> str:
    return shared_files.profile_variable(profile) or "default"


def _profile_flag(profile: str | None) -> str:
    import shlex

    return f" --profile {shlex.quote(_profile_named(profile))}"


def _with_cli_cache(session: Any) -> None:
    """Cache assumed roles where the AWS CLI does: one AssumeRole (one MFA code) serves both."""
    from botocore.exceptions import UnknownCredentialError
    from botocore.utils import JSONFileCache

    resolver = session.get_component("credential_provider")
    cache = JSONFileCache(os.path.expanduser(CLI_CACHE))
    for name in _CACHED_PROVIDERS:
        try:
            resolver.get_provider(name).cache = cache
        except UnknownCredentialError:
            continue


def from_botocore(profile: str | None) -> Credentials:
    """Frozen credentials from botocore's chain for `profile` (None: $AWS_PROFILE or default).

    Raises CredentialsError, by botocore exception class: no credentials, an SSO login that has
    expired or never happened, a profile that does not exist, or any other botocore failure
    (a role that cannot be assumed, a credential_process that fails, no network)."""
    import botocore.exceptions as bce
    import botocore.session

    name = _profile_named(profile)
    flag = _profile_flag(profile)
    try:
        session = botocore.session.Session(profile=profile)
        _with_cli_cache(session)
        found = session.get_credentials()
        frozen = found.get_frozen_credentials() if found is not None else None
    except bce.ProfileNotFound:
        raise CredentialsError(
            f"AWS profile '{name}' is not in your AWS config",
            f"pass --profile with a profile that exists, or run `aws configure{flag}`",
        ) from None
    except (bce.SSOTokenLoadError, bce.UnauthorizedSSOTokenError, bce.TokenRetrievalError):
        raise CredentialsError(
            f"the AWS SSO login for profile '{name}' has expired or was never made",
            f"run: aws sso login{flag}",
        ) from None
    except (bce.BotoCoreError, bce.ClientError, ValueError, OSError) as error:
        # ValueError, OSError: a credential_process that prints no JSON, or cannot be run.
        raise CredentialsError(
            f"could not get AWS credentials for profile '{name}': {_one_line(error)}",
            f"check the profile with `aws sts get-caller-identity{flag}`",
        ) from None
    if frozen is None or not frozen.access_key or not frozen.secret_key:
        raise CredentialsError(
            f"no AWS credentials found for profile '{name}'",
            f"run `aws configure{'' if name == 'default' else flag}`, or give the helper "
            "another --profile in your git config",
        )
    return Credentials(frozen.access_key, frozen.secret_key, frozen.token or None)


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__


def find_credentials(profile: str | None) -> Credentials:
    """The credentials of botocore's chain for `profile`: read from the environment or the
    shared credentials file when `from_files` can answer exactly, else from botocore."""
    return shared_files.from_files(profile) or from_botocore(profile)


def run(
    action: str,
    profile: str | None,
    stdin: BinaryIO,
    stdout: BinaryIO,
    credentials: Callable[[str | None], Credentials] = find_credentials,
    now: datetime | None = None,
    mfa: bool = False,
) -> None:
    """One helper call: read git's request; for `get`, write the answer (bytes: no `\\r` on
    Windows, which git would keep). `mfa`: sign with the profile's MFA session instead
    (mfa_helper.py, imported only then). Raises HelperError, or with `mfa` an MfaError."""
    request = read_request(stdin)
    if action != "get":
        return

    def found() -> Credentials:
        if mfa:
            from bootstrap.https import mfa_helper

            return mfa_helper.credentials(profile, request.region)
        return credentials(profile)

    reply = answer(request, found, now)
    if reply:
        stdout.write(reply.encode("utf-8", errors="surrogateescape"))
        stdout.flush()
