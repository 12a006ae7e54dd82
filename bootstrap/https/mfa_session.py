"""An MFA session for a profile: temporary credentials from `sts:GetSessionToken` with the
MFA device's serial and a code, so that requests signed with them carry
`aws:MultiFactorAuthPresent` and a "deny unless MFA" policy lets git through.

The session is started with the profile's long-term access key (an IAM user's: STS refuses
GetSessionToken to temporary credentials), through boto3's standard endpoint resolution, so
`AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_STS` / `_IAM` reach a test double. The device is
`--mfa-serial`, else the one `iam:ListMFADevices` (no UserName: the caller's own) lists.

The cache: `~/.aws/bootstrap/mfa/PROFILE.json` (PROFILE with every byte outside
`A-Za-z0-9._-` written as `%XX`), in folders made 0700, the file 0600 from its first byte and
replaced atomically (files.atomic_write). It holds the profile, the device's serial, when the
session started and expires, its duration and the session's key id, secret and token: never the
code that started it. A session is used until REUSE_MARGIN (5 minutes) before it expires, so a
push that starts just before the end is not refused halfway.

The secret and the token are written to that file only: never to argv, a log, JSON output or an
error (`Session` and `Credentials` leave them out of their repr). This module reads and writes
the cache and checks the flags; starting a session (IAM, STS) is mfa_sts.py, so reading the cache
(git's helper, status, doctor) imports no AWS SDK.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from bootstrap.errors import IdentityError, UsageError
from bootstrap.https.shared_files import Credentials, profile_variable

DEFAULT_DURATION = 12 * 3600  # STS's own default for GetSessionToken
MAX_DURATION = 36 * 3600  # 129600 s: the most IAM gives an IAM user's session
MIN_DURATION = 15 * 60  # 900 s: the least STS gives
REUSE_MARGIN = timedelta(minutes=5)
TRIES = 3  # codes asked before giving up, at a terminal
CACHE_DIR = os.path.join("~", ".aws", "bootstrap", "mfa")
FORMAT = 1
SERIAL_FLAG = "--mfa-serial"
_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")
_SERIAL = re.compile(r"^[\w+=/:,.@-]{9,256}$")  # GetSessionToken's SerialNumber
_DURATION = re.compile(r"^(\d+)\s*([smh]?)$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600}


class MfaError(IdentityError):
    """An MFA session could not be started or used (exit 3: credentials and identity)."""


class CodeNotAccepted(MfaError):
    """STS refused the one-time code (wrong, or already used), or it is not a code at all.
    At a terminal the caller asks again."""

    def __init__(
        self, cause: str = "that MFA code was not accepted (a wrong code, or one already used)"
    ) -> None:
        super().__init__(
            cause, "enter the next code your MFA device shows (each code works only once)"
        )


class TemporaryCredentials(MfaError):
    def __init__(self, whose: str) -> None:
        super().__init__(
            f"{whose} are temporary (a role, SSO or a session), and STS starts an MFA session "
            "only from an IAM user's long-term access key",
            "use --mfa with the profile of an IAM user's access key; for a role that needs MFA, "
            "put mfa_serial in its profile instead",
        )


class SessionExpired(MfaError):
    """There is no valid MFA session and none can be started here (no terminal to ask on)."""

    def __init__(self, profile: str | None, found: Session | None) -> None:
        name = profile_name(profile)
        if found is None:
            cause = f"there is no MFA session for profile {name}"
        elif found.expires > now_utc():
            cause = (
                f"the MFA session for profile {name} expires at {when(found.expires)}, in less "
                f"than {REUSE_MARGIN.seconds // 60} minutes"
            )
        else:
            cause = f"the MFA session for profile {name} expired at {when(found.expires)}"
        super().__init__(cause, f"run: bootstrap mfa --profile {name}")


def profile_name(profile: str | None) -> str:
    """The profile botocore uses: --profile, $AWS_DEFAULT_PROFILE, $AWS_PROFILE, `default`."""
    return profile_variable(profile) or "default"


def now_utc(now: datetime | None = None) -> datetime:
    return now if now is not None else datetime.now(timezone.utc)


def when(moment: datetime) -> str:
    """`2026-12-02 10:14 UTC`."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def left(moment: datetime, now: datetime | None = None) -> str:
    """`in 11 h 59 min`, `in 4 min`, or `12 min ago`."""
    seconds = int((moment - now_utc(now)).total_seconds())
    minutes = abs(seconds) // 60
    span = f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"
    return f"in {span}" if seconds >= 0 else f"{span} ago"


@dataclass(frozen=True)
class Session:
    """An MFA session of one profile, as cached."""

    profile: str
    serial: str
    expires: datetime  # aware, UTC
    credentials: Credentials = field(repr=False)
    started: datetime | None = None
    duration: int | None = None  # seconds asked for; a new session asks the same

    def valid_at(self, now: datetime | None = None) -> bool:
        """Usable: more than REUSE_MARGIN before it expires."""
        return now_utc(now) < self.expires - REUSE_MARGIN

    @property
    def valid(self) -> bool:
        return self.valid_at()

    def describe(self, now: datetime | None = None) -> str:
        verb = "expires" if self.expires > now_utc(now) else "expired"
        return f"{verb} {when(self.expires)} ({left(self.expires, now)})"

    def as_json(self, now: datetime | None = None) -> dict[str, Any]:
        """What a report may show: never the credentials."""
        return {
            "profile": self.profile,
            "serial": self.serial,
            "expires": self.expires.isoformat(),
            "valid": self.valid_at(now),
            "cache": str(cache_path(self.profile)),
        }


# --- the cache --------------------------------------------------------------------------------


def cache_dir() -> Path:
    return Path(os.path.expanduser(CACHE_DIR))


def tilde(path: Path) -> str:
    """`~/…` under the home directory, for people; the full path otherwise."""
    try:
        return "~/" + str(path.relative_to(Path.home()))
    except ValueError:
        return str(path)


def _file_name(name: str) -> str:
    raw = name.encode("utf-8", "surrogateescape")
    return "".join(chr(byte) if byte in _SAFE else f"%{byte:02X}" for byte in raw) + ".json"


def cache_path(profile: str | None) -> Path:
    """Where the session of `profile` (None: botocore's default profile) is cached."""
    return cache_dir() / _file_name(profile_name(profile))


def _encode(session: Session) -> bytes:
    document = {
        "format": FORMAT,
        "profile": session.profile,
        "serial": session.serial,
        "started": session.started.isoformat() if session.started else None,
        "expires": session.expires.isoformat(),
        "duration_seconds": session.duration,
        "credentials": {
            "access_key_id": session.credentials.access_key,
            "secret_access_key": session.credentials.secret_key,
            "session_token": session.credentials.token,
        },
    }
    return (json.dumps(document, indent=2) + "\n").encode()


def _decode(data: bytes, name: str) -> Session:
    document = json.loads(data)
    keys = document["credentials"]
    started = document.get("started")
    duration = document.get("duration_seconds")
    session = Session(
        profile=name,
        serial=str(document["serial"]),
        expires=datetime.fromisoformat(document["expires"]).astimezone(timezone.utc),
        credentials=Credentials(
            str(keys["access_key_id"]), str(keys["secret_access_key"]), keys.get("session_token")
        ),
        started=datetime.fromisoformat(started) if started else None,
        duration=duration if isinstance(duration, int) else None,
    )
    if document.get("format") != FORMAT or document.get("profile") != name:
        raise ValueError("not a session of this profile")
    if not (session.credentials.access_key and session.credentials.secret_key):
        raise ValueError("no credentials")
    return session


def cached(profile: str | None) -> Session | None:
    """The cached session of `profile`, valid or not (`.valid`, `.expires`); None when there is
    none, or the file cannot be read as one (the next session replaces it)."""
    try:
        data = cache_path(profile).read_bytes()
    except OSError:
        return None
    try:
        return _decode(data, profile_name(profile))
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def _private_dirs(folder: Path) -> None:
    """~/.aws (only when missing), ~/.aws/bootstrap and its mfa folder: 0700."""
    from bootstrap import files

    aws = folder.parent.parent
    if not aws.exists():
        files.ensure_private_dir(aws)
    files.ensure_private_dir(folder.parent)
    files.ensure_private_dir(folder)


def save(session: Session) -> Path:
    """Cache `session`: a 0600 file from its first byte, replaced atomically."""
    from bootstrap import files

    path = cache_path(session.profile)
    _private_dirs(path.parent)
    files.atomic_write(path, _encode(session), 0o600)
    return path


def forget(profile: str | None) -> Path | None:
    """Delete the cached session of `profile`; its path when there was one."""
    path = cache_path(profile)
    return path if forget_file(path) else None


def forget_file(path: Path) -> bool:
    """Delete a cached session; its folders go too when nothing else is left in them."""
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    ours = cache_dir()
    for folder in (ours, ours.parent) if path.parent == ours else ():
        try:
            folder.rmdir()
        except OSError:
            break
    return True


# --- the flags --------------------------------------------------------------------------------


def parse_duration(text: str | int | None, flag: str = "--mfa-duration") -> int:
    """Seconds from `43200`, `43200s`, `720m` or `12h`; None: 12 h. IAM's bounds: 15 min to
    36 h (UsageError outside them)."""
    if text is None:
        return DEFAULT_DURATION
    match = _DURATION.match(str(text).strip().lower())
    if match is None:
        raise UsageError(
            f"{flag} '{text}' is not a duration",
            f"give seconds or hours: {flag} 43200, {flag} 12h (at most 36h)",
        )
    seconds = int(match.group(1)) * _UNITS[match.group(2)]
    if seconds > MAX_DURATION:
        raise UsageError(
            f"{flag} {text} is longer than IAM gives an MFA session (36 h, {MAX_DURATION} s)",
            f"pass {flag} 36h or less",
        )
    if seconds < MIN_DURATION:
        raise UsageError(
            f"{flag} {text} is shorter than STS gives a session (15 min, {MIN_DURATION} s)",
            f"pass {flag} 15m or more (the default is 12h)",
        )
    return seconds


def last_duration(found: Session | None) -> int:
    """The duration the last session asked for (a new one asks the same), else 12 h."""
    last = found.duration if found is not None else None
    if last is not None and MIN_DURATION <= last <= MAX_DURATION:
        return last
    return DEFAULT_DURATION


def check_serial(serial: str) -> str:
    if not _SERIAL.match(serial):
        raise UsageError(
            f"{SERIAL_FLAG} '{serial}' is not an MFA device's ARN or serial number",
            f"pass {SERIAL_FLAG} arn:aws:iam::ACCOUNT:mfa/NAME (`aws iam list-mfa-devices` "
            "lists yours)",
        )
    return serial


def check_code(code: str) -> str:
    """The 6 digits, spaces taken out (apps show `123 456`); CodeNotAccepted otherwise. The code
    is not repeated in the error: it was typed where no one should see it."""
    digits = "".join(code.split())
    if len(digits) != 6 or not (digits.isascii() and digits.isdigit()):
        raise CodeNotAccepted("that is not an MFA code: it is the 6 digits your device shows")
    return digits
