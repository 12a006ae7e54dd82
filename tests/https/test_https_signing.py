"""The CodeCommit HTTPS password, against git-remote-codecommit's published test vector and
against botocore's SigV4Auth driven the way the AWS CLI's `codecommit credential-helper`
drives it (botocore is imported here, in the test, never by signing.py)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bootstrap.aws import endpoints
from bootstrap.https import signing

# aws/git-remote-codecommit, test/git_url_test.py: Credentials('access', 'secret'), us-west-2,
# datetime(2017, 12, 24, 11, 53, 20) (utcnow), sign(host, '/v1/repos/test_repo', ...).
VECTOR_HOST = "git-codecommit.us-west-2.amazonaws.com"
VECTOR_TIME = datetime(2017, 12, 24, 11, 53, 20)
VECTOR_PASSWORD = "20171224T115320Zb6df2d758a8023b2f000a546417007b65494f3ce8ad0300fd45fcfa173f1959a"
# The same module's CODE_COMMIT_ENDPOINT override test: another host, same region.
VECTOR_OVERRIDE_PASSWORD = (
    "20171224T115320Za14a37a53035bbceb6e1748247b143124fe7326cdffd3d418236a592ce6158a0"
)


def aws_cli_password(secret: str, token: str | None, region: str, url: str, now: datetime) -> str:
    """awscli/customizations/codecommit.py, CodeCommitGetCommand.sign_request, with `now`."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.compat import urlsplit
    from botocore.credentials import Credentials

    signer = SigV4Auth(Credentials("AKIDEXAMPLE", secret, token), "codecommit", region)
    request = AWSRequest()
    request.url = url
    request.method = "GIT"
    request.context["timestamp"] = now.strftime("%Y%m%dT%H%M%S")
    split = urlsplit(request.url)
    hostname = split.netloc.split(":")[0]
    canonical_request = f"{request.method}\n{split.path}\n\nhost:{hostname}\n\nhost\n"
    string_to_sign = signer.string_to_sign(request, canonical_request)
    signature = signer.signature(string_to_sign, request)
    return "{}Z{}".format(request.context["timestamp"], signature)


def test_git_remote_codecommit_vector() -> None:
    got = signing.password("secret", "us-west-2", VECTOR_HOST, "/v1/repos/test_repo", VECTOR_TIME)
    assert got == VECTOR_PASSWORD


def test_git_remote_codecommit_vector_for_another_host() -> None:
    got = signing.password(
        "secret", "us-west-2", "land.called.honahlee", "/v1/repos/test_repo", VECTOR_TIME
    )
    assert got == VECTOR_OVERRIDE_PASSWORD


def test_path_as_git_sends_it_and_a_port_sign_the_same() -> None:
    """git sends `path=v1/repos/NAME` (no slash); a port in `host` is not signed."""
    bare = signing.password("secret", "us-west-2", VECTOR_HOST, "v1/repos/test_repo", VECTOR_TIME)
    ported = signing.password(
        "secret", "us-west-2", VECTOR_HOST + ":443", "v1/repos/test_repo", VECTOR_TIME
    )
    assert bare == ported == VECTOR_PASSWORD


def test_an_aware_time_is_signed_in_utc() -> None:
    paris = timezone(timedelta(hours=1))
    local = VECTOR_TIME.replace(tzinfo=timezone.utc).astimezone(paris)
    assert local.hour == 12
    got = signing.password("secret", "us-west-2", VECTOR_HOST, "/v1/repos/test_repo", local)
    assert got == VECTOR_PASSWORD


def test_the_pieces_match_sigv4() -> None:
    canonical = signing.canonical_request(VECTOR_HOST + ":443", "v1/repos/test_repo")
    assert canonical == f"GIT\n/v1/repos/test_repo\n\nhost:{VECTOR_HOST}\n\nhost\n"
    assert signing.scope("20171224T115320", "us-west-2") == (
        "20171224/us-west-2/codecommit/aws4_request"
    )
    sts = signing.string_to_sign(canonical, "us-west-2", "20171224T115320")
    assert sts.splitlines()[:3] == [
        "AWS4-HMAC-SHA256",
        "20171224T115320",
        "20171224/us-west-2/codecommit/aws4_request",
    ]


@pytest.mark.parametrize(
    ("region", "host"),
    [
        ("eu-west-1", "git-codecommit.eu-west-1.amazonaws.com"),
        ("cn-north-1", "git-codecommit.cn-north-1.amazonaws.com.cn"),
        ("us-gov-west-1", "git-codecommit-fips.us-gov-west-1.amazonaws.com"),
        ("us-east-2", "vpce-0123456789abcdef0-ab12.git-codecommit.us-east-2.vpce.amazonaws.com"),
        ("eu-west-1", "git-codecommit.eu-west-1.amazonaws.com:8443"),
    ],
)
def test_same_as_the_aws_cli(region: str, host: str) -> None:
    now = datetime(2024, 2, 29, 23, 59, 59)
    url = f"https://{host}/v1/repos/my-repo.git_1"
    expected = aws_cli_password("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", None, region, url, now)
    got = signing.password(
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", region, host, "v1/repos/my-repo.git_1", now
    )
    assert got == expected


@settings(max_examples=60, deadline=None)
@given(
    secret=st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1),
    region=st.sampled_from(endpoints.codecommit_regions()),
    repo=st.from_regex(r"[A-Za-z0-9._-]{1,100}", fullmatch=True),
    now=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31)),
)
def test_same_as_the_aws_cli_for_any_input(
    secret: str, region: str, repo: str, now: datetime
) -> None:
    host = endpoints.resolve(region).git_host
    expected = aws_cli_password(secret, "token", region, f"https://{host}/v1/repos/{repo}", now)
    assert signing.password(secret, region, host, f"v1/repos/{repo}", now) == expected


def test_username() -> None:
    assert signing.username("AKIDEXAMPLE", None) == "AKIDEXAMPLE"
    assert signing.username("ASIAEXAMPLE", "") == "ASIAEXAMPLE"
    assert signing.username("ASIAEXAMPLE", "IQoJb3Jp+/=") == "ASIAEXAMPLE%IQoJb3Jp+/="


@pytest.mark.parametrize(
    ("host", "region"),
    [
        ("git-codecommit.eu-west-1.amazonaws.com", "eu-west-1"),
        ("git-codecommit.eu-west-1.amazonaws.com:443", "eu-west-1"),
        ("GIT-CODECOMMIT.EU-WEST-1.AMAZONAWS.COM", "eu-west-1"),
        ("git-codecommit-fips.us-east-1.amazonaws.com", "us-east-1"),
        ("git-codecommit.cn-northwest-1.amazonaws.com.cn", "cn-northwest-1"),
        ("git-codecommit.us-gov-east-1.amazonaws.com", "us-gov-east-1"),
        ("vpce-1a2b3c4d-5e6f.git-codecommit.us-east-2.vpce.amazonaws.com", "us-east-2"),
        ("vpce-1a2b3c4d-5e6f-us-east-2a.git-codecommit.us-east-2.vpce.amazonaws.com", "us-east-2"),
        ("vpce-1a2b3c4d-5e6f.git-codecommit-fips.us-east-2.vpce.amazonaws.com", "us-east-2"),
    ],
)
def test_region_of_codecommit_hosts(host: str, region: str) -> None:
    assert signing.region_of(host) == region


@pytest.mark.parametrize(
    "host",
    [
        "github.com",
        "codecommit.us-east-1.amazonaws.com",  # the API, not Git
        "git-codecommit.us-east-1.amazonaws.com.evil.example",
        "evil-git-codecommit.us-east-1.amazonaws.com",
        "git-codecommit.us-east-1.amazonaws.com.cn.evil",
        "git-codecommit.amazonaws.com",
        "git-codecommit.us.east.1.amazonaws.com",
        "",
    ],
)
def test_region_of_other_hosts(host: str) -> None:
    assert signing.region_of(host) is None
