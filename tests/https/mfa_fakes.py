"""A small fake of the STS and IAM calls an MFA session needs, over HTTP with AWS's query
protocol, so that the real tool (a subprocess: `bootstrap mfa`, git's helper, `init`) reaches it
the standard way, through AWS_ENDPOINT_URL. Not the sandbox's STS double: it checks no
signature, and a code is right when the test said so (`accept`), once.

- GetSessionToken: the serial must be one of `devices`, the code one of `accept` not used yet
  (AWS's AccessDenied texts otherwise); it answers new ASIA… credentials each time.
- ListMFADevices: `devices`; `deny_listing` answers AccessDenied.
- GetCallerIdentity: `arn`.
Every request's parameters are kept in `requests`.
"""

from __future__ import annotations

import itertools
import threading
import urllib.parse
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ACCOUNT = "123456789012"
SERIAL = f"arn:aws:iam::{ACCOUNT}:mfa/alice"
WRONG_CODE = "MultiFactorAuthentication failed with invalid MFA one time pass code."
WRONG_SERIAL = (
    "MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA "
    "serial number is valid and associated with this user."
)
STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"
IAM_NS = "https://iam.amazonaws.com/doc/2010-05-08/"


class FakeSts:
    def __init__(self) -> None:
        self.devices: list[str] = [SERIAL]
        self.accept: set[str] = {"123456"}
        self.used: set[str] = set()
        self.deny_listing = False
        self.arn = f"arn:aws:iam::{ACCOUNT}:user/alice"
        self.requests: list[dict[str, str]] = []
        self.issued: list[dict[str, str]] = []
        self._counter = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None
        self.endpoint = ""

    def __enter__(self) -> FakeSts:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length).decode()
                params = {k: v[0] for k, v in urllib.parse.parse_qs(body).items()}
                status, text = fake.answer(params)
                data = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def env(self) -> dict[str, str]:
        return {"AWS_ENDPOINT_URL": self.endpoint}

    def actions(self) -> list[str]:
        return [request.get("Action", "") for request in self.requests]

    # --- the answers ----------------------------------------------------------------------

    def answer(self, params: dict[str, str]) -> tuple[int, str]:
        self.requests.append(params)
        action = params.get("Action", "")
        if action == "GetSessionToken":
            return self._session(params)
        if action == "ListMFADevices":
            if self.deny_listing:
                return _error(
                    IAM_NS,
                    "AccessDenied",
                    f"User: {self.arn} is not authorized to perform: iam:ListMFADevices",
                )
            members = "".join(
                f"<member><UserName>alice</UserName><SerialNumber>{serial}</SerialNumber>"
                "<EnableDate>2024-01-01T00:00:00Z</EnableDate></member>"
                for serial in self.devices
            )
            result = f"<IsTruncated>false</IsTruncated><MFADevices>{members}</MFADevices>"
            return 200, _reply(IAM_NS, action, result)
        if action == "GetCallerIdentity":
            result = f"<Arn>{self.arn}</Arn><UserId>AIDAALICE</UserId><Account>{ACCOUNT}</Account>"
            return 200, _reply(STS_NS, action, result)
        return _error(STS_NS, "InvalidAction", f"not faked: {action}", 400)

    def _session(self, params: dict[str, str]) -> tuple[int, str]:
        serial, code = params.get("SerialNumber"), params.get("TokenCode", "")
        if serial not in self.devices:
            return _error(STS_NS, "AccessDenied", WRONG_SERIAL)
        if code not in self.accept or code in self.used:
            return _error(STS_NS, "AccessDenied", WRONG_CODE)
        self.used.add(code)
        number = next(self._counter)
        duration = int(params.get("DurationSeconds", "43200"))
        expires = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(seconds=duration)
        issued = {
            "AccessKeyId": f"ASIAFAKESESSION{number:05d}",
            "SecretAccessKey": f"fake/session/secret+{number}",
            "SessionToken": f"FakeSessionToken{number}+/=",
            "Expiration": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        self.issued.append(issued)
        fields = "".join(f"<{key}>{value}</{key}>" for key, value in issued.items())
        return 200, _reply(STS_NS, "GetSessionToken", f"<Credentials>{fields}</Credentials>")


def _reply(namespace: str, action: str, result: str) -> str:
    return (
        f'<{action}Response xmlns="{namespace}"><{action}Result>{result}</{action}Result>'
        f"<ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata></{action}Response>"
    )


def _error(namespace: str, code: str, message: str, status: int = 403) -> tuple[int, str]:
    return status, (
        f'<ErrorResponse xmlns="{namespace}"><Error><Type>Sender</Type><Code>{code}</Code>'
        f"<Message>{message}</Message></Error><RequestId>fake</RequestId></ErrorResponse>"
    )
