"""ServerPool: CodeCommit doubles started on demand, one per (kind, region), stopped together.

A server serves one region (its forced command needs the region for ARNs), so a test session
that needs both us-east-1 and ap-northeast-1 gets two servers, each started once.
"""

from __future__ import annotations

from pathlib import Path

from sandbox.githost import GitHost
from sandbox.iam import MotoIam
from sandbox.serving import Started

KINDS = ("openssh", "paramiko")


class ServerPool(Started):
    def __init__(self, iam: MotoIam, root: Path) -> None:
        self.iam = iam
        self.root = root
        self._servers: dict[tuple[str, str], GitHost] = {}

    def get(self, kind: str = "openssh", region: str = "us-east-1") -> GitHost:
        """The started server of this kind for this region (started on first use)."""
        key = (kind, region)
        if key not in self._servers:
            self._servers[key] = self._start(kind, region)
        return self._servers[key]

    def _start(self, kind: str, region: str) -> GitHost:
        workdir = self.root / f"{kind}-{region}"
        server: GitHost
        if kind == "openssh":
            from sandbox.sshd import OpenSshCodeCommit

            server = OpenSshCodeCommit(workdir, self.iam, region)
        elif kind == "paramiko":
            from sandbox.paramiko_server import ParamikoCodeCommit

            server = ParamikoCodeCommit(workdir, self.iam, region)
        else:
            raise ValueError(f"unknown server kind {kind!r}: one of {', '.join(KINDS)}")
        server.start()
        return server

    def close(self) -> None:
        servers, self._servers = list(self._servers.values()), {}
        for server in servers:
            server.stop()

    def start(self) -> None:
        """Nothing yet: each server starts on its first `get`."""

    def stop(self) -> None:
        self.close()
