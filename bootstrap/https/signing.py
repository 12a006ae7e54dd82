"""The CodeCommit HTTPS username and password, computed as the AWS CLI's `codecommit
credential-helper` and git-remote-codecommit compute them. Pure: hmac and hashlib only.

The password is SigV4 over a request that is never sent: method `GIT`, the repository path,
no query, one signed header (`host`, without a port) and an empty payload-hash line:

    GIT\\n/v1/repos/NAME\\n\\nhost:HOST\\n\\nhost\\n

signed for service `codecommit` in the region of the host, with the scope
`YYYYMMDD/REGION/codecommit/aws4_request`. The password is the request time
`YYYYMMDDTHHMMSS`, `Z`, then the hex signature; CodeCommit accepts it for about 15 minutes.
The username is the access key id, or `AKID%SESSIONTOKEN` for temporary credentials (the
token is sent, not signed).

Nothing here reads credentials, the clock or the network: the caller passes them in.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import datetime, timezone

SERVICE = "codecommit"
ALGORITHM = "AWS4-HMAC-SHA256"

# The AWS CLI's pattern (`(vpce-.+\.)?git-codecommit(-fips)?\.([^.]+)\.(vpce\.)?amazonaws\.com`),
# anchored at both ends and allowing the China suffix, so that only CodeCommit's Git hosts
# match: git-codecommit[-fips].REGION.amazonaws.com[.cn], and the VPC endpoint names
# vpce-ID[-AZ].git-codecommit[-fips].REGION.vpce.amazonaws.com[.cn].
_HOST = re.compile(
    r"(?:vpce-[a-z0-9-]+(?:\.[a-z0-9-]+)*?\.)?"
    r"git-codecommit(?:-fips)?\.(?P<region>[a-z0-9-]+)\.(?:vpce\.)?amazonaws\.com(?:\.cn)?"
)


def without_port(host: str) -> str:
    """`host:port` → `host`: the host is signed without its port, as the AWS CLI signs it."""
    return host.split(":", 1)[0]


def region_of(host: str) -> str | None:
    """The region of a CodeCommit Git host (a port is allowed), or None for any other host."""
    match = _HOST.fullmatch(without_port(host).lower().rstrip("."))
    return match.group("region") if match else None


def username(access_key: str, token: str | None) -> str:
    """The Basic-auth username: `AKID`, or `AKID%SESSIONTOKEN` with a session token."""
    return f"{access_key}%{token}" if token else access_key


def timestamp(now: datetime) -> str:
    """`YYYYMMDDTHHMMSS` in UTC; a naive `now` is taken as UTC already."""
    if now.tzinfo is not None:
        now = now.astimezone(timezone.utc)
    return now.strftime("%Y%m%dT%H%M%S")


def repo_path(path: str) -> str:
    """The path as signed: git sends `v1/repos/NAME` (no leading slash); one slash in front."""
    return "/" + path.lstrip("/")


def canonical_request(host: str, path: str) -> str:
    return f"GIT\n{repo_path(path)}\n\nhost:{without_port(host)}\n\nhost\n"


def scope(stamp: str, region: str) -> str:
    return f"{stamp[:8]}/{region}/{SERVICE}/aws4_request"


def string_to_sign(canonical: str, region: str, stamp: str) -> str:
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return f"{ALGORITHM}\n{stamp}\n{scope(stamp, region)}\n{digest}"


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


def signing_key(secret_key: str, day: str, region: str) -> bytes:
    """SigV4's derived key: HMAC chain over the day, the region, the service, `aws4_request`."""
    key = _hmac(f"AWS4{secret_key}".encode(), day)
    key = _hmac(key, region)
    key = _hmac(key, SERVICE)
    return _hmac(key, "aws4_request")


def signature(secret_key: str, region: str, host: str, path: str, now: datetime) -> str:
    """The hex SigV4 signature of the GIT request for `path` on `host` at `now`."""
    stamp = timestamp(now)
    sts = string_to_sign(canonical_request(host, path), region, stamp)
    key = signing_key(secret_key, stamp[:8], region)
    return hmac.new(key, sts.encode("utf-8"), hashlib.sha256).hexdigest()


def password(secret_key: str, region: str, host: str, path: str, now: datetime) -> str:
    """The Basic-auth password: `YYYYMMDDTHHMMSS` + `Z` + the hex signature."""
    return f"{timestamp(now)}Z{signature(secret_key, region, host, path, now)}"
