"""Region → Git host, from botocore's partition data."""

from __future__ import annotations

import pytest

from bootstrap.aws import endpoints
from bootstrap.errors import UsageError


def test_commercial_region() -> None:
    endpoint = endpoints.resolve("eu-west-1")
    assert endpoint.git_host == "git-codecommit.eu-west-1.amazonaws.com"
    assert endpoint.host_pattern == "git-codecommit.*.amazonaws.com"
    assert endpoint.known
    assert endpoint.ssh_url("r") == "ssh://git-codecommit.eu-west-1.amazonaws.com/v1/repos/r"


def test_china_uses_its_own_suffix_and_pattern() -> None:
    endpoint = endpoints.resolve("cn-north-1")
    assert endpoint.git_host == "git-codecommit.cn-north-1.amazonaws.com.cn"
    assert endpoint.host_pattern == "git-codecommit.*.amazonaws.com.cn"
    assert endpoint.partition == "aws-cn"


def test_govcloud_uses_the_normal_suffix() -> None:
    endpoint = endpoints.resolve("us-gov-west-1")
    assert endpoint.git_host == "git-codecommit.us-gov-west-1.amazonaws.com"
    assert endpoint.partition == "aws-us-gov"
    assert endpoint.repository_arn("1", "r") == "arn:aws-us-gov:codecommit:us-gov-west-1:1:r"


def test_unknown_but_well_formed_region_is_allowed_and_marked() -> None:
    endpoint = endpoints.resolve("eu-future-9")
    assert endpoint.git_host == "git-codecommit.eu-future-9.amazonaws.com"
    assert not endpoint.known


@pytest.mark.parametrize("bad", ["US East", "useast1", "us-east", ""])
def test_malformed_region_is_a_usage_error_naming_it(bad: str) -> None:
    with pytest.raises(UsageError, match=f"'{bad}' is not an AWS region name"):
        endpoints.resolve(bad)


def test_published_fingerprints_cover_the_documented_regions() -> None:
    assert endpoints.resolve("us-east-1").published_fingerprint == (
        "SHA256:eLMY1j0DKA4uvDZcl/KgtIayZANwX6t8+8isPtotBoY"
    )
    assert endpoints.resolve("eu-south-1").published_fingerprint is None


def test_codecommit_regions_come_from_botocore_without_fips() -> None:
    regions = endpoints.codecommit_regions()
    assert {"us-east-1", "cn-north-1", "us-gov-west-1"} <= set(regions)
    assert not any("fips" in region for region in regions)


def test_https_url_for_roles_and_sso() -> None:
    assert endpoints.https_url("us-east-1", "dev", "r") == "codecommit::us-east-1://dev@r"
    assert endpoints.https_url("us-east-1", None, "r") == "codecommit::us-east-1://r"


def test_every_codecommit_region_resolves_with_its_partition_and_host_pattern() -> None:
    for region in endpoints.codecommit_regions():
        endpoint = endpoints.resolve(region)
        assert endpoint.known
        assert endpoint.git_host.startswith(f"git-codecommit.{region}.")
        assert endpoint.host_pattern.replace("*", region) == endpoint.git_host
        assert endpoints.unknown_region_warning(endpoint) is None
    partitions = {endpoints.resolve(r).partition for r in endpoints.codecommit_regions()}
    assert {"aws", "aws-cn", "aws-us-gov"} <= partitions


def test_china_pattern_does_not_cover_commercial_hosts_and_back() -> None:
    from bootstrap.ssh.config_parse import host_matches

    china, commercial = endpoints.resolve("cn-northwest-1"), endpoints.resolve("eu-west-1")
    assert host_matches((china.host_pattern,), china.git_host)
    assert not host_matches((commercial.host_pattern,), china.git_host)
    assert not host_matches((china.host_pattern,), commercial.git_host)


def test_unknown_region_gets_a_warning_not_a_failure() -> None:
    warning = endpoints.unknown_region_warning(endpoints.resolve("eu-future-9"))
    assert warning is not None and "eu-future-9" in warning and "continuing with" in warning


def test_published_values_are_whole_sha256_fingerprints_or_treated_as_unpublished() -> None:
    malformed = [
        region
        for region, value in endpoints.PUBLISHED_HOST_KEYS.items()
        if not endpoints.is_sha256_fingerprint(value)
    ]
    # One character short as transcribed: it could never match, so it must not cry wolf.
    assert malformed == ["us-gov-east-1"]
    assert endpoints.resolve("us-gov-east-1").published_fingerprint is None
    assert endpoints.resolve("us-gov-west-1").published_fingerprint is not None
    assert endpoints.resolve("cn-north-1").published_fingerprint is not None
