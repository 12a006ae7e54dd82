"""Key pairs: created private from birth, validated before reuse, refused like IAM refuses."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from bootstrap.errors import LocalFileError
from bootstrap.ssh import keys


def ssh_keygen(path: Path, *args: str) -> None:
    subprocess.run(["ssh-keygen", "-q", "-N", "", "-f", str(path), *args], check=True)


def test_new_key_is_private_from_birth_and_public_is_readable(tmp_path: Path) -> None:
    old_umask = os.umask(0)  # even a permissive umask must not open up the private key
    try:
        pair = keys.generate_pair(tmp_path / "k", 2048, None, "me@host codecommit")
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(pair.private_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(pair.public_path.stat().st_mode) == 0o644
    assert pair.public.bits == 2048
    assert pair.public_path.read_text().strip().endswith("me@host codecommit")


def test_new_key_never_replaces_an_existing_file(tmp_path: Path) -> None:
    (tmp_path / "k").write_text("precious")
    with pytest.raises(LocalFileError):
        keys.generate_pair(tmp_path / "k", 2048, None, "c")
    assert (tmp_path / "k").read_text() == "precious"


def test_generated_key_is_openssh_format_that_ssh_keygen_reads(tmp_path: Path) -> None:
    pair = keys.generate_pair(tmp_path / "k", 2048, None, "c")
    derived = subprocess.run(
        ["ssh-keygen", "-y", "-f", str(pair.private_path)], capture_output=True, text=True
    )
    assert derived.stdout.split()[:2] == pair.public.material.split()


def test_fingerprints_match_ssh_keygen(tmp_path: Path) -> None:
    ssh_keygen(tmp_path / "k", "-t", "rsa", "-b", "2048")
    pair = keys.load_pair(tmp_path / "k")
    assert pair is not None
    for hash_name, ours in (("sha256", pair.public.sha256), ("md5", "MD5:" + pair.public.md5)):
        printed = subprocess.run(
            ["ssh-keygen", "-l", "-E", hash_name, "-f", str(tmp_path / "k.pub")],
            capture_output=True,
            text=True,
        ).stdout.split()[1]
        assert printed == ours


def test_passphrase_key_is_read_without_its_passphrase(tmp_path: Path) -> None:
    pair = keys.generate_pair(tmp_path / "k", 2048, b"s3cret pass", "c")
    assert b"s3cret" not in pair.private_path.read_bytes()
    (tmp_path / "k.pub").unlink()
    reloaded = keys.load_pair(tmp_path / "k")
    assert reloaded is not None and reloaded.public.material == pair.public.material


def test_missing_key_is_none(tmp_path: Path) -> None:
    assert keys.load_pair(tmp_path / "absent") is None


def test_ed25519_is_refused_before_any_upload(tmp_path: Path) -> None:
    ssh_keygen(tmp_path / "k", "-t", "ed25519")
    with pytest.raises(LocalFileError, match="ssh-ed25519 key; CodeCommit accepts only ssh-rsa"):
        keys.load_pair(tmp_path / "k")


def test_short_rsa_key_is_refused(tmp_path: Path) -> None:
    ssh_keygen(tmp_path / "k", "-t", "rsa", "-b", "1024")
    with pytest.raises(LocalFileError, match="RSA 1024 bits; IAM accepts 2048 to 16384"):
        keys.load_pair(tmp_path / "k")


def test_public_key_of_another_pair_is_refused(tmp_path: Path) -> None:
    ssh_keygen(tmp_path / "a", "-t", "rsa", "-b", "2048")
    ssh_keygen(tmp_path / "b", "-t", "rsa", "-b", "2048")
    (tmp_path / "a.pub").write_bytes((tmp_path / "b.pub").read_bytes())
    with pytest.raises(LocalFileError, match="does not belong to"):
        keys.load_pair(tmp_path / "a")


def test_pem_rsa_key_is_accepted(tmp_path: Path) -> None:
    ssh_keygen(tmp_path / "k", "-t", "rsa", "-b", "2048", "-m", "PEM")
    assert (tmp_path / "k").read_text().startswith("-----BEGIN RSA PRIVATE KEY-----")
    pair = keys.load_pair(tmp_path / "k")
    assert pair is not None and pair.public.bits == 2048


def test_group_readable_private_key_is_refused_with_chmod_fix(tmp_path: Path) -> None:
    ssh_keygen(tmp_path / "k", "-t", "rsa", "-b", "2048")
    os.chmod(tmp_path / "k", 0o640)
    with pytest.raises(LocalFileError) as failure:
        keys.load_pair(tmp_path / "k")
    assert failure.value.fix == f"chmod 600 {tmp_path / 'k'}"


def test_orphan_public_key_is_refused(tmp_path: Path) -> None:
    ssh_keygen(tmp_path / "k", "-t", "rsa", "-b", "2048")
    (tmp_path / "k").unlink()
    with pytest.raises(LocalFileError, match="its private key"):
        keys.load_pair(tmp_path / "k")


def test_garbage_private_key_is_refused_not_overwritten(tmp_path: Path) -> None:
    (tmp_path / "k").write_text("not a key")
    os.chmod(tmp_path / "k", 0o600)
    with pytest.raises(LocalFileError, match="not a private key"):
        keys.load_pair(tmp_path / "k")
    assert (tmp_path / "k").read_text() == "not a key"


def test_material_ignores_the_comment() -> None:
    a = keys.PublicKey.parse("ssh-rsa AAAAB3NzaC1yc2E= laptop")
    b = keys.PublicKey.parse("ssh-rsa AAAAB3NzaC1yc2E= desktop")
    assert a.material == b.material
