"""Starting an MFA session (mfa_session.py): the device, `--mfa-serial` or the caller's one
from `iam:ListMFADevices` (no UserName), and `sts:GetSessionToken` with a code, signed with the
profile's long-term key. boto3 is reached the standard way (aws/session.py), so
`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_STS` and `AWS_ENDPOINT_URL_IAM` hold; it and botocore are
imported inside the functions that call AWS.

STS's refusals, by code and then by what it says (narrowest first): a wrong or reused code is
`CodeNotAccepted` (its AccessDenied says "invalid MFA one time pass code"), for the caller to ask
again; a serial that is not the user's ("verify your MFA serial number") names --mfa-serial;
temporary credentials ("Cannot call GetSessionToken with session credentials") say that only an
IAM user's key can start one. Rejected or expired keys are failures.translated's.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from bootstrap.errors import BootstrapError, IamError, IdentityError, UsageError
from bootstrap.https.mfa_session import (
    DEFAULT_DURATION,
    SERIAL_FLAG,
    TRIES,
    CodeNotAccepted,
    MfaError,
    Session,
    TemporaryCredentials,
    check_code,
    check_serial,
    now_utc,
    profile_name,
    save,
)
from bootstrap.https.shared_files import Credentials


class Starter:
    """Starts MFA sessions for one profile: its long-term key, its MFA device, STS. The device
    is looked up once (`serial()`), however many codes are tried. `sts` and `iam` are clients
    to use instead of the profile's (tests pass stubbed ones)."""

    def __init__(
        self,
        profile: str | None,
        region: str,
        serial: str | None = None,
        duration: int = DEFAULT_DURATION,
        *,
        sts: Any = None,
        iam: Any = None,
    ) -> None:
        self.profile = profile
        self.name = profile_name(profile)
        self.region = region
        self.duration = duration
        self._serial = check_serial(serial) if serial else None
        self._clients: dict[str, Any] = {
            name: client for name, client in (("sts", sts), ("iam", iam)) if client is not None
        }
        self._boto: Any = None

    @property
    def _whose(self) -> Any:
        from bootstrap.aws import failures

        return failures.Whose(self.profile)

    def _session(self) -> Any:
        """The profile's boto3 session, once its credentials are known to be long-term."""
        if self._boto is None:
            from bootstrap.aws import failures, session

            boto = session.make_session(self.profile, self.region)
            with failures.translated(self._whose, self.region, "GetSessionToken"):
                found = boto.get_credentials()
                frozen = found.get_frozen_credentials() if found is not None else None
            if frozen is None or not frozen.access_key:
                flag = self._whose.profile_flag
                raise IdentityError(
                    f"no AWS credentials found for {self._whose.source}",
                    f"run `aws configure{flag}` with the IAM user's access key",
                )
            if frozen.token:
                raise TemporaryCredentials(self._whose.credentials)
            self._boto = boto
        return self._boto

    def _client(self, name: str) -> Any:
        if name not in self._clients:
            from bootstrap.aws import session

            self._clients[name] = self._session().client(name, config=session.client_config())
        return self._clients[name]

    def serial(self) -> str:
        """--mfa-serial, else the caller's one MFA device (iam:ListMFADevices)."""
        if self._serial is None:
            self._serial = self._listed_serial()
        return self._serial

    def _listed_serial(self) -> str:
        import botocore.exceptions as bx

        from bootstrap.aws import failures

        whose = self._whose
        with failures.translated(whose, self.region, "ListMFADevices"):
            try:
                pages = self._client("iam").get_paginator("list_mfa_devices").paginate()
                listed = [str(d["SerialNumber"]) for p in pages for d in p.get("MFADevices", [])]
            except bx.ClientError as exc:
                code = failures.error_code(exc) or ""
                if code in failures.CREDENTIAL_CODES or code in failures.EXPIRED_CODES:
                    raise  # failures.translated says it: the key itself is refused
                message = exc.response.get("Error", {}).get("Message", "")
                fix = (
                    f"pass {SERIAL_FLAG} with the device's ARN (IAM console: your security "
                    "credentials, Multi-factor authentication)"
                )
                if code == "AccessDenied":
                    raise IamError(
                        f"IAM denied iam:ListMFADevices to {whose.credentials}, so bootstrap "
                        f"cannot find the MFA device ({message})",
                        fix,
                    ) from None
                raise IamError(
                    f"iam:ListMFADevices failed for {whose.credentials}, so bootstrap cannot find "
                    f"the MFA device ({code}: {message})",
                    fix,
                ) from None
        usable = [serial for serial in listed if ":u2f/" not in serial]  # FIDO keys: no codes
        if len(usable) == 1:
            return usable[0]
        if len(usable) > 1:
            raise MfaError(
                f"the IAM user of {whose.source} has {len(usable)} MFA devices: "
                + ", ".join(usable),
                f"pass {SERIAL_FLAG} with the one to use",
            )
        keys = " (only a security key, which gives no codes)" if listed else ""
        raise MfaError(
            f"the IAM user of {whose.source} has no MFA device that gives codes{keys}",
            "assign a virtual or hardware MFA device to the user (IAM console: your security "
            f"credentials, Assign MFA device), or pass {SERIAL_FLAG} ARN",
        )

    def start(self, code: str, now: datetime | None = None) -> Session:
        """A new session from `code`, cached before it is returned. CodeNotAccepted: ask again."""
        digits = check_code(code)
        serial = self.serial()
        reply = self._get_session_token(serial, digits)
        keys = reply["Credentials"]
        expires = keys["Expiration"]
        if isinstance(expires, str):
            expires = datetime.fromisoformat(expires.replace("Z", "+00:00"))
        if expires.tzinfo is None:
            expires = expires.replace(tzinfo=timezone.utc)
        session = Session(
            profile=self.name,
            serial=serial,
            expires=expires.astimezone(timezone.utc),
            credentials=Credentials(
                str(keys["AccessKeyId"]), str(keys["SecretAccessKey"]), str(keys["SessionToken"])
            ),
            started=now_utc(now).replace(microsecond=0),
            duration=self.duration,
        )
        save(session)
        return session

    def _get_session_token(self, serial: str, code: str) -> Any:
        import botocore.exceptions as bx

        from bootstrap.aws import failures

        with failures.translated(self._whose, self.region, "GetSessionToken"):
            try:
                return self._client("sts").get_session_token(
                    SerialNumber=serial, TokenCode=code, DurationSeconds=self.duration
                )
            except bx.ClientError as exc:
                refused = self._refused(exc, serial)
                if refused is None:
                    raise
                raise refused from None

    def _refused(self, exc: Any, serial: str) -> BootstrapError | None:
        """STS's refusals in our words; None: failures.translated's (credentials, expiry)."""
        from bootstrap.aws import failures

        code = failures.error_code(exc) or ""
        message = str(exc.response.get("Error", {}).get("Message", ""))
        said = message.lower()
        if code in failures.CREDENTIAL_CODES or code in failures.EXPIRED_CODES:
            return None
        if code == "AccessDenied" and "session credentials" in said:
            return TemporaryCredentials(self._whose.credentials)
        if code == "AccessDenied" and "serial" in said:
            return MfaError(
                f"STS could not check the code against the MFA device {serial} ({message})",
                f"check {SERIAL_FLAG}: `aws iam list-mfa-devices{self._whose.profile_flag}` lists "
                "the user's devices",
            )
        if code == "AccessDenied" and any(w in said for w in ("mfa", "multifactor", "code")):
            return CodeNotAccepted()
        if code == "ValidationError" and "serial" in said:
            return UsageError(
                f"STS refused {SERIAL_FLAG} {serial} ({message})",
                f"pass {SERIAL_FLAG} with the device's ARN (`aws iam list-mfa-devices` lists them)",
            )
        return MfaError(f"sts:GetSessionToken failed: {code}: {message}", "run again with --debug")


def _silent(message: str) -> None:
    pass


def start_asking(
    starter: Starter,
    ask: Callable[[str], str],
    say: Callable[[str], None] = _silent,
    tries: int = TRIES,
) -> Session:
    """Ask for a code (`ask(question)`) and start a session, `tries` times at most while STS
    says the code is wrong (`say` tells why before asking again)."""
    question = f"MFA code for {starter.serial()} (profile {starter.name})"
    for attempt in range(1, tries + 1):
        try:
            return starter.start(ask(question))
        except CodeNotAccepted as refused:
            if attempt == tries:
                raise
            more = tries - attempt
            say(f"{refused.cause}; {refused.fix} ({more} more {'try' if more == 1 else 'tries'})")
    raise AssertionError("unreachable")  # pragma: no cover


def session_caller(session: Session, region: str) -> str:
    """Who STS says the session's credentials are (sts:GetCallerIdentity, which needs no
    permission and no policy can deny): the IAM user's ARN. Raises a BootstrapError when STS
    refuses them (revoked, expired early) or cannot be reached."""
    import boto3

    from bootstrap.aws import failures
    from bootstrap.aws import session as aws_session

    keys = session.credentials
    boto = boto3.Session(
        aws_access_key_id=keys.access_key,
        aws_secret_access_key=keys.secret_key,
        aws_session_token=keys.token,
        region_name=region,
    )
    whose = failures.Whose(session.profile)
    with failures.translated(whose, region, "GetCallerIdentity"):
        sts = boto.client("sts", config=aws_session.client_config())
        return str(sts.get_caller_identity()["Arn"])
