"""Registration against IAM errors moto never raises: injected with botocore's Stubber."""

from __future__ import annotations

import base64
import datetime
from typing import Any

import pytest

from bootstrap.aws import registration
from bootstrap.aws.failures import KeyLimitReached
from bootstrap.errors import IamError, IdentityError
from bootstrap.ssh.keys import PublicKey

USER = "alice"
BODY = "ssh-rsa " + base64.b64encode(b"\0\0\0\7ssh-rsa our key material").decode()
OURS = PublicKey.parse(BODY + " alice@laptop")
WHEN = datetime.datetime(2024, 5, 1, tzinfo=datetime.timezone.utc)


def kid(suffix: str) -> str:
    """A key id shaped like IAM's (APKA + 16 or more characters)."""
    return "APKA" + suffix.rjust(16, "0")


def listing(*ids_and_status: tuple[str, str]) -> dict[str, Any]:
    return {
        "SSHPublicKeys": [
            {"UserName": USER, "SSHPublicKeyId": i, "Status": s, "UploadDate": WHEN}
            for i, s in ids_and_status
        ],
        "IsTruncated": False,
    }


def key(key_id: str, body: str, status: str = "Active") -> dict[str, Any]:
    return {
        "SSHPublicKey": {
            "UserName": USER,
            "SSHPublicKeyId": key_id,
            "Fingerprint": "00:" * 16,  # botocore requires 48+ characters
            "SSHPublicKeyBody": body,
            "Status": status,
            "UploadDate": WHEN,
        }
    }


OTHER = "ssh-rsa " + base64.b64encode(b"\0\0\0\7ssh-rsa other material").decode()


def test_key_registered_from_another_machine_is_found_by_material(stubbed: Any) -> None:
    aws, stub = stubbed
    stub.add_response("list_ssh_public_keys", listing((kid("1"), "Active"), (kid("2"), "Active")))
    stub.add_response("get_ssh_public_key", key(kid("1"), OTHER + " old"))
    stub.add_response("get_ssh_public_key", key(kid("2"), BODY + " desktop"))
    found = registration.find(aws, USER, OURS, None)
    assert found.match is not None and found.match.key_id == kid("2")


def test_block_hint_finds_the_key_in_one_call(stubbed: Any) -> None:
    aws, stub = stubbed
    stub.add_response(
        "get_ssh_public_key",
        key(kid("9"), BODY),
        {"UserName": USER, "SSHPublicKeyId": kid("9"), "Encoding": "SSH"},
    )
    found = registration.find(aws, USER, OURS, kid("9"))
    assert found.match is not None and found.match.key_id == kid("9")


@pytest.mark.parametrize(
    "login",
    ["alice", "git-user-for-every-host-here", "apka" + "0" * 16],
    ids=["short name", "name as long as a key id", "lower-case apka"],
)
def test_block_user_that_is_not_a_key_id_is_never_sent_to_get_ssh_public_key(
    stubbed: Any, login: str
) -> None:
    # IAM refuses such an id (botocore before sending it, when shorter than 20; IAM's
    # ValidationError otherwise): the Stubber's strict order fails on any GetSSHPublicKey
    # call other than the listed key's.
    aws, stub = stubbed
    stub.add_response("list_ssh_public_keys", listing((kid("3"), "Active")))
    stub.add_response(
        "get_ssh_public_key",
        key(kid("3"), BODY),
        {"UserName": USER, "SSHPublicKeyId": kid("3"), "Encoding": "SSH"},
    )
    found = registration.find(aws, USER, OURS, login)
    assert found.match is not None and found.match.key_id == kid("3")


def test_stale_hint_falls_back_to_listing(stubbed: Any) -> None:
    aws, stub = stubbed
    stub.add_client_error("get_ssh_public_key", "NoSuchEntity", http_status_code=404)
    stub.add_response("list_ssh_public_keys", listing())
    found = registration.find(aws, USER, OURS, kid("GONE"))
    assert found.match is None and found.listed == ()


def test_inactive_match_is_reported_not_reactivated(stubbed: Any) -> None:
    aws, stub = stubbed
    stub.add_response("list_ssh_public_keys", listing((kid("1"), "Inactive")))
    stub.add_response("get_ssh_public_key", key(kid("1"), BODY, "Inactive"))
    found = registration.find(aws, USER, OURS, None)
    with pytest.raises(IamError, match=f"{kid('1')} but is Inactive") as failure:
        registration.check(found)
    assert "--status Active" in failure.value.fix


def test_five_keys_stop_before_upload_listing_them(stubbed: Any) -> None:
    aws, stub = stubbed
    ids = [(kid(str(i)), "Active") for i in range(5)]
    stub.add_response("list_ssh_public_keys", listing(*ids))
    found = registration.find(aws, USER, None, None)
    with pytest.raises(KeyLimitReached) as failure:
        registration.check(found)
    assert all(
        f"{kid(str(i))} (Active, uploaded 2024-05-01)" in failure.value.cause for i in range(5)
    )
    assert "delete-ssh-public-key" in failure.value.fix


def test_limit_exceeded_on_upload_lists_the_keys(stubbed: Any) -> None:
    aws, stub = stubbed
    stub.add_client_error("upload_ssh_public_key", "LimitExceeded", http_status_code=409)
    stub.add_response("list_ssh_public_keys", listing((kid("1"), "Active"), (kid("2"), "Inactive")))
    with pytest.raises(KeyLimitReached, match=kid("2") + r" \(Inactive"):
        registration.upload(aws, USER, OURS)


def test_duplicate_on_upload_is_the_key_this_run_put_there(stubbed: Any) -> None:
    # The look found no such key: a DuplicateSSHPublicKey now is what a retry meets when the
    # first attempt's answer was lost. It counts as uploaded, so a failed run takes it out.
    aws, stub = stubbed
    stub.add_client_error("upload_ssh_public_key", "DuplicateSSHPublicKey", http_status_code=400)
    stub.add_response("list_ssh_public_keys", listing((kid("7"), "Active")))
    stub.add_response("get_ssh_public_key", key(kid("7"), BODY))
    registered, uploaded = registration.upload(aws, USER, OURS)
    assert (registered.key_id, uploaded) == (kid("7"), True)


def test_an_upload_answered_with_a_5xx_is_settled_by_looking(stubbed: Any) -> None:
    aws, stub = stubbed
    stub.add_client_error("upload_ssh_public_key", "ServiceFailure", http_status_code=500)
    stub.add_response("list_ssh_public_keys", listing((kid("7"), "Active")))
    stub.add_response("get_ssh_public_key", key(kid("7"), BODY))
    registered, uploaded = registration.upload(aws, USER, OURS)
    assert (registered.key_id, uploaded) == (kid("7"), True)


def test_an_upload_that_never_arrived_says_nothing_was_registered(stubbed: Any) -> None:
    aws, stub = stubbed
    stub.add_client_error("upload_ssh_public_key", "ServiceFailure", http_status_code=500)
    stub.add_response("list_ssh_public_keys", listing())
    with pytest.raises(IdentityError, match="IAM does not have the key, so nothing was registered"):
        registration.upload(aws, USER, OURS)


def test_withdraw_deletes_only_keys_with_our_material(stubbed: Any) -> None:
    aws, stub = stubbed
    stub.add_response("list_ssh_public_keys", listing((kid("1"), "Active"), (kid("2"), "Active")))
    stub.add_response("get_ssh_public_key", key(kid("1"), OTHER))
    stub.add_response("get_ssh_public_key", key(kid("2"), BODY))
    stub.add_response("delete_ssh_public_key", {})
    assert registration.withdraw(aws, USER, OURS) == [kid("2")]


@pytest.mark.parametrize("code", ["InvalidPublicKey", "UnrecognizedPublicKeyEncoding"])
def test_refused_key_gets_a_clear_error(stubbed: Any, code: str) -> None:
    aws, stub = stubbed
    stub.add_client_error("upload_ssh_public_key", code, "bad key", http_status_code=400)
    with pytest.raises(IamError, match=f"IAM refused the public key \\({code}"):
        registration.upload(aws, USER, OURS)


def test_unknown_user_names_the_flag(stubbed: Any) -> None:
    aws, stub = stubbed
    stub.add_client_error("list_ssh_public_keys", "NoSuchEntity", http_status_code=404)
    with pytest.raises(IamError, match="no user named 'alice'") as failure:
        registration.find(aws, USER, None, None)
    assert "--user" in failure.value.fix


def test_access_denied_names_the_managed_policy(stubbed: Any) -> None:
    aws, stub = stubbed
    stub.add_client_error("upload_ssh_public_key", "AccessDenied", "no", http_status_code=403)
    with pytest.raises(IamError, match="iam:UploadSSHPublicKey") as failure:
        registration.upload(aws, USER, OURS)
    assert "IAMUserSSHKeys" in failure.value.fix
