"""ssh/agent.py against a real ssh-agent: which keys it holds (then no passphrase is needed)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from bootstrap.ssh import agent, keys
from sandbox.poll import wait_until


def make_key(path: Path) -> keys.PublicKey:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", str(path)], check=True
    )
    return keys.PublicKey.parse(path.with_suffix(".pub").read_text())


@pytest.fixture
def running_agent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    socket = tmp_path / "agent.sock"
    process = subprocess.Popen(["ssh-agent", "-D", "-a", str(socket)], stdout=subprocess.DEVNULL)
    try:
        wait_until(socket.exists, "ssh-agent's socket", timeout=10)
        monkeypatch.setenv("SSH_AUTH_SOCK", str(socket))
        yield socket
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_key_the_agent_holds_is_held_and_another_is_not(
    tmp_path: Path, running_agent: Path
) -> None:
    held, other = make_key(tmp_path / "held_rsa"), make_key(tmp_path / "other_rsa")
    assert agent.public_keys() == []  # an agent with no keys
    subprocess.run(["ssh-add", "-q", str(tmp_path / "held_rsa")], check=True)
    assert agent.holds(held) and not agent.holds(other)


def test_no_agent_is_none_and_holds_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    assert agent.public_keys() is None
    assert not agent.holds(make_key(tmp_path / "some_rsa"))
