"""StsDouble: STS's GetSessionToken with real MFA checks, in front of moto, on 127.0.0.1.

moto's GetSessionToken hands every caller the same example key, checks no MFA code and forgets
the session (/work/shared/FACTS.md, "Test doubles"). This double answers STS's query protocol
(form-encoded POST or GET, `Action=...`, XML in AWS's shapes) itself for:

- GetSessionToken: the caller is the IAM user whose access key signed the request (the
  `Credential=AKID/...` of the SigV4 Authorization header; the signature is not checked, as moto
  does not check it either); with SerialNumber and TokenCode, the serial must be one of that
  user's enabled virtual MFA devices and the code its current TOTP (one 30-second step either
  way), not used before on that device. Each call makes distinct credentials (ASIA...), recorded
  with the user and whether MFA was used.
- GetCallerIdentity signed with one of its sessions: the IAM user (as real STS answers for
  GetSessionToken credentials).

Every other request, and GetCallerIdentity signed with any other key, goes to moto unchanged and
moto's answer comes back unchanged (AssumeRole and the rest keep working). A request signed with
one of its sessions whose token is wrong gets InvalidClientTokenId, one whose session expired
gets ExpiredToken, whatever the action.

The tool reaches it through AWS_ENDPOINT_URL_STS (botocore's per-service endpoint variable);
sandbox.https_codecommit.HttpsCodeCommit looks sessions up with `session(access_key_id)`.
"""

from __future__ import annotations

import base64
import hmac
import re
import secrets
import threading
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from sandbox import totp
from sandbox.gitaccess import append_log
from sandbox.iam import MotoIam
from sandbox.net import LOCALHOST
from sandbox.serving import BackgroundServer, BodyTooLarge, RequestHandler

STS_LOG = "sts.log"  # one line per request: action, key, outcome
NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/"
SOCKET_TIMEOUT = 30.0  # every read/write on a client connection
FORWARD_TIMEOUT = 30.0  # one request relayed to moto
MAX_BODY = 1024 * 1024  # STS requests are a few hundred bytes

# GetSessionToken's DurationSeconds for IAM users (STS API reference).
DEFAULT_DURATION = 43200
MIN_DURATION = 900
MAX_DURATION = 129600
MFA_WINDOW = 1  # steps of clock drift allowed either way

# STS's answers, as clients have reported them (the AWS CLI/SDK issues quote them word for word).
INVALID_CODE = "MultiFactorAuthentication failed with invalid MFA one time pass code."
INVALID_SERIAL = (
    "MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA "
    "serial number is valid and associated with this user."
)
SESSION_CALLER = "Cannot call GetSessionToken with session credentials"
INVALID_TOKEN = "The security token included in the request is invalid."
EXPIRED_TOKEN = "The security token included in the request is expired"

_CREDENTIAL = re.compile(r"Credential=([A-Za-z0-9]+)/\d{8}/([a-z0-9-]+)/[a-z0-9-]+/aws4_request")
_KEY_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


class StsError(Exception):
    """An STS error answer: HTTP status, error code, message (the Error element's fields)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Session:
    """Temporary credentials made by the double's GetSessionToken, and whose they are."""

    access_key_id: str
    secret_access_key: str
    session_token: str
    expiration: datetime  # aware, UTC
    user_name: str
    user_arn: str
    user_id: str
    account_id: str
    mfa: bool  # made with SerialNumber and a valid TokenCode
    serial: str | None = None
    caller_key_id: str = ""  # the long-term key that asked for it

    def expired(self, now: datetime | None = None) -> bool:
        return (now or datetime.now(timezone.utc)) >= self.expiration

    @property
    def env(self) -> dict[str, str]:
        """The AWS_* variables a shell would export to use these credentials."""
        return {
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
            "AWS_SESSION_TOKEN": self.session_token,
        }


@dataclass(frozen=True)
class _Caller:
    """The IAM user that owns a long-term access key, from moto's backend."""

    user: Any  # moto.iam.models.User
    backend: Any  # moto.iam.models.IAMBackend
    account_id: str


def _partition(region: str) -> str:
    return "aws-cn" if region.startswith("cn-") else "aws"


def _find_caller(access_key_id: str, region: str) -> _Caller | None:
    """The IAM user with this Active access key in moto's in-process backends, or None.

    The dicts are copied before iterating: moto's server thread may change them meanwhile.
    """
    from moto.iam.models import iam_backends

    for account_id in list(iam_backends.keys()):
        backend = iam_backends[account_id][_partition(region)]
        for user in list(backend.users.values()):
            for key in list(user.access_keys):
                if key.access_key_id == access_key_id and key.status == "Active":
                    return _Caller(user, backend, account_id)
    return None


def _is_moto_session(access_key_id: str, region: str) -> bool:
    """Is this an assumed-role session's key that moto made (sts:AssumeRole)?"""
    from moto.sts.models import sts_backends

    for account_id in list(sts_backends.keys()):
        for role in list(sts_backends[account_id][_partition(region)].assumed_roles):
            if role.access_key_id == access_key_id:
                return True
    return False


def _new_key_id() -> str:
    return "ASIA" + "".join(secrets.choice(_KEY_CHARS) for _ in range(16))


def _new_secret() -> str:
    return base64.b64encode(secrets.token_bytes(30)).decode("ascii")  # 40 characters


def _new_token() -> str:
    # Real tokens are a few hundred Base64 characters (with + and /); the sandbox's are opaque too.
    return "FwoGZXIvYXdzE" + base64.b64encode(secrets.token_bytes(240)).decode("ascii")


def _timestamp(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _xml(action: str, result: str, request_id: str) -> bytes:
    return (
        f'<{action}Response xmlns="{NAMESPACE}">'
        f"<{action}Result>{result}</{action}Result>"
        f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>"
        f"</{action}Response>"
    ).encode()


def _error_xml(error: StsError, request_id: str) -> bytes:
    kind = "Receiver" if error.status >= 500 else "Sender"
    return (
        f'<ErrorResponse xmlns="{NAMESPACE}">'
        f"<Error><Type>{kind}</Type><Code>{escape(error.code)}</Code>"
        f"<Message>{escape(error.message)}</Message></Error>"
        f"<RequestId>{request_id}</RequestId>"
        f"</ErrorResponse>"
    ).encode()


def _validation(value: str, member: str, constraint: str) -> StsError:
    return StsError(
        400,
        "ValidationError",
        f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy "
        f"constraint: {constraint}",
    )


def duration_of(params: dict[str, str]) -> int:
    """DurationSeconds (default 12 h), or ValidationError outside 900..129600."""
    raw = params.get("DurationSeconds")
    if raw is None or raw == "":
        return DEFAULT_DURATION
    try:
        seconds = int(raw)
    except ValueError:
        raise _validation(raw, "durationSeconds", "Member must be an integer") from None
    if seconds < MIN_DURATION:
        limit = f"Member must have value greater than or equal to {MIN_DURATION}"
        raise _validation(raw, "durationSeconds", limit)
    if seconds > MAX_DURATION:
        limit = f"Member must have value less than or equal to {MAX_DURATION}"
        raise _validation(raw, "durationSeconds", limit)
    return seconds


# --- the server -----------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, double: StsDouble) -> None:
        self.double = double
        super().__init__((LOCALHOST, 0), _Handler)


class _Handler(RequestHandler):
    # HTTP/1.0: one request per connection, closed after the answer (moto answers so too), so
    # stop() never waits on an idle keep-alive connection. No log_message: one line per request
    # in sts.log instead (see serve).
    timeout = SOCKET_TIMEOUT
    server: _Server
    server_version = "StsSandbox"

    def serve(self) -> None:
        double = self.server.double
        request_id = str(uuid.uuid4())
        action, key_id, outcome = "-", "-", "-"
        try:
            try:
                body = self.read_body(MAX_BODY)
            except BodyTooLarge as error:
                raise StsError(413, "RequestEntityTooLarge", str(error)) from None
            params = self._params(body)
            action = params.get("Action", "-")
            key_id, region, token = self._signer(params)
            answer = double.handle(params, key_id, region, token, request_id)
            if answer is None:
                status, headers, payload = double.forward(
                    self.command, self.path, dict(self.headers.items()), body
                )
                outcome = f"{status} forwarded to moto"
            else:
                status, headers, payload = 200, {}, answer
                outcome = "200 answered"
            self._send(status, payload, headers, request_id)
        except StsError as error:
            self._send(error.status, _error_xml(error, request_id), {}, request_id)
            outcome = f"{error.status} {error.code}: {error.message}"
        except Exception as error:  # the client sees a 500 instead of a hang; the log says why
            failure = StsError(500, "InternalFailure", f"sandbox STS error: {error!r}")
            self._send(500, _error_xml(failure, request_id), {}, request_id)
            outcome = f"500 {error!r}"
        double.log(f"{self.client_address[0]} {action} {key_id or '-'} {outcome}")

    def _params(self, body: bytes) -> dict[str, str]:
        query = urllib.parse.urlsplit(self.path).query
        params = {k: v[0] for k, v in urllib.parse.parse_qs(query, keep_blank_values=True).items()}
        if self.command == "POST":
            form = urllib.parse.parse_qs(body.decode("utf-8"), keep_blank_values=True)
            params.update({k: v[0] for k, v in form.items()})
        return params

    def _signer(self, params: dict[str, str]) -> tuple[str, str, str | None]:
        """(access key id, signing region, session token) from the header or a presigned URL."""
        text = self.headers.get("Authorization") or ""
        if "X-Amz-Credential" in params:
            text = f"Credential={params['X-Amz-Credential']}"
        match = _CREDENTIAL.search(text)
        token = self.headers.get("X-Amz-Security-Token") or params.get("X-Amz-Security-Token")
        if match is None:
            return "", self.server.double.region, token
        return match.group(1), match.group(2), token

    def _send(self, status: int, body: bytes, headers: dict[str, str], request_id: str) -> None:
        sent = {name.lower() for name in headers}
        answer = dict(headers)
        if "content-type" not in sent:
            answer["Content-Type"] = "text/xml"
        if "x-amzn-requestid" not in sent:
            answer["x-amzn-RequestId"] = request_id
        answer["Connection"] = "close"
        self.send(status, body, answer)


# Headers not passed on to moto, or not passed back: hop-by-hop, or set by the HTTP client.
_DROP_REQUEST = {"host", "connection", "content-length", "accept-encoding", "keep-alive"}
_DROP_RESPONSE = {"connection", "content-length", "transfer-encoding", "server", "date"}


class StsDouble(BackgroundServer):
    """STS on 127.0.0.1:`port` (`endpoint`), recording GetSessionToken sessions; moto behind it.

    `iam` is the started MotoIam whose backends hold the users and their MFA devices; `workdir`
    holds the log (STS_LOG). Use as a context manager, or start()/stop().
    """

    def __init__(self, workdir: Path, iam: MotoIam, region: str = "us-east-1") -> None:
        super().__init__()
        self.workdir = Path(workdir).resolve()
        self.iam = iam
        self.region = region
        self._sessions: dict[str, Session] = {}
        self._used_steps: dict[str, set[int]] = {}  # MFA serial -> TOTP steps already used
        self._lock = threading.Lock()
        self._log_lock = threading.Lock()

    @property
    def endpoint(self) -> str:
        """The URL for AWS_ENDPOINT_URL_STS (or a boto3 client's endpoint_url)."""
        if not self.port:
            raise RuntimeError("StsDouble is not started")
        return f"http://{LOCALHOST}:{self.port}"

    # --- sessions ---------------------------------------------------------------------------------

    def session(self, access_key_id: str) -> Session | None:
        """The session this access key belongs to (expired or not), or None."""
        with self._lock:
            return self._sessions.get(access_key_id)

    def sessions(self) -> list[Session]:
        with self._lock:
            return list(self._sessions.values())

    def expire(self, access_key_id: str) -> None:
        """Make one session expired now (KeyError if the double did not make it)."""
        past = datetime.now(timezone.utc) - timedelta(seconds=1)
        with self._lock:
            found = self._sessions[access_key_id]
            self._sessions[access_key_id] = replace(found, expiration=past)

    def expire_all(self) -> None:
        past = datetime.now(timezone.utc) - timedelta(seconds=1)
        with self._lock:
            for key, found in list(self._sessions.items()):
                self._sessions[key] = replace(found, expiration=past)

    # --- the actions ------------------------------------------------------------------------------

    def handle(
        self,
        params: dict[str, str],
        key_id: str,
        region: str,
        token: str | None,
        request_id: str,
    ) -> bytes | None:
        """The double's own XML answer, None to forward the request to moto, or StsError."""
        own = self.session(key_id) if key_id else None
        if own is not None:
            if token is None or not hmac.compare_digest(own.session_token, token):
                raise StsError(403, "InvalidClientTokenId", INVALID_TOKEN)
            if own.expired():
                raise StsError(403, "ExpiredToken", EXPIRED_TOKEN)
        action = params.get("Action")
        if action == "GetSessionToken":
            return self._get_session_token(params, key_id, region, own, request_id)
        if action == "GetCallerIdentity" and own is not None:
            result = (
                f"<UserId>{escape(own.user_id)}</UserId>"
                f"<Account>{own.account_id}</Account>"
                f"<Arn>{escape(own.user_arn)}</Arn>"
            )
            return _xml("GetCallerIdentity", result, request_id)
        return None

    def _get_session_token(
        self,
        params: dict[str, str],
        key_id: str,
        region: str,
        own: Session | None,
        request_id: str,
    ) -> bytes:
        if own is not None or (key_id and _is_moto_session(key_id, region)):
            raise StsError(403, "AccessDenied", SESSION_CALLER)
        caller = _find_caller(key_id, region) if key_id else None
        if caller is None:
            raise StsError(403, "InvalidClientTokenId", INVALID_TOKEN)
        duration = duration_of(params)
        serial = params.get("SerialNumber") or None
        code = params.get("TokenCode") or None
        if code is not None and not (len(code) == 6 and code.isascii() and code.isdigit()):
            raise _validation(
                code, "tokenCode", "Member must satisfy regular expression pattern: [\\d]*"
            )
        if serial is not None or code is not None:
            self._check_mfa(caller, serial, code)
        user = caller.user
        made = Session(
            access_key_id=_new_key_id(),
            secret_access_key=_new_secret(),
            session_token=_new_token(),
            expiration=(datetime.now(timezone.utc) + timedelta(seconds=duration)).replace(
                microsecond=0
            ),
            user_name=str(user.name),
            user_arn=str(user.arn),
            user_id=str(user.id),
            account_id=caller.account_id,
            mfa=serial is not None,
            serial=serial,
            caller_key_id=key_id,
        )
        with self._lock:
            self._sessions[made.access_key_id] = made
        result = (
            "<Credentials>"
            f"<AccessKeyId>{made.access_key_id}</AccessKeyId>"
            f"<SecretAccessKey>{escape(made.secret_access_key)}</SecretAccessKey>"
            f"<SessionToken>{escape(made.session_token)}</SessionToken>"
            f"<Expiration>{_timestamp(made.expiration)}</Expiration>"
            "</Credentials>"
        )
        return _xml("GetSessionToken", result, request_id)

    def _check_mfa(self, caller: _Caller, serial: str | None, code: str | None) -> None:
        """The serial is one of the caller's enabled virtual devices, the code fresh and right.

        A serial without a code, or a code without a serial: real STS's answers to these are not
        confirmed here; they get the same AccessDenied as a wrong code or serial.
        """
        if serial is None:
            raise StsError(403, "AccessDenied", INVALID_SERIAL)
        if serial not in dict(caller.user.mfa_devices):
            raise StsError(403, "AccessDenied", INVALID_SERIAL)
        device = dict(caller.backend.virtual_mfa_devices).get(serial)
        if device is None:  # enabled as a hardware device: no seed to check codes against
            raise StsError(403, "AccessDenied", INVALID_SERIAL)
        if code is None:
            raise StsError(403, "AccessDenied", INVALID_CODE)
        steps = totp.matching_counters(device.base32_string_seed, code, window=MFA_WINDOW)
        with self._lock:
            used = self._used_steps.setdefault(serial, set())
            fresh = [step for step in steps if step not in used]
            if not fresh:  # wrong, or already used once: a one-time code is spent
                raise StsError(403, "AccessDenied", INVALID_CODE)
            used.add(fresh[0])

    # --- forwarding to moto -----------------------------------------------------------------------

    def forward(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        """Send the request to moto as it came; (status, headers, body) of moto's answer."""
        sent = {k: v for k, v in headers.items() if k.lower() not in _DROP_REQUEST}
        request = urllib.request.Request(
            self.iam.endpoint + path,
            data=body if method == "POST" else None,
            headers=sent,
            method=method,
        )
        try:
            with urllib.request.urlopen(request, timeout=FORWARD_TIMEOUT) as response:
                status, got, payload = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:  # moto's 4xx/5xx: relayed as they are
            status, got, payload = error.code, error.headers, error.read()
        kept = {k: v for k, v in got.items() if k.lower() not in _DROP_RESPONSE}
        return status, kept, payload

    # --- log --------------------------------------------------------------------------------------

    def log(self, line: str) -> None:
        with self._log_lock:
            append_log(self.workdir, STS_LOG, line)

    def log_text(self) -> str:
        path = self.workdir / STS_LOG
        return path.read_text(errors="replace") if path.exists() else ""

    # --- lifecycle --------------------------------------------------------------------------------

    def _listen(self) -> _Server:
        if not self.iam.endpoint:
            raise RuntimeError("start the MotoIam server first")
        self.workdir.mkdir(parents=True, exist_ok=True)
        return _Server(self)
