"""Host keys: verify against the published fingerprint, ask on a terminal for an unpublished
region, read what the server offers (real sshd and paramiko doubles), hashed entries."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from wizard_fakes import Confirming

from bootstrap.errors import HostKeyError
from bootstrap.ssh import hostkeys
from bootstrap.ssh.keys import PublicKey
from bootstrap.ui.prompts import NoPrompter
from sandbox.githost import GitHost

KEY = PublicKey("ssh-rsa", b"\x00\x00\x00\x07ssh-rsa" + b"\x01" * 64)
OTHER = "SHA256:" + "A" * 43


# --- verify ---------------------------------------------------------------------------------


def test_published_match_is_trusted_silently() -> None:
    assert hostkeys.verify(KEY, "us-east-1", KEY.sha256, None) == []


def test_published_mismatch_stops_with_both_fingerprints() -> None:
    with pytest.raises(HostKeyError) as caught:
        hostkeys.verify(KEY, "us-east-1", OTHER, None)
    assert KEY.sha256 in caught.value.cause and OTHER in caught.value.cause
    assert "nothing was written" in caught.value.cause


def test_pinned_value_must_match_the_server() -> None:
    with pytest.raises(HostKeyError, match=r"not the .* given by --accept-host-key"):
        hostkeys.verify(KEY, "eu-south-1", None, OTHER)
    assert hostkeys.verify(KEY, "eu-south-1", None, KEY.sha256) == []


def test_pin_over_a_different_published_value_is_trusted_with_a_warning() -> None:
    [warning] = hostkeys.verify(KEY, "us-east-1", OTHER, KEY.sha256)
    assert "trusted only because --accept-host-key names it" in warning


def test_unpublished_region_unattended_demands_the_flag_naming_the_fingerprint() -> None:
    with pytest.raises(HostKeyError) as caught:
        hostkeys.verify(KEY, "eu-south-1", None, None)
    assert caught.value.fix.endswith(f"--accept-host-key {KEY.sha256}")


# --- asking on a terminal -------------------------------------------------------------------


def test_terminal_user_is_shown_the_fingerprint_and_asked_default_no() -> None:
    prompter = Confirming(True, with_default=True)
    pinned = hostkeys.confirm_unpublished(KEY, "eu-south-1", None, None, prompter)
    assert pinned == KEY.sha256
    [(question, default)] = prompter.asked
    assert KEY.sha256 in question and "eu-south-1" in question and default is False
    assert hostkeys.verify(KEY, "eu-south-1", None, pinned) == []


def test_terminal_user_who_declines_stops_everything() -> None:
    with pytest.raises(HostKeyError, match="was not trusted; nothing was written"):
        hostkeys.confirm_unpublished(KEY, "eu-south-1", None, None, Confirming(False))


def test_nothing_is_asked_when_published_pinned_or_unattended() -> None:
    never = Confirming(True)
    assert hostkeys.confirm_unpublished(KEY, "us-east-1", OTHER, None, never) is None
    assert hostkeys.confirm_unpublished(KEY, "eu-south-1", None, OTHER, never) == OTHER
    assert hostkeys.confirm_unpublished(KEY, "eu-south-1", None, None, NoPrompter()) is None
    assert never.asked == []


# --- what the server offers -----------------------------------------------------------------


def target_for(server: GitHost) -> hostkeys.Target:
    return hostkeys.Target(server.host, "127.0.0.1", server.port, server.host, (), (), False)


@pytest.mark.parametrize("kind", ["codecommit_server", "paramiko_codecommit"])
def test_fetch_reads_the_rsa_key_and_the_offered_algorithms(
    kind: str, request: pytest.FixtureRequest
) -> None:
    server: GitHost = request.getfixturevalue(kind)
    offer = hostkeys.fetch_offer(target_for(server))
    assert offer.key.sha256 == server.host_key_fingerprint
    assert offer.key.key_type == "ssh-rsa"
    assert {"rsa-sha2-512", "rsa-sha2-256"} <= set(offer.host_key_algorithms)


def test_unreachable_server_is_a_host_key_error_naming_it() -> None:
    target = hostkeys.Target("h", "127.0.0.1", 9, "h", (), (), False)
    with pytest.raises(HostKeyError, match=r"cannot connect to 127\.0\.0\.1 port 9"):
        hostkeys.fetch_offer(target, timeout=5)


# --- entries --------------------------------------------------------------------------------


@pytest.mark.parametrize("hashed", [False, True])
def test_entry_is_found_by_ssh_keygen_and_marked(tmp_path: Path, hashed: bool) -> None:
    known = tmp_path / "known_hosts"
    target = hostkeys.Target(
        "git-codecommit.eu-west-1.amazonaws.com",
        "git-codecommit.eu-west-1.amazonaws.com",
        22,
        "git-codecommit.eu-west-1.amazonaws.com",
        (known,),
        (),
        hashed,
    )
    known.write_bytes(b"other.example.com ssh-ed25519 AAAA")  # no final newline
    hostkeys.add_entry(target, KEY)
    lines = known.read_text().splitlines()
    assert lines[0] == "other.example.com ssh-ed25519 AAAA"
    assert lines[1].startswith("|1|") is hashed
    assert lines[1].endswith(f" {hostkeys.ENTRY_MARKER}")
    assert hostkeys.known_entry_file(target) == known
    found = subprocess.run(
        ["ssh-keygen", "-F", target.known_hosts_name, "-f", str(known)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert KEY.material in found.stdout
