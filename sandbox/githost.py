"""What both CodeCommit doubles share: host key, bare repos, and the ssh config that routes to them.

Subclasses (sshd.OpenSshCodeCommit, paramiko_server.ParamikoCodeCommit) start a server on
127.0.0.1:`port` in `start()` (calling `_prepare()` first) and end it in `stop()`. One server
serves one region (`region`): the forced command needs it for resource ARNs and the real host
name never reaches the server.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
from pathlib import Path
from typing import Any

from sandbox.gitaccess import ACCESS_LOG, KEYS_LOG, SCP_DIR, repo_path
from sandbox.serving import Started

# A fixed identity and date so repos are reproducible and never read the machine's git config.
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Sandbox",
    "GIT_AUTHOR_EMAIL": "sandbox@example.invalid",
    "GIT_AUTHOR_DATE": "2024-01-01T00:00:00Z",
    "GIT_COMMITTER_NAME": "Sandbox",
    "GIT_COMMITTER_EMAIL": "sandbox@example.invalid",
    "GIT_COMMITTER_DATE": "2024-01-01T00:00:00Z",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}
README = "# {name}\n\nA sandbox repository served by the CodeCommit double.\n"


LOGS = ("sshd.log", KEYS_LOG, ACCESS_LOG)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def git_host(region: str) -> str:
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"git-codecommit.{region}.{suffix}"


def generate_host_key(path: Path) -> None:
    """An RSA host key (as CodeCommit has), private part 0600."""
    if not path.exists():
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", str(path)],
            check=True,
            stdin=subprocess.DEVNULL,
        )
    path.chmod(0o600)


def fingerprint(public_key_line: str) -> str:
    """OpenSSH's SHA256 fingerprint ("SHA256:...") of an "ssh-rsa AAAA..." line."""
    blob = base64.b64decode(public_key_line.split()[1])
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def _git(*args: str, cwd: Path, stdin: str | None = None) -> str:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **GIT_IDENTITY}
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, input=stdin, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def create_bare_repo(path: Path, name: str) -> Path:
    """A bare repo at `path` with one commit on main holding README.md (real git, no clone)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _git("init", "-q", "--bare", "-b", "main", str(path), cwd=path.parent)
    blob = _git("hash-object", "-w", "--stdin", cwd=path, stdin=README.format(name=name))
    tree = _git("mktree", cwd=path, stdin=f"100644 blob {blob}\tREADME.md\n")
    commit = _git("commit-tree", tree, "-m", "Initial commit", cwd=path)
    _git("update-ref", "refs/heads/main", commit, cwd=path)
    return path


class GitHost(Started):
    """The shared half of a CodeCommit double: state in `workdir`, one `region`."""

    port: int

    def __init__(self, workdir: Path, region: str = "us-east-1") -> None:
        self.workdir = Path(workdir).resolve()
        self.region = region
        self.repos_dir = self.workdir / "repos"
        self.host_key_path = self.workdir / "ssh_host_rsa_key"
        self.port = 0

    def _prepare(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.repos_dir.mkdir(exist_ok=True)
        generate_host_key(self.host_key_path)

    @property
    def host_public_key(self) -> str:
        """The "ssh-rsa AAAA..." line of the host key (no comment)."""
        words = self.host_key_path.with_suffix(".pub").read_text().split()
        return f"{words[0]} {words[1]}"

    @property
    def host_key_fingerprint(self) -> str:
        return fingerprint(self.host_public_key)

    @property
    def host(self) -> str:
        return git_host(self.region)

    def _check_region(self, region: str) -> None:
        if region != self.region:
            raise ValueError(f"this server serves {self.region}, not {region}: start another")

    def create_repo(self, name: str) -> Path:
        """Create repos/NAME.git with one commit on main (README.md); return its path."""
        path = repo_path(self.repos_dir, name)
        if path.exists():
            raise FileExistsError(f"repository {name} already exists at {path}")
        return create_bare_repo(path, name)

    def set_service_control_policies(self, user_name: str, documents: list[Any]) -> None:
        """Put AWS Organizations SCPs over `user_name`'s account, as both doubles enforce them
        (gitaccess.service_control_policies). Written whole, then renamed: never half-read."""
        folder = self.workdir / SCP_DIR
        folder.mkdir(exist_ok=True)
        tmp = folder / f".{user_name}.json.tmp"
        tmp.write_text(json.dumps(documents), encoding="utf-8")
        tmp.replace(folder / f"{user_name}.json")

    def clone_url(self, name: str) -> str:
        return f"ssh://{self.host}/v1/repos/{name}"

    def routing_config(self, region: str) -> str:
        """An ssh config block that plays DNS: the real host name -> this server.

        It sets only the route (HostName, Port, HostKeyAlias); User, IdentityFile,
        IdentitiesOnly and host-key checking are the tool's and the user's business.
        """
        self._check_region(region)
        host = git_host(region)
        lines = [f"Host {host}", "HostName 127.0.0.1", f"Port {self.port}", f"HostKeyAlias {host}"]
        return "\n    ".join(lines) + "\n"

    def known_hosts_line(self, region: str) -> str:
        self._check_region(region)
        return f"{git_host(region)} {self.host_public_key}"

    def log_marks(self) -> dict[str, int]:
        """Current sizes of the logs, for `log_text(since=...)`."""
        return {name: _size(self.workdir / name) for name in LOGS}

    def log_text(self, since: dict[str, int] | None = None) -> str:
        """The server's logs (sshd's -E if any, key lookups, access decisions), optionally only
        what was written after `since` (from `log_marks()`)."""
        parts = []
        for name in LOGS:
            path = self.workdir / name
            if path.exists():
                with open(path, "rb") as handle:
                    handle.seek((since or {}).get(name, 0))
                    text = handle.read().decode(errors="replace")
                parts.append(f"==> {name} <==\n{text}")
        return "\n".join(parts)
