"""OpenSshCodeCommit: a real OpenSSH sshd on 127.0.0.1 that plays CodeCommit.

Login name = SSH key id. The user-database shim (SANDBOX_KEYID_ACCOUNT) maps every APKA... name
to the account running sshd, the AuthorizedKeysCommand (sandbox.authorized_keys) accepts a key
only if IAM has it Active under that id, and its forced command (sandbox.codecommit) does
CodeCommit's access check before running git-upload-pack / git-receive-pack.

Runs as root (needs /run/sshd, created here) or as any user (then it can only log in as that
user, which is what the key-id mapping uses). Host-key checking on the client is never relaxed:
clients trust `known_hosts_line()` explicitly.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
from pathlib import Path

from sandbox.authorized_keys import REPO_ROOT
from sandbox.githost import GitHost
from sandbox.iam import MotoIam
from sandbox.net import LOCALHOST, ServerDidNotStart, free_port, wait_for_port
from sandbox.userdb import ENV_HOME, keyid_env

SSHD_CANDIDATES = ("/usr/sbin/sshd", "/usr/local/sbin/sshd", "/sbin/sshd")
PRIVSEP_DIR = Path("/run/sshd")
# The AuthorizedKeysCommand program and every folder above it must be root-owned and not
# group/world-writable; /usr/bin/env is, and it takes the interpreter and script as arguments.
ENV_PROGRAM = "/usr/bin/env"
# Options newer OpenSSH needs and older refuses: probed with `sshd -t` before use.
OPTIONAL_OPTIONS = ("PerSourcePenalties no",)  # 9.8+: don't penalise our deliberate failures


def find_sshd() -> str | None:
    """Absolute path of sshd (it must be started by absolute path to re-exec itself)."""
    for candidate in SSHD_CANDIDATES:
        if os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which("sshd")
    return str(Path(found).resolve()) if found else None


def _account() -> str:
    return pwd.getpwuid(os.getuid()).pw_name


def _no_space(value: str) -> str:
    if any(ch.isspace() for ch in value) or "%" in value:
        raise ValueError(f"sshd_config cannot take this path as written: {value!r}")
    return value


class OpenSshCodeCommit(GitHost):
    """A real sshd playing git-codecommit.REGION.amazonaws.com on 127.0.0.1:`port`."""

    def __init__(self, workdir: Path, iam: MotoIam, region: str = "us-east-1") -> None:
        super().__init__(workdir, region)
        self.iam = iam
        self.account = _account()
        self.config_path = self.workdir / "sshd_config"
        self.log_path = self.workdir / "sshd.log"
        # The sessions' HOME: the forced command never runs in the real account's home.
        self.account_home = self.workdir / "account-home"
        self._proc: subprocess.Popen[bytes] | None = None

    # --- configuration --------------------------------------------------------------------

    def authorized_keys_command(self) -> str:
        args = [
            ENV_PROGRAM,
            f"PYTHONPATH={REPO_ROOT}",
            "AWS_CONFIG_FILE=/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
            sys.executable,
            "-m",
            "sandbox.authorized_keys",
            "--state",
            str(self.workdir),
            "--endpoint",
            self.iam.endpoint,
            "--region",
            self.region,
            "--python",
            sys.executable,
        ]
        return " ".join(_no_space(arg) for arg in args) + " %u"

    def config_text(self, extra: tuple[str, ...] = ()) -> str:
        lines = [
            f"Port {self.port}",
            f"ListenAddress {LOCALHOST}",
            f"HostKey {_no_space(str(self.host_key_path))}",
            "PidFile none",
            "UsePAM no",
            "PubkeyAuthentication yes",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "HostbasedAuthentication no",
            "AuthorizedKeysFile none",
            f"AuthorizedKeysCommand {self.authorized_keys_command()}",
            f"AuthorizedKeysCommandUser {self.account}",
            "StrictModes yes",
            "PermitUserEnvironment no",
            "PermitUserRC no",
            "PermitRootLogin prohibit-password",
            "DisableForwarding yes",
            "PermitTTY no",
            "PrintMotd no",
            "PrintLastLog no",
            "UseDNS no",
            "MaxStartups 50:30:100",
            "LogLevel VERBOSE",
            *extra,
        ]
        return "\n".join(lines) + "\n"

    def _write_config(self, sshd: str) -> None:
        extra: list[str] = []
        for option in OPTIONAL_OPTIONS:
            self.config_path.write_text(self.config_text((*extra, option)))
            probe = subprocess.run(
                [sshd, "-t", "-f", str(self.config_path)], capture_output=True, text=True
            )
            if probe.returncode == 0:
                extra.append(option)
        self.config_path.write_text(self.config_text(tuple(extra)))
        self.config_path.chmod(0o600)

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        sshd = find_sshd()
        if sshd is None:
            raise ServerDidNotStart("sshd not found (apt-get install openssh-server)")
        if not self.iam.endpoint:
            raise RuntimeError("start the MotoIam server first")
        self._prepare()
        self.account_home.mkdir(mode=0o700, exist_ok=True)
        if os.getuid() == 0:
            PRIVSEP_DIR.mkdir(mode=0o755, exist_ok=True)
        env = {
            "PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"),
            "LANG": "C.UTF-8",
            **keyid_env(self.account),
            ENV_HOME: str(self.account_home),
        }
        for _attempt in range(3):  # another process may take the free port before sshd binds
            self.port = free_port()
            self._write_config(sshd)
            self._proc = subprocess.Popen(
                [sshd, "-D", "-f", str(self.config_path), "-E", str(self.log_path)],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                wait_for_port(self.port, proc=self._proc)
                return
            except ServerDidNotStart:
                self.stop()
                if "Address already in use" not in self.log_text():
                    raise ServerDidNotStart(f"sshd did not start:\n{self.log_text()}") from None
        raise ServerDidNotStart(f"sshd could not bind a port:\n{self.log_text()}")

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None
