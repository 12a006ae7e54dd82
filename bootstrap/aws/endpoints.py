"""Region → CodeCommit Git endpoint, partition and AWS's published host-key fingerprint."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from bootstrap.errors import UsageError

# AWS user guide, "Regions and Git connection endpoints" (see ../shared/FACTS.md).
PUBLISHED_HOST_KEYS = {
    "us-east-2": "SHA256:3lBlW2g5xn/NA2Ck6dyeJIrQOWvn7n8UEs56fG6ZIzQ",
    "us-east-1": "SHA256:eLMY1j0DKA4uvDZcl/KgtIayZANwX6t8+8isPtotBoY",
    "us-west-2": "SHA256:0pJx9SQpkbPUAHwy58UVIq0IHcyo1fwCpOOuVgcAWPo",
    "us-west-1": "SHA256:gzauWTWXDK2u5KuMMi5vbKTmfyerdIwgSbzYBODLpzg",
    "eu-west-1": "SHA256:tKjRkOL8dmJyTmSbeSdN1S8F/f0iql3RlvqgTOP1UyQ",
    "eu-west-2": "SHA256:r0Rwz5k/IHp/QyrRnfiM9j02D5UEqMbtFNTuDG2hNbs",
    "eu-west-3": "SHA256:uw7c2FL564jVoFgtc+ikzILnKBsZz7t9+CFdSJjKbLI",
    "eu-central-1": "SHA256:MwGrkiEki8QkkBtlAgXbYt0hoZYBnZF62VY5RzGJEUY",
    "eu-north-1": "SHA256:b6KSK7xKq+V8jl7iuAcjqXsG7zkqoUZZmmhYYFBq1wQ",
    "ap-northeast-1": "SHA256:Xk/WeYD/K/bnBybzhiuu4dWpBJtXPf7E30jHU7se4Ow",
    "ap-northeast-2": "SHA256:eegAPQrWY9YsYo9ZHIKOmxetfXBHzAZd8Eya53Qcwko",
    "ap-southeast-1": "SHA256:ZIsVa7OVzxrTIf+Rk4UbhPv6Es22mSB3uTBojfPXIno",
    "ap-southeast-2": "SHA256:nYp+gHas80HY3DqbP4yanCDFhqDVjseefVbHEXqH2Ec",
    "ap-south-1": "SHA256:hUKwnTj7+Xpx4Kddb6p45j4RazIJ4IhAMD8k29itOfE",
    "ap-east-1": "SHA256:LafadYwUYW8hONoTRpojbjNs9IRnbEwHtezD3aAIBX0",
    "sa-east-1": "SHA256:kW+VKB0jpRaG/ZbXkgbtMQbKgEDK7JnISV3SVoyCmzU",
    "ca-central-1": "SHA256:Qz5puafQdANVprLlj6r0Qyh4lCNsF6ob61dGcPtFS7w",
    "me-south-1": "SHA256:O+NToCGgjrHekiBuOl0ad7ROGEsz+DBLXOd/c9wc0JU",
    "us-gov-west-1": "SHA256:djXQoSIFcg8vHe0KVH1xW/gOF9X37tWTqu4Hkng75x4",
    # As transcribed: 42 characters, one short of any SHA256 fingerprint (see
    # Endpoint.published_fingerprint). Check it against the AWS user guide before fixing it.
    "us-gov-east-1": "SHA256:fVb+R0z7qW7minenW+rUpAABRCRBTCzmETAJEQrg98",
    "cn-north-1": "SHA256:IYUXxH2OpTDsyYMLIp+JY8CTLS4UX+ZC5JVZXPRaxc8",
    "cn-northwest-1": "SHA256:wqjd6eHd0+mOBx+dCNuL0omUoCNjaDtZiEpWj5TmCfQ",
}

_SHA256 = re.compile(r"^SHA256:[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]$")  # 32 bytes, unpadded base64
_REGION_SHAPE = re.compile(r"^[a-z]{2,}(-[a-z]+)+-\d+$")
_DEFAULT_SUFFIX = "amazonaws.com"


SSH, HTTPS = "ssh", "https"  # the two ways git reaches CodeCommit (--protocol)


@dataclass(frozen=True)
class Endpoint:
    region: str
    partition: str
    dns_suffix: str
    known: bool  # botocore lists CodeCommit in this region

    @property
    def git_host(self) -> str:
        return f"git-codecommit.{self.region}.{self.dns_suffix}"

    @property
    def host_pattern(self) -> str:
        """The `Host` pattern covering every region of this partition."""
        return f"git-codecommit.*.{self.dns_suffix}"

    @property
    def published_fingerprint(self) -> str | None:
        """AWS's value for this region, if it is a whole SHA256 fingerprint: a value that
        cannot be one (the us-gov-east-1 entry is one character short) could never match, and
        would cry wolf; such a region is treated as unpublished (ask, or --accept-host-key)."""
        value = PUBLISHED_HOST_KEYS.get(self.region)
        return value if value is not None and is_sha256_fingerprint(value) else None

    def ssh_url(self, repo: str) -> str:
        return f"ssh://{self.git_host}/v1/repos/{repo}"

    def https_url(self, repo: str) -> str:
        return f"https://{self.git_host}/v1/repos/{repo}"

    def url(self, protocol: str, repo: str) -> str:
        return self.https_url(repo) if protocol == HTTPS else self.ssh_url(repo)

    def repository_arn(self, account: str, repo: str) -> str:
        return f"arn:{self.partition}:codecommit:{self.region}:{account}:{repo}"


def is_sha256_fingerprint(value: str) -> bool:
    """`SHA256:` and the unpadded base64 of 32 bytes, as OpenSSH prints it."""
    return bool(_SHA256.match(value))


def https_url(region: str, profile: str | None, repo: str) -> str:
    """The git-remote-codecommit URL: HTTPS with the AWS credentials, for roles and SSO."""
    who = f"{profile}@" if profile and profile != "default" else ""
    return f"codecommit::{region}://{who}{repo}"


@lru_cache(maxsize=1)
def _partitions() -> list[dict[str, Any]]:
    import botocore.loaders

    data = botocore.loaders.create_loader().load_data("endpoints")
    return list(data["partitions"])


def check_region_shape(region: str) -> str:
    if not _REGION_SHAPE.match(region):
        raise UsageError(
            f"'{region}' is not an AWS region name",
            "pass --region like us-east-1 (see `aws ec2 describe-regions` or the AWS console)",
        )
    return region


def resolve(region: str) -> Endpoint:
    """The endpoint for `region`. A region botocore does not know yet is allowed (warned)."""
    check_region_shape(region)
    for partition in _partitions():
        if region in partition.get("regions", {}) or re.match(partition["regionRegex"], region):
            service = partition.get("services", {}).get("codecommit", {})
            return Endpoint(
                region,
                partition["partition"],
                partition["dnsSuffix"],
                region in service.get("endpoints", {}),
            )
    return Endpoint(region, "aws", _DEFAULT_SUFFIX, False)


def codecommit_regions(partitions: list[dict[str, Any]] | None = None) -> list[str]:
    """Every region where botocore lists CodeCommit, FIPS pseudo-regions left out; from
    `partitions` when given (botocore's endpoints data, read without importing botocore)."""
    regions: list[str] = []
    for partition in _partitions() if partitions is None else partitions:
        service = partition.get("services", {}).get("codecommit", {})
        for name in service.get("endpoints", {}):
            if _REGION_SHAPE.match(name):
                regions.append(name)
    return sorted(regions)


_DIRECTIONS = ("Central", "East", "West", "North", "South", "Northwest", "Southeast")


def region_places() -> dict[str, str]:
    """Each region's place, as botocore describes it ("Europe (Milan)" → "Milan"): what people
    know a region by, and type to find it in the wizard's list."""
    places: dict[str, str] = {}
    for partition in _partitions():
        for name, region in partition.get("regions", {}).items():
            description = str(region.get("description", ""))
            inside = re.search(r"\(([^)]*)\)", description)
            place = inside.group(1) if inside else description
            # "Canada (Central)": the city-less ones keep their country.
            places[name] = description if place in _DIRECTIONS else place
    return places


def unknown_region_warning(endpoint: Endpoint) -> str | None:
    """A region botocore does not list for CodeCommit (too new, or a typo) is tried, not refused."""
    if endpoint.known:
        return None
    return (
        f"botocore does not list CodeCommit in '{endpoint.region}' (a new region, or a typo?); "
        f"continuing with {endpoint.git_host}"
    )
