"""ParamikoCodeCommit: the CodeCommit double in-process (threads), no sshd and no root needed.

Same interface as sshd.OpenSshCodeCommit, for `make demo` on a laptop. Login name = key id; a
public key is accepted only if IAM has an Active key with that id whose body is the offered key.
Exec requests go through the same decision as the sshd forced command (gitaccess.decide); an
allowed one runs git-upload-pack / git-receive-pack as a subprocess, pumped both ways.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import subprocess
import threading
from pathlib import Path
from typing import Any

import paramiko

from sandbox.gitaccess import ACCESS_LOG, KEYS_LOG, append_log, decide
from sandbox.githost import GitHost
from sandbox.iam import MotoIam
from sandbox.net import LOCALHOST

CHUNK = 32768
log = logging.getLogger(__name__)
# A client that only reads the host key and hangs up is normal here, not worth a stderr line.
logging.getLogger("paramiko.transport").setLevel(logging.CRITICAL)


def _key_blob(body: str) -> str:
    words = body.split()
    return words[1] if len(words) >= 2 else ""


class _Session(paramiko.ServerInterface):  # type: ignore[misc]
    """One connection: authenticates a key id, then serves one exec request per channel."""

    def __init__(self, host: ParamikoCodeCommit) -> None:
        self.host = host
        self.user_name: str | None = None

    def get_allowed_auths(self, username: str) -> str:
        return "publickey"

    def check_auth_publickey(self, username: str, key: paramiko.PKey) -> int:
        found = self.host.iam.find_ssh_key(username)
        if found is None:
            verdict = "unknown key id"
        elif found[1] != "Active":
            verdict = f"{found[1]} key of {found[0]}"
        elif _key_blob(found[2]) != key.get_base64():
            verdict = f"offered key is not the body of {found[0]}'s key"
        else:
            verdict = f"Active key of {found[0]}"
            self.user_name = found[0]
        append_log(self.host.workdir, KEYS_LOG, f"{username}: {verdict}")
        return int(paramiko.AUTH_SUCCESSFUL if self.user_name else paramiko.AUTH_FAILED)

    def check_channel_request(self, kind: str, chanid: int) -> int:
        if kind == "session":
            return int(paramiko.OPEN_SUCCEEDED)
        return int(paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED)

    def check_channel_exec_request(self, channel: paramiko.Channel, command: bytes) -> bool:
        return self._serve(channel, command.decode("utf-8", "replace"))

    def check_channel_shell_request(self, channel: paramiko.Channel) -> bool:
        """A plain `ssh HOST`: served like sshd's forced command with no original command."""
        return self._serve(channel, None)

    def _serve(self, channel: paramiko.Channel, command: str | None) -> bool:
        if self.user_name is None:
            return False
        thread = threading.Thread(
            target=self.host._serve_exec, args=(channel, command, self.user_name), daemon=True
        )
        thread.start()
        return True


def _pump_in(channel: paramiko.Channel, sink: Any) -> None:
    """Client -> process stdin, until the client sends EOF or the channel closes."""
    try:
        while data := channel.recv(CHUNK):
            sink.write(data)
            sink.flush()
    except (OSError, EOFError):
        pass
    finally:
        with contextlib.suppress(OSError):
            sink.close()


def _pump_out(source: Any, send: Any) -> None:
    while data := source.read1(CHUNK):
        send(data)


class ParamikoCodeCommit(GitHost):
    """An in-process SSH server playing git-codecommit.REGION.amazonaws.com on 127.0.0.1."""

    def __init__(self, workdir: Path, iam: MotoIam, region: str = "us-east-1") -> None:
        super().__init__(workdir, region)
        self.iam = iam
        self._listener: socket.socket | None = None
        self._accept_thread: threading.Thread | None = None
        self._transports: list[paramiko.Transport] = []
        self._lock = threading.Lock()
        self._host_key: paramiko.PKey | None = None

    def start(self) -> None:
        self._prepare()
        self._host_key = paramiko.RSAKey.from_private_key_file(str(self.host_key_path))
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((LOCALHOST, 0))
        listener.listen(16)
        self.port = int(listener.getsockname()[1])
        self._listener = listener  # listening before start() returns: no wait needed
        self._accept_thread = threading.Thread(target=self._accept_loop, daemon=True)
        self._accept_thread.start()

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while True:
            try:
                conn, _addr = self._listener.accept()
            except OSError:
                return  # stop() shut the listener down
            transport = paramiko.Transport(conn)
            transport.add_server_key(self._host_key)
            with self._lock:
                self._transports = [t for t in self._transports if t.is_active()]
                self._transports.append(transport)
            try:
                transport.start_server(server=_Session(self))
            except (paramiko.SSHException, EOFError, OSError) as error:
                log.info("ssh negotiation failed: %s", error)
                transport.close()

    def _serve_exec(self, channel: paramiko.Channel, command: str | None, user_name: str) -> None:
        code = 1
        try:
            outcome = decide(
                command,
                repos_dir=self.repos_dir,
                iam=self.iam.client("iam"),
                user_name=user_name,
                region=self.region,
                base_env=os.environ,
            )
            append_log(self.workdir, ACCESS_LOG, f"{user_name} {command!r} {outcome.summary}")
            if not outcome.allowed:
                channel.sendall_stderr(outcome.text.encode())
                code = outcome.exit_code
            else:
                code = self._run(channel, outcome.argv, outcome.env)
        except Exception as error:  # the client sees it instead of a hang; the test shows it
            log.exception("serving %r failed", command)
            channel.sendall_stderr(f"sandbox server error: {error!r}\n".encode())
        finally:
            with contextlib.suppress(OSError, EOFError, paramiko.SSHException):
                channel.send_exit_status(code)
                channel.shutdown_write()
            channel.close()

    @staticmethod
    def _run(channel: paramiko.Channel, argv: list[str], env: dict[str, str]) -> int:
        proc = subprocess.Popen(
            argv, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        feeder = threading.Thread(target=_pump_in, args=(channel, proc.stdin), daemon=True)
        errors = threading.Thread(
            target=_pump_out, args=(proc.stderr, channel.sendall_stderr), daemon=True
        )
        feeder.start()
        errors.start()
        _pump_out(proc.stdout, channel.sendall)
        errors.join()
        return proc.wait()

    def stop(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        if self._accept_thread is not None:
            self._accept_thread.join(timeout=10)
            self._accept_thread = None
        with self._lock:
            transports, self._transports = self._transports, []
        for transport in transports:
            transport.close()
