"""Legacy SHA-1 `ssh-rsa` signatures: added inside our block when (and only when) the server
offers nothing else and the local OpenSSH refuses it by default; and then real ssh connects.

The "2022 CodeCommit" double is the paramiko sandbox server offering only ssh-rsa, for host
keys and for user keys (its server-sig-algs then says only ssh-rsa). paramiko 5 itself no longer
does SHA-1, so the double (like bootstrap's own host-key read) adds it back for itself.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import paramiko
import pytest
from cryptography.hazmat.primitives import hashes

from bootstrap.ssh import hostkeys, legacy_rsa
from bootstrap.ssh.client import EffectiveOptions
from sandbox.case import SandboxCase
from sandbox.iam import MotoIam
from sandbox.paramiko_server import ParamikoCodeCommit, _Session, log

SHA2 = ("rsa-sha2-512", "rsa-sha2-256")
DEFAULT_CLIENT = ("ssh-ed25519", "ecdsa-sha2-nistp256", "rsa-sha2-512", "rsa-sha2-256")


class Sha1RSAKey(paramiko.RSAKey):  # type: ignore[misc]
    # paramiko 5 no longer signs or verifies with SHA-1 ssh-rsa; the double must.
    HASHES: ClassVar[dict[str, Any]] = {**paramiko.RSAKey.HASHES, "ssh-rsa": hashes.SHA1}


class Sha1OnlyTransport(paramiko.Transport):  # type: ignore[misc]
    _key_info: ClassVar[dict[str, Any]] = {**paramiko.Transport._key_info, "ssh-rsa": Sha1RSAKey}
    _preferred_keys = ("ssh-rsa",)  # host key signatures offered
    _preferred_pubkeys = ("ssh-rsa",)  # server-sig-algs: user key signatures accepted


class Sha1OnlyCodeCommit(ParamikoCodeCommit):
    """The paramiko double, offering only ssh-rsa (SHA-1) signatures, like CodeCommit in 2022."""

    def _accept_loop(self) -> None:
        assert self._listener is not None
        host_key = Sha1RSAKey.from_private_key_file(str(self.host_key_path))
        while True:
            try:
                conn, _addr = self._listener.accept()
            except OSError:
                return
            transport = Sha1OnlyTransport(conn)
            transport.add_server_key(host_key)
            with self._lock:
                self._transports = [t for t in self._transports if t.is_active()]
                self._transports.append(transport)
            try:
                transport.start_server(server=_Session(self))
            except (paramiko.SSHException, EOFError, OSError) as error:
                log.info("ssh negotiation failed: %s", error)
                transport.close()


@pytest.fixture(scope="module")
def sha1_server(
    moto_iam: MotoIam, userdb_shim: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Sha1OnlyCodeCommit]:
    with Sha1OnlyCodeCommit(tmp_path_factory.mktemp("sha1-only"), moto_iam) as server:
        yield server


@pytest.fixture
def legacy_case(moto_iam: MotoIam, sha1_server: Sha1OnlyCodeCommit, tmp_path: Path) -> SandboxCase:
    return SandboxCase.create(tmp_path / "home", moto_iam, sha1_server)


def options(hostkeyalgorithms: str) -> EffectiveOptions:
    return EffectiveOptions({"hostkeyalgorithms": [hostkeyalgorithms]})


# --- the rule -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("server", "client", "needed"),
    [
        (("ssh-rsa",), DEFAULT_CLIENT, True),  # 2022 CodeCommit, OpenSSH >= 8.8
        (("rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"), DEFAULT_CLIENT, False),
        (("ssh-rsa",), (*DEFAULT_CLIENT, "ssh-rsa"), False),  # client still accepts it
        (("ssh-ed25519",), DEFAULT_CLIENT, False),  # no ssh-rsa at all: not our case
        ((), DEFAULT_CLIENT, False),
    ],
)
def test_needed_only_when_sha1_is_the_only_common_rsa_signature(
    server: tuple[str, ...], client: tuple[str, ...], needed: bool
) -> None:
    assert legacy_rsa.needed(server, client) is needed


def test_decide_asks_the_local_ssh_and_says_why() -> None:
    reason = legacy_rsa.decide("h", ("ssh-rsa",), options(",".join(DEFAULT_CLIENT)))
    assert reason is not None and legacy_rsa.client_version() in reason
    assert "refuses by default" in reason and "inside the bootstrap block only" in reason
    assert legacy_rsa.decide("h", SHA2, options(",".join(DEFAULT_CLIENT))) is None
    assert legacy_rsa.decide("h", (), options(",".join(DEFAULT_CLIENT))) is None


# --- end to end: the server offers only ssh-rsa ------------------------------------------


def test_host_key_of_a_sha1_only_server_is_still_read(sha1_server: Sha1OnlyCodeCommit) -> None:
    target = hostkeys.Target(sha1_server.host, "127.0.0.1", sha1_server.port, "x", (), (), False)
    offer = hostkeys.fetch_offer(target)
    assert offer.host_key_algorithms == ("ssh-rsa",)
    assert offer.key.sha256 == sha1_server.host_key_fingerprint


def test_plain_ssh_cannot_connect_to_the_sha1_only_server(legacy_case: SandboxCase) -> None:
    # The control: without our lines, this OpenSSH refuses the server's only offer.
    legacy_case.write_routing()
    legacy_case.trust_host_key()
    done = subprocess.run(
        ["ssh", "-o", "BatchMode=yes", legacy_case.server.host],
        env=legacy_case.env, capture_output=True, text=True, stdin=subprocess.DEVNULL,
        check=False, timeout=60,
    )  # fmt: skip
    assert done.returncode != 0
    assert "no matching host key type found. Their offer: ssh-rsa" in done.stderr


def test_sha1_only_server_gets_the_lines_in_our_block_and_git_works(
    legacy_case: SandboxCase,
) -> None:
    legacy_case.write_routing()
    repo = legacy_case.create_repo()
    done = legacy_case.init("--repo", repo, "--json")
    assert done.returncode == 0, done.stderr
    assert "offers only SHA-1 ssh-rsa host-key signatures" in done.stderr
    report = json.loads(done.stdout)
    steps = {step["step"]: step for step in report["steps"]}
    assert steps["ssh config"]["legacy_rsa"] is True

    text = (legacy_case.ssh_dir / "config").read_text()
    begin, end = text.index("# >>> bootstrap"), text.index("# <<< bootstrap")
    for option in ("HostKeyAlgorithms +ssh-rsa", "PubkeyAcceptedAlgorithms +ssh-rsa"):
        assert text.count(option) == 1 and begin < text.index(option) < end

    # Real ssh and git, through our block, with nothing in their environment.
    clone = legacy_case.git("clone", legacy_case.clone_url(repo), "mine")
    assert clone.returncode == 0, clone.stderr
    # Only CodeCommit hosts get SHA-1: every other host keeps the default.
    other = subprocess.run(
        ["ssh", "-G", "github.com"], env=legacy_case.env, capture_output=True, text=True,
        check=True,
    ).stdout  # fmt: skip
    assert "ssh-rsa," not in other and not other.count(",ssh-rsa\n")

    again = legacy_case.init("--repo", repo, "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["changed"] is False


def test_server_offering_sha2_gets_no_legacy_lines(paramiko_sandbox: SandboxCase) -> None:
    paramiko_sandbox.write_routing()
    done = paramiko_sandbox.init("--no-clone")
    assert done.returncode == 0, done.stderr
    assert "ssh-rsa" not in (paramiko_sandbox.ssh_dir / "config").read_text()
    assert "SHA-1" not in done.stderr
