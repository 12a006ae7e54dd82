"""Does this server need SHA-1 `ssh-rsa` signatures that the local OpenSSH refuses by default?

Reported in 2022: CodeCommit offered only `ssh-rsa` host-key signatures, and OpenSSH 8.8+ refuses
them unless told `HostKeyAlgorithms +ssh-rsa` ("no matching host key type found. Their offer:
ssh-rsa"). We never assume it: the server's offer comes from its KEXINIT (read with paramiko),
the client's from `ssh -G` (what it would accept for this host) and `ssh -Q` (what it can do).
"""

from __future__ import annotations

from bootstrap.errors import HostKeyError
from bootstrap.ssh import client as ssh_client
from bootstrap.ssh.client import EffectiveOptions

RSA_SIGNATURES = ("rsa-sha2-512", "rsa-sha2-256", "ssh-rsa")
SHA1_RSA = "ssh-rsa"


def client_version() -> str:
    """`ssh -V`, e.g. "OpenSSH_9.2p1 Debian-2+deb12u3" (printed on stderr)."""
    done = ssh_client.run("-V")
    words = (done.stderr or done.stdout).split(",")[0].strip()
    return words or "this OpenSSH"


def client_supports_sha1_rsa() -> bool:
    """Can this ssh use ssh-rsa at all when told to? (`ssh -Q HostKeyAlgorithms`)"""
    return SHA1_RSA in ssh_client.run("-Q", "HostKeyAlgorithms").stdout.split()


def needed(server_offers: tuple[str, ...], client_accepts: tuple[str, ...]) -> bool:
    """True when the server's only RSA signature is SHA-1 ssh-rsa and the client, as
    configured for this host, accepts none of the server's RSA signatures."""
    offered = set(server_offers)
    if SHA1_RSA not in offered:
        return False
    return not offered & set(client_accepts) & set(RSA_SIGNATURES)


def decide(host: str, server_offers: tuple[str, ...], options: EffectiveOptions) -> str | None:
    """The reason to add `+ssh-rsa` to our block, or None. `options` must be `ssh -G` for the
    planned config WITHOUT those lines, so that a rerun reaches the same answer."""
    if not server_offers:
        return None  # the offer could not be read: conclude nothing
    accepts = tuple((options.first("hostkeyalgorithms") or "").split(","))
    if not needed(server_offers, accepts):
        return None
    version = client_version()
    if not client_supports_sha1_rsa():
        raise HostKeyError(
            f"{host} signs its host key only with SHA-1 ssh-rsa ({', '.join(server_offers)}), "
            f"which {version} cannot use at all",
            "use HTTPS instead: pip install git-remote-codecommit, then clone "
            "codecommit::REGION://REPO",
            details={"server_offers": list(server_offers)},
        )
    return (
        f"{host} offers only SHA-1 ssh-rsa host-key signatures, which {version} refuses by "
        "default; added HostKeyAlgorithms +ssh-rsa and PubkeyAcceptedAlgorithms +ssh-rsa "
        "inside the bootstrap block only, for CodeCommit hosts"
    )
