"""Every wait is bounded: a server that accepts TCP and never speaks ends a run, with a message
that names the wait, instead of hanging it (issue 15, section 3).

The bounds are the users' defaults (waits.py) made short through the environment, so each test
here finishes in a few seconds; what is asserted is the outcome and the words, never the time.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from bootstrap import git, waits
from bootstrap.diagnosis import rules
from bootstrap.errors import EXIT_GIT, EXIT_HOST_KEY, PortUnreachable
from bootstrap.ssh import client as ssh_client
from bootstrap.ssh import hostkeys
from sandbox.case import SandboxCase
from sandbox.silent_listener import SilentListener

SHORT = {waits.CONNECT_ENV: "2", waits.ALIVE_ENV: "1", waits.GIT_ENV: "20"}


@pytest.fixture
def silent() -> Iterator[SilentListener]:
    with SilentListener() as listener:
        yield listener


@pytest.fixture
def short_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in SHORT.items():
        monkeypatch.setenv(name, value)


def routed_to(tmp_path: Path, port: int) -> Path:
    config = tmp_path / "ssh_config"
    config.write_text(
        "Host git-codecommit.us-east-1.amazonaws.com\n"
        f"    HostName 127.0.0.1\n    Port {port}\n    User APKAEXAMPLE\n"
        f"    UserKnownHostsFile {tmp_path / 'known_hosts'}\n"
    )
    return config


# -- the defaults users get ----------------------------------------------------------------------


def test_our_ssh_runs_carry_connect_and_keepalive_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in SHORT:
        monkeypatch.delenv(name, raising=False)
    command = ssh_client.git_env(None)["GIT_SSH_COMMAND"]
    assert "ConnectTimeout=10" in command
    assert "ServerAliveInterval=15" in command and "ServerAliveCountMax=3" in command


def test_a_bound_that_is_not_a_positive_number_keeps_the_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(waits.CONNECT_ENV, "soon")
    monkeypatch.setenv(waits.GIT_ENV, "0")
    assert (waits.connect(), waits.git_run()) == (waits.CONNECT_DEFAULT, waits.GIT_DEFAULT)


# -- ssh and git against a silent server ---------------------------------------------------------


@pytest.mark.usefixtures("short_waits")
def test_ls_remote_to_a_silent_server_ends_with_the_wait_named(
    tmp_path: Path, silent: SilentListener
) -> None:
    env = ssh_client.git_env(routed_to(tmp_path, silent.port))
    url = "ssh://git-codecommit.us-east-1.amazonaws.com/v1/repos/r"
    with pytest.raises(git.GitFailed) as failed:
        git.ls_remote(url, env, fresh_upload=False)
    assert silent.accepted >= 1
    found = rules.explain(failed.value.run.stderr, rules.Context(region="us-east-1", repo="r"))
    assert found.kind == "timeout"
    assert f"127.0.0.1 port {silent.port} accepted the connection" in found.cause
    assert "within 2 s (ssh's ConnectTimeout)" in found.cause
    assert f"outbound port {silent.port}" in found.fix  # the port ssh used, not 22


def test_git_that_never_finishes_is_stopped_at_its_bound(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bound behind ssh's own: a connection that never gives up (here a GIT_SSH_COMMAND
    that only sleeps) is stopped when git's whole run is over its time."""
    monkeypatch.setenv(waits.GIT_ENV, "1")
    env = {**git.no_prompt_env(), "GIT_SSH_COMMAND": "sleep 617 #"}
    with pytest.raises(git.GitFailed) as failed:
        git.ls_remote("ssh://example.invalid/r", env, fresh_upload=False)
    assert failed.value.run.returncode != 0
    found = rules.explain(failed.value.run.stderr, rules.Context())
    assert found.kind == "timeout"
    assert "git had not finished after 1 s, and was stopped" in found.cause
    assert waits.GIT_ENV in found.fix
    assert not _sleepers(), "git's ssh outlived the run"


def _sleepers() -> list[str]:
    done = subprocess.run(["pgrep", "-f", "^sleep 617"], capture_output=True, text=True)
    return done.stdout.split()


def test_a_server_that_stops_answering_is_given_up_after_the_keepalives() -> None:
    stderr = "Timeout, server 127.0.0.1 not responding.\r\nfatal: the remote end hung up\n"
    found = rules.explain(stderr, rules.Context())
    assert found.kind == "timeout"
    assert re.search(r"no reply to 3 keep-alives sent \d+ s apart", found.cause)


def test_a_server_that_hangs_up_names_the_port_ssh_used() -> None:
    stderr = (
        "kex_exchange_identification: Connection closed by remote host\n"
        "Connection closed by 127.0.0.1 port 2222\n"
    )
    found = rules.explain(stderr, rules.Context())
    assert found.kind == "unreachable"
    assert "127.0.0.1 port 2222" in found.cause and "outbound port 2222" in found.fix


# -- the host-key read ---------------------------------------------------------------------------


@pytest.mark.usefixtures("short_waits")
def test_the_host_key_read_says_the_server_did_not_answer(silent: SilentListener) -> None:
    target = hostkeys.Target("h", "127.0.0.1", silent.port, "h", (), (), False)
    with pytest.raises(PortUnreachable) as refused:
        hostkeys.fetch_offer(target)
    assert "No existing session" not in refused.value.cause
    assert f"port {silent.port} accepted the connection but did not answer within 2 seconds" in (
        refused.value.cause
    )


# -- end to end: the commands ---------------------------------------------------------------------


def _reroute(case: SandboxCase, port: int) -> None:
    config = case.ssh_dir / "config"
    text = config.read_text()
    assert f"Port {case.server.port}" in text
    config.write_text(text.replace(f"Port {case.server.port}", f"Port {port}"))


@pytest.mark.e2e
def test_rotate_against_a_silent_server_fails_with_exit_7(
    sandbox: SandboxCase, silent: SilentListener
) -> None:
    repo, _ = sandbox.set_up()
    _reroute(sandbox, silent.port)
    sandbox.env |= SHORT
    done = sandbox.run("rotate", "--repo", repo, "--yes")
    assert done.returncode == EXIT_GIT, done.stderr
    assert "Traceback" not in done.stderr
    assert "sent nothing within 2 s (ssh's ConnectTimeout)" in done.stderr


@pytest.mark.e2e
def test_init_retest_against_a_silent_server_names_the_wait(
    sandbox: SandboxCase, silent: SilentListener
) -> None:
    repo, _ = sandbox.set_up()
    _reroute(sandbox, silent.port)
    sandbox.env |= SHORT
    done = sandbox.run(*sandbox.init_args("--repo", repo, "--retest"))
    assert done.returncode == EXIT_HOST_KEY, done.stderr  # the host key could not be read
    assert "Traceback" not in done.stderr
    assert "No existing session" not in done.stderr
    assert f"port {silent.port} accepted the connection but did not answer within 2 seconds" in (
        done.stderr
    )
