"""IamQuery: the few read-only IAM calls the CodeCommit double makes, without botocore.

sshd starts the double's programs three times per connection (the AuthorizedKeysCommand twice,
then the forced command). Importing boto3 and loading IAM's model costs ~0.4 s a time, which
every clone against the sandbox would pay: a cost real CodeCommit does not have, and one the
benchmark would charge to both sides alike, hiding what it measures. moto's query API answers
plain form POSTs in XML, so urllib is enough.

It quacks like the subset of a boto3 IAM client that sandbox.iam.find_ssh_key and
sandbox.gitaccess use: `get_paginator(op).paginate(**kw)` and `get_*` calls, returning the same
dict shapes.
"""

from __future__ import annotations

import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

from sandbox.aws import ADMIN_ACCESS_KEY, REGION

API_VERSION = "2010-05-08"
# moto picks the service from the credential scope; it does not check the signature.
AUTHORIZATION = (
    f"AWS4-HMAC-SHA256 Credential={ADMIN_ACCESS_KEY}/20200101/{REGION}/iam/aws4_request, "
    "SignedHeaders=host, Signature=0"
)
# Members that are lists in boto3's shapes, even when empty or holding one item.
LISTS = frozenset({"Users", "SSHPublicKeys", "PolicyNames", "AttachedPolicies", "Groups"})


def _name(element: ET.Element) -> str:
    return element.tag.rsplit("}", 1)[-1]


def _value(element: ET.Element) -> Any:
    children = list(element)
    if _name(element) in LISTS:
        return [_value(child) for child in children]
    if not children:
        text = element.text or ""
        return {"true": True, "false": False}.get(text, text)
    return {_name(child): _value(child) for child in children}


class QueryFailed(RuntimeError):
    pass


class IamQuery:
    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint

    def call(self, operation: str, **params: str) -> dict[str, Any]:
        """`operation` in snake_case, as boto3 names it; the result as boto3 shapes it."""
        action = "".join(
            part.upper() if part == "ssh" else part.title() for part in operation.split("_")
        )
        form = urllib.parse.urlencode({"Action": action, "Version": API_VERSION, **params})
        request = urllib.request.Request(
            self.endpoint,
            data=form.encode(),
            headers={
                "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
                "Authorization": AUTHORIZATION,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                root = ET.fromstring(response.read())
        except OSError as error:  # HTTPError (moto's 4xx/5xx) included
            raise QueryFailed(f"IAM {action}: {error}") from error
        result = next((child for child in root if _name(child) == f"{action}Result"), None)
        if result is None:
            raise QueryFailed(f"IAM {action}: no {action}Result in the answer")
        return {_name(child): _value(child) for child in result}

    def __getattr__(self, operation: str) -> Any:
        if not operation.startswith("get_"):
            raise AttributeError(operation)
        return lambda **params: self.call(operation, **params)

    def get_paginator(self, operation: str) -> _Paginator:
        return _Paginator(self, operation)


class _Paginator:
    def __init__(self, iam: IamQuery, operation: str) -> None:
        self.iam = iam
        self.operation = operation

    def paginate(self, **params: str) -> Iterator[dict[str, Any]]:
        while True:
            page = self.iam.call(self.operation, **params)
            yield page
            if page.get("IsTruncated") is not True:
                return
            params = {**params, "Marker": str(page["Marker"])}
