"""`bootstrap git-credential --mfa get`: sign with the profile's MFA session (mfa_session.py).

A valid cached session is read and used: no AWS SDK is imported, no request is made. When it
has expired (or there is none), git holds our stdin and stdout, so the code is asked on the
terminal itself, `/dev/tty`, as ssh asks for a passphrase: a few tries on a wrong code, then the
new session is cached and signs. With no terminal to open (a CI job, an IDE, `setsid`), or when
git was told not to prompt (`GIT_TERMINAL_PROMPT=0`, as `bootstrap init`'s test clone runs it),
it fails at once with one line that names `bootstrap mfa`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from types import TracebackType

from bootstrap.https import mfa_session
from bootstrap.https.shared_files import Credentials

TTY = "/dev/tty"
DEFAULT_REGION = "us-east-1"  # STS's region when git's request names none (it always does)
_FALSE = ("0", "false", "no", "off")


class Terminal:
    """The controlling terminal, opened for the questions of one helper run."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def __enter__(self) -> Terminal:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        os.close(self.fd)

    def say(self, line: str) -> None:
        os.write(self.fd, f"{line}\n".encode())

    def ask(self, question: str) -> str:
        """`question: ` and the line typed, not echoed (echo is off before the question shows,
        as getpass does). EOFError on Ctrl-D."""
        try:
            import termios
        except ImportError:  # not a POSIX terminal: read it echoed
            return self._asked(question)
        try:
            before = termios.tcgetattr(self.fd)
        except termios.error:
            return self._asked(question)
        quiet = list(before)
        quiet[3] &= ~termios.ECHO
        termios.tcsetattr(self.fd, termios.TCSAFLUSH, quiet)
        try:
            return self._asked(question)
        finally:
            termios.tcsetattr(self.fd, termios.TCSADRAIN, before)
            os.write(self.fd, b"\n")  # the Enter that was not echoed

    def _asked(self, question: str) -> str:
        os.write(self.fd, f"{question}: ".encode())
        line = self._read()
        if line is None:
            raise EOFError
        return line

    def _read(self) -> str | None:
        data = b""
        while not data.endswith(b"\n"):
            chunk = os.read(self.fd, 256)
            if not chunk:
                return None if not data else data.decode("utf-8", "replace").strip()
            data += chunk
        return data.decode("utf-8", "replace").strip()


def open_terminal() -> Terminal | None:
    """/dev/tty, or None: no controlling terminal, or GIT_TERMINAL_PROMPT says not to ask."""
    if os.environ.get("GIT_TERMINAL_PROMPT", "").strip().lower() in _FALSE:
        return None
    try:
        return Terminal(os.open(TTY, os.O_RDWR | os.O_NOCTTY))
    except OSError:
        return None


def credentials(
    profile: str | None,
    region: str | None,
    terminal: Callable[[], Terminal | None] = open_terminal,
    now: datetime | None = None,
) -> Credentials:
    """The session's credentials: cached and valid, else a new session started at the terminal
    (STS in `region`: the repository's). Raises SessionExpired when there is no terminal."""
    found = mfa_session.cached(profile)
    if found is not None and found.valid_at(now):
        return found.credentials
    tty = terminal()
    if tty is None:
        raise mfa_session.SessionExpired(profile, found)
    from bootstrap.https import mfa_sts

    with tty:
        gone = mfa_session.SessionExpired(profile, found).cause
        tty.say(f"bootstrap git-credential: {gone}; starting a new one")
        serial = found.serial if found is not None else None
        duration = mfa_session.last_duration(found)
        starter = mfa_sts.Starter(profile, region or DEFAULT_REGION, serial, duration)
        try:
            session = mfa_sts.start_asking(starter, tty.ask, tty.say)
        except EOFError:
            raise mfa_session.SessionExpired(profile, found) from None
        tty.say(f"bootstrap git-credential: MFA session {session.describe()}")
    return session.credentials
