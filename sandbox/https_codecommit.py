"""HttpsCodeCommit: Git over HTTPS to CodeCommit, played on 127.0.0.1 with a test CA.

What it does, as real CodeCommit does (see /work/shared/FACTS.md, "Git over HTTPS to
CodeCommit"): smart HTTP at `https://git-codecommit.REGION.amazonaws.com/v1/repos/NAME`, Basic
auth whose username is the access key id (`AKID%SESSIONTOKEN` for temporary credentials) and
whose password is `YYYYMMDDTHHMMSS` + `Z` + a SigV4 signature of the repository path. The
signature is recomputed here with hmac/hashlib, independently of botocore and of the tool, from
the secret the in-process moto server holds for that key (an IAM user's access key or an STS
assumed-role session), or that a sandbox.sts_double.StsDouble it was told of (`sts=`, or
`use_sts`) recorded for one of its GetSessionToken sessions (the IAM user's, with or without
MFA). Then the same access decision as the SSH doubles (gitaccess.check_access,
same messages), and `git http-backend` serves the bare repository as CGI.

Clients reach it through sandbox.connect_proxy.ConnectProxy (the real host name never resolves
here) and trust `ca_pem` (GIT_SSL_CAINFO); TLS verification is never relaxed.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import logging
import os
import re
import ssl
import subprocess
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from sandbox.gitaccess import (
    ACCESS_LOG,
    REPO_MISSING,
    GitRequest,
    append_log,
    check_access,
    git_env,
    repo_path,
    role_policy_documents,
    user_policy_documents,
)
from sandbox.githost import create_bare_repo, git_host
from sandbox.iam import MotoIam
from sandbox.iam_query import IamQuery
from sandbox.net import LOCALHOST
from sandbox.serving import BackgroundServer, RequestHandler

log = logging.getLogger(__name__)

SERVER_LOG = "https.log"  # one line per HTTP request, and TLS/handler errors
BACKEND_LOG = "http-backend.log"  # git http-backend's stderr
LOGS = (SERVER_LOG, ACCESS_LOG, BACKEND_LOG)

SERVICE = "codecommit"
ALGORITHM = "AWS4-HMAC-SHA256"
# How far the signing time may be from now (CodeCommit's passwords last about 15 minutes).
WINDOW = timedelta(minutes=15)
SOCKET_TIMEOUT = 30.0  # every read/write on a client connection, and the TLS handshake
BACKEND_TIMEOUT = 60.0  # one git http-backend run
MAX_BODY = 256 * 1024 * 1024  # a sandbox repository's push is far smaller

_PASSWORD = re.compile(r"(\d{8}T\d{6})Z([0-9a-f]{64})")
_GIT_PATH = re.compile(
    r"/v1/repos/([A-Za-z0-9._-]{1,100})/(info/refs|git-upload-pack|git-receive-pack)"
)
_HOST = re.compile(r"git-codecommit\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?")


# --- SigV4, written out (independent of botocore and of the code under test) ------------------


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


def canonical_request(path: str, host: str) -> str:
    """CodeCommit's canonical request: method GIT, no query, one signed header, no payload."""
    return f"GIT\n{path}\n\nhost:{host}\n\nhost\n"


def signature(secret: str, timestamp: str, region: str, path: str, host: str) -> str:
    """Hex SigV4 signature for `path` on `host` at `timestamp` (YYYYMMDDTHHMMSS, no Z).

    The string to sign carries the timestamp exactly as the password does before its `Z`
    (botocore's signers put request.context['timestamp'] there, which CodeCommit's clients set
    without the Z).
    """
    date = timestamp[:8]
    scope = f"{date}/{region}/{SERVICE}/aws4_request"
    digest = hashlib.sha256(canonical_request(path, host).encode("utf-8")).hexdigest()
    string_to_sign = f"{ALGORITHM}\n{timestamp}\n{scope}\n{digest}"
    key = _hmac(f"AWS4{secret}".encode(), date)
    for part in (region, SERVICE, "aws4_request"):
        key = _hmac(key, part)
    return hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def password(secret: str, region: str, path: str, host: str, when: datetime | None = None) -> str:
    """The Basic-auth password a CodeCommit client would send (for the double's own tests)."""
    stamp = (when or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%S")
    return f"{stamp}Z{signature(secret, stamp, region, path, host)}"


# --- who signed: secrets from moto's in-process backends ---------------------------------------


@dataclass(frozen=True)
class Principal:
    """The owner of an access key, as IAM knows it."""

    access_key_id: str
    secret: str
    arn: str  # arn:aws:iam::ACCOUNT:user/NAME or arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION
    account_id: str
    name: str  # the IAM user name, or the role name for a session
    session_token: str | None = None  # None for a long-term key
    active: bool = True
    # For an StsDouble GetSessionToken session (an IAM user's): whether it was made with MFA.
    # None for anything else (long-term keys, moto's assumed-role sessions).
    mfa: bool | None = None

    @property
    def is_session(self) -> bool:
        return self.session_token is not None

    @property
    def is_role_session(self) -> bool:
        """An assumed-role session (its policies are the role's), not an IAM user's session."""
        return self.is_session and self.mfa is None


def _partition(region: str) -> str:
    return "aws-cn" if region.startswith("cn-") else "aws"


def find_principal(access_key_id: str, region: str, sts: Any = None) -> Principal | None:
    """Look the key up in moto's backends (the moto server runs in this process).

    IAM users' access keys: iam_backends[account][partition].users[*].access_keys.
    STS sessions: sts_backends[account][partition].assumed_roles (with secret and token).
    The dicts are copied before iterating: moto's server thread may change them meanwhile.
    With `sts` (a sandbox.sts_double.StsDouble), its GetSessionToken sessions first: the
    principal is the IAM user, `mfa` says whether the session was made with MFA.
    """
    from moto.iam.models import iam_backends
    from moto.sts.models import sts_backends

    session = sts.session(access_key_id) if sts is not None else None
    if session is not None:
        return Principal(
            access_key_id,
            session.secret_access_key,
            session.user_arn,
            session.account_id,
            session.user_name,
            session_token=session.session_token,
            active=not session.expired(),
            mfa=session.mfa,
        )
    partition = _partition(region)
    for account_id in list(iam_backends.keys()):
        backend = iam_backends[account_id][partition]
        for user in list(backend.users.values()):
            for key in list(user.access_keys):
                if key.access_key_id == access_key_id:
                    return Principal(
                        access_key_id,
                        key.secret_access_key,
                        user.arn,
                        account_id,
                        user.name,
                        active=key.status == "Active",
                    )
    now = datetime.now(timezone.utc).replace(tzinfo=None)  # moto keeps naive UTC times
    for account_id in list(sts_backends.keys()):
        for role in list(sts_backends[account_id][partition].assumed_roles):
            if role.access_key_id == access_key_id:
                return Principal(
                    access_key_id,
                    role.secret_access_key,
                    role.arn,
                    account_id,
                    role.role_arn.split("/")[-1],
                    session_token=role.session_token,
                    active=role.expiration > now,
                )
    return None


# --- one request's decision ---------------------------------------------------------------------


class Refusal(Exception):
    """An HTTP error answer: status, body text (CodeCommit's message or empty), and why."""

    def __init__(self, status: int, reason: str, body: str = "") -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.body = body


@dataclass(frozen=True)
class Target:
    repo: str
    service: str  # git-upload-pack | git-receive-pack
    endpoint: str  # info/refs | git-upload-pack | git-receive-pack


def parse_target(method: str, path: str, query: str) -> Target | None:
    """The smart-HTTP request CodeCommit serves, or None (dumb HTTP and anything else)."""
    match = _GIT_PATH.fullmatch(path)
    if match is None or match.group(1) in {".", ".."}:
        return None
    repo, endpoint = match.groups()
    if endpoint == "info/refs":
        services = parse_qs(query).get("service", [])
        if method != "GET" or len(services) != 1 or services[0] not in _SERVICES:
            return None
        return Target(repo, services[0], endpoint)
    if method != "POST":
        return None
    return Target(repo, endpoint, endpoint)


_SERVICES = ("git-upload-pack", "git-receive-pack")


def split_basic(header: str) -> tuple[str, str]:
    """`Basic base64(user:password)` -> (user, password); Refusal 403 if malformed."""
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "basic":
        raise Refusal(403, f"not Basic auth: {scheme!r}")
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise Refusal(403, "malformed Basic credentials") from None
    user, sep, secret = decoded.partition(":")
    if not sep:
        raise Refusal(403, "Basic credentials without a password")
    return user, secret


def split_username(user: str) -> tuple[str, set[str]]:
    """`AKID` or `AKID%TOKEN` -> (AKID, the forms the token may have arrived in).

    git sends what the helper printed (a raw `%`), or what it decoded from a URL's userinfo;
    a client that URL-quoted the whole name once more would send `%25` and `%2F`, so the decoded
    form is accepted too. Key ids are [A-Z0-9]: the first `%` ends the key id in both forms.
    """
    key_id, sep, rest = user.partition("%")
    if not sep:
        return key_id, set()
    return key_id, {rest, unquote(user).partition("%")[2]}


def authenticate(
    header: str | None,
    *,
    host: str,
    path: str,
    region: str,
    now: datetime | None = None,
    sts: Any = None,
) -> Principal:
    """The principal whose signature this is, or Refusal (401 without credentials, else 403).

    `sts`: an StsDouble whose sessions count too (see find_principal).
    """
    if header is None:
        raise Refusal(401, "no Authorization header")
    user, secret = split_basic(header)
    key_id, tokens = split_username(user)
    principal = find_principal(key_id, region, sts)
    if principal is None:
        raise Refusal(403, f"unknown access key {key_id}")
    if not principal.active:
        raise Refusal(403, f"access key {key_id} is inactive or its session expired")
    if principal.session_token is None and tokens:
        raise Refusal(403, "a session token with a long-term access key")
    if principal.session_token is not None and not any(
        hmac.compare_digest(principal.session_token, token) for token in tokens
    ):
        raise Refusal(403, "missing or wrong session token")
    match = _PASSWORD.fullmatch(secret)
    if match is None:
        raise Refusal(403, "password is not YYYYMMDDTHHMMSSZ<hex signature>")
    stamp, given = match.groups()
    try:
        signed_at = datetime.strptime(stamp, "%Y%m%dT%H%M%S").replace(tzinfo=timezone.utc)
    except ValueError:
        raise Refusal(403, f"bad signing time {stamp}") from None
    if abs((now or datetime.now(timezone.utc)) - signed_at) > WINDOW:
        raise Refusal(403, f"signing time {stamp}Z is outside the 15-minute window")
    wanted = signature(principal.secret, stamp, region, path, host)
    if not hmac.compare_digest(wanted, given):
        raise Refusal(403, "signature does not match")
    return principal


def policy_context(principal: Principal) -> dict[str, str]:
    """The request context CodeCommit's policies see for this principal.

    A long-term access key's request has no aws:MultiFactorAuthPresent at all (AWS adds it only
    for temporary credentials). moto's AssumeRole does not record whether MFA was used, so a
    session counts as one without MFA ("false"). An StsDouble GetSessionToken session says
    "true" if it was made with MFA, else "false"; its principal is the IAM user. aws:username
    exists for IAM users only.
    """
    if principal.mfa is not None:
        return {
            "aws:MultiFactorAuthPresent": "true" if principal.mfa else "false",
            "aws:username": principal.name,
        }
    if principal.is_session:
        return {"aws:MultiFactorAuthPresent": "false"}
    return {"aws:username": principal.name}


# --- the server -----------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # stop() must not wait for a client that keeps its connection open
    allow_reuse_address = True

    def __init__(self, double: HttpsCodeCommit) -> None:
        self.double = double
        super().__init__((LOCALHOST, 0), _Handler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        # TLS in the connection's own thread, so a slow handshake holds up no one else.
        request.settimeout(SOCKET_TIMEOUT)
        open_sockets = self.double.open_sockets
        open_sockets.add(request)  # so stop() can end a handshake that hangs
        try:
            conn = self.double._tls.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as error:
            self.double._server_log(f"{client_address[0]} TLS handshake failed: {error}")
            return
        finally:
            open_sockets.discard(request)
        open_sockets.add(conn)
        try:
            _Handler(conn, client_address, self)
        except (OSError, ValueError) as error:  # the client went away, timed out, or garbled
            self.double._server_log(f"{client_address[0]} connection error: {error}")
        finally:
            open_sockets.discard(conn)
            with contextlib.suppress(OSError):
                conn.close()


class _Handler(RequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: git sends several requests on one connection
    timeout = SOCKET_TIMEOUT
    server: _Server
    server_version = "CodeCommitSandbox"

    def log_message(self, format: str, *args: Any) -> None:
        self.server.double._server_log(f"{self.client_address[0]} {format % args}")

    def serve(self) -> None:
        double = self.server.double
        body = self._read_body()  # first, so any answer leaves the connection reusable
        split = urlsplit(self.path)
        target = parse_target(self.command, split.path, split.query)
        key_id = "-"
        principal_arn = "-"
        repo = target.repo if target else split.path
        service = target.service if target else "-"
        try:
            host = (self.headers.get("Host") or "").rsplit(":", 1)[0].lower()
            header = self.headers.get("Authorization")
            region = double.region_of(host)
            if header is None:
                raise Refusal(401, "no Authorization header")
            key_id = split_username(split_basic(header)[0])[0]
            if target is None:
                raise Refusal(404, f"not a CodeCommit git request: {self.command} {self.path}")
            principal = authenticate(
                header,
                host=host,
                path=f"/v1/repos/{target.repo}",
                region=region,
                sts=double.sts,
            )
            principal_arn = principal.arn
            double.authorize(principal, target)
            status = self._run_backend(target, principal, body)
            outcome = f"{status} served"
        except Refusal as refusal:
            self._refuse(refusal)
            outcome = f"{refusal.status} {refusal.reason}"
        except Exception as error:  # the client sees a 500 instead of a hang; the log says why
            log.exception("serving %s failed", self.path)
            self.send(500, b"sandbox server error\n", {"Content-Type": "text/plain"})
            outcome = f"500 server error: {error!r}"
        append_log(
            double.workdir, ACCESS_LOG, f"{key_id} {principal_arn} {repo} {service} {outcome}"
        )

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return self._read_chunked()
        return self.read_body(MAX_BODY)

    def _read_chunked(self) -> bytes:
        """git sends large POST bodies (past http.postBuffer) chunked."""
        parts: list[bytes] = []
        total = 0
        while True:
            size = int(self.rfile.readline(1024).split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(parts)
            total += size
            if total > MAX_BODY:
                raise OSError("chunked request body too large")
            parts.append(self.rfile.read(size))
            self.rfile.readline(1024)  # the CRLF after each chunk

    def _refuse(self, refusal: Refusal) -> None:
        headers = {"Content-Type": "text/plain; charset=utf-8"}
        if refusal.status == 401:
            headers["WWW-Authenticate"] = f'Basic realm="{self.server.double.host}"'
        # git shows a text/plain body line by line as "remote: ..." (remote-curl.c).
        body = f"{refusal.body}\n".encode() if refusal.body else b""
        self.send(refusal.status, body, headers)

    def _run_backend(self, target: Target, principal: Principal, body: bytes) -> int:
        """`git http-backend` as CGI on repos/NAME.git; relay its answer; return its status."""
        double = self.server.double
        suffix = "info/refs" if target.endpoint == "info/refs" else target.service
        env = git_env(os.environ)
        env.update(
            {
                "GATEWAY_INTERFACE": "CGI/1.1",
                "SERVER_PROTOCOL": self.request_version,
                "REQUEST_METHOD": self.command,
                "GIT_PROJECT_ROOT": str(double.repos_dir),
                "GIT_HTTP_EXPORT_ALL": "1",
                "PATH_INFO": f"/{repo_path(Path(), target.repo)}/{suffix}",
                "QUERY_STRING": urlsplit(self.path).query,
                "CONTENT_TYPE": self.headers.get("Content-Type", ""),
                "CONTENT_LENGTH": str(len(body)),
                # With REMOTE_USER set, http-backend enables receive-pack (push).
                "REMOTE_USER": principal.name,
                "REMOTE_ADDR": self.client_address[0],
            }
        )
        for header, variable in (
            ("Git-Protocol", "HTTP_GIT_PROTOCOL"),  # protocol v2
            ("Content-Encoding", "HTTP_CONTENT_ENCODING"),  # git gzips large requests
        ):
            if self.headers.get(header):
                env[variable] = str(self.headers[header])
        with open(double.workdir / BACKEND_LOG, "ab") as errors:
            done = subprocess.run(
                ["git", "http-backend"],
                input=body,
                stdout=subprocess.PIPE,
                stderr=errors,
                env=env,
                timeout=BACKEND_TIMEOUT,
                check=False,
            )
        status, headers, payload = parse_cgi(done.stdout)
        self.send(status, payload, headers)
        return status


def parse_cgi(output: bytes) -> tuple[int, dict[str, str], bytes]:
    """A CGI response (headers, blank line, body) -> (status, headers, body)."""
    for separator in (b"\r\n\r\n", b"\n\n"):
        head, sep, body = output.partition(separator)
        if sep:
            break
    else:
        return 502, {"Content-Type": "text/plain"}, b"git http-backend gave no headers\n"
    status = 200
    headers: dict[str, str] = {}
    for line in head.decode("latin-1").splitlines():
        name, _, value = line.partition(":")
        if name.lower() == "status":
            status = int(value.split()[0])
        elif name.lower() not in {"content-length", "connection", "transfer-encoding"}:
            headers[name.strip()] = value.strip()
    return status, headers, body


class HttpsCodeCommit(BackgroundServer):
    """CodeCommit's Git-over-HTTPS endpoint for one `region`, on 127.0.0.1:`port` over TLS.

    State in `workdir`: the CA bundle (`ca_pem`), the logs (LOGS) and, unless `repos_dir` is
    given (e.g. an SSH double's, to serve the same repositories), `repos/`. `sts` (or a later
    `use_sts`): a sandbox.sts_double.StsDouble whose GetSessionToken sessions it accepts.
    """

    def __init__(
        self,
        workdir: Path,
        iam: MotoIam,
        region: str = "us-east-1",
        *,
        repos_dir: Path | None = None,
        sts: Any = None,
    ) -> None:
        super().__init__()
        self.workdir = Path(workdir).resolve()
        self.iam = iam
        self.sts = sts  # sandbox.sts_double.StsDouble, or None: moto's keys and sessions only
        self.region = region
        self.repos_dir = Path(repos_dir).resolve() if repos_dir else self.workdir / "repos"
        self.ca_pem = self.workdir / "ca.pem"
        self._tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._log_lock = threading.Lock()

    @property
    def host(self) -> str:
        return git_host(self.region)

    def region_of(self, host: str) -> str:
        """The region a Host header names; Refusal 403 if it is not this server's host."""
        match = _HOST.fullmatch(host)
        if match is None or host != self.host:
            raise Refusal(403, f"host {host!r} is not {self.host}")
        return match.group(1)

    def clone_url(self, name: str) -> str:
        return f"https://{self.host}/v1/repos/{name}"

    def create_repo(self, name: str) -> Path:
        """Create repos/NAME.git with one commit on main (README.md); return its path."""
        path = repo_path(self.repos_dir, name)
        if path.exists():
            raise FileExistsError(f"repository {name} already exists at {path}")
        return create_bare_repo(path, name)

    def use_sts(self, sts: Any) -> None:
        """Accept the sessions this sandbox.sts_double.StsDouble makes (None: no longer)."""
        self.sts = sts

    def client_env(self, proxy_url: str) -> dict[str, str]:
        """What git needs to reach this server: the proxy to route by name, the CA to trust."""
        return {"HTTPS_PROXY": proxy_url, "GIT_SSL_CAINFO": str(self.ca_pem)}

    # --- the access decision ------------------------------------------------------------------

    def authorize(self, principal: Principal, target: Target) -> None:
        """CodeCommit's checks after authentication: the repository, then IAM and KMS."""
        if not repo_path(self.repos_dir, target.repo).is_dir():
            # Real CodeCommit's HTTP status for a missing repository is not confirmed here;
            # 404 is what git reports as "repository ... not found".
            raise Refusal(404, "no such repository", REPO_MISSING.format(repo=target.repo))
        iam = IamQuery(self.iam.endpoint)
        if principal.is_role_session:
            documents = role_policy_documents(iam, principal.name)
        else:
            documents = user_policy_documents(iam, principal.name)
        code, message = check_access(
            documents,
            GitRequest(target.service, target.repo),
            user_arn=principal.arn,
            region=self.region,
            account_id=principal.account_id,
            context=policy_context(principal),
        )
        if code:
            raise Refusal(403, "access denied", message)

    # --- logs ---------------------------------------------------------------------------------

    def access_lines(self, repo: str) -> list[str]:
        """The access log's lines for `repo`, oldest first."""
        path = self.workdir / ACCESS_LOG
        text = path.read_text() if path.exists() else ""
        return [line for line in text.splitlines() if f" {repo} " in line]

    def wait_for_access(self, repo: str, ending: str, timeout: float = 10.0) -> None:
        """Until the last access line for `repo` ends with `ending`: the line is written after
        the answer is sent, so git may have exited a moment before."""
        from sandbox.poll import wait_until

        def written() -> bool:
            lines = self.access_lines(repo)
            return bool(lines) and lines[-1].endswith(ending)

        wait_until(written, f"the access log line ending {ending!r}", timeout=timeout)

    def _server_log(self, line: str) -> None:
        with self._log_lock:
            append_log(self.workdir, SERVER_LOG, line)

    def log_text(self) -> str:
        """The server's logs: requests, access decisions, http-backend's stderr."""
        parts = []
        for name in LOGS:
            path = self.workdir / name
            if path.exists():
                parts.append(f"==> {name} <==\n{path.read_text(errors='replace')}")
        return "\n".join(parts)

    # --- lifecycle ----------------------------------------------------------------------------

    def _make_certificate(self) -> None:
        import trustme

        ca = trustme.CA(organization_name="CodeCommit sandbox test CA")
        # trustme (idna) refuses `git-codecommit.*.amazonaws.com`, and curl matches a wildcard
        # only as the leftmost label anyway: one region's name per server.
        cert = ca.issue_cert(self.host, "localhost", LOCALHOST)
        ca.cert_pem.write_to_path(str(self.ca_pem))
        cert.configure_cert(self._tls)

    def _listen(self) -> _Server:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.repos_dir.mkdir(parents=True, exist_ok=True)
        if not self.iam.endpoint:
            raise RuntimeError("start the MotoIam server first")
        self._tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._make_certificate()
        return _Server(self)
