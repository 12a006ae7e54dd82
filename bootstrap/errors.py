"""One exception family: each failure carries what went wrong, how to fix it and an exit code.

`cli.py` prints `error: <cause>` and `  fix: <fix>`, then exits with `exit_code`.
"""

from __future__ import annotations

# Exit codes are a documented contract (README, "Exit codes"); scripts branch on them.
EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_IDENTITY = 3
EXIT_IAM = 4
EXIT_LOCAL = 5
EXIT_HOST_KEY = 6
EXIT_GIT = 7
EXIT_INCOMPLETE = 8  # status: a piece of the setup is missing, or the pieces disagree
EXIT_WOULD_CHANGE = 10
EXIT_INTERRUPTED = 130

# What each code means, word for word as the README's "Exit codes" table says it (a test
# compares them); `--help` lists them from here.
EXIT_CODE_MEANINGS: tuple[tuple[int, str], ...] = (
    (EXIT_OK, "success, whether or not anything changed"),
    (EXIT_INTERNAL, "unexpected internal error (a traceback is shown)"),
    (EXIT_USAGE, "usage: a bad flag, or a missing value with no terminal to ask on"),
    (
        EXIT_IDENTITY,
        "AWS credentials or identity: none found, expired, not an IAM user, AWS unreachable",
    ),
    (
        EXIT_IAM,
        "IAM refused: key limit, key refused, key Inactive, access denied (and `doctor`: a "
        "policy denies SSH git)",
    ),
    (
        EXIT_LOCAL,
        "a local file (key, ssh config, known_hosts, policy file) cannot be used safely",
    ),
    (
        EXIT_HOST_KEY,
        "host key verification failed (mismatch, unpublished and not accepted, or the host "
        "key could not be read)",
    ),
    (
        EXIT_GIT,
        "git could not reach the repository (the test clone or `git ls-remote` failed; "
        "`doctor`: port 22)",
    ),
    (
        EXIT_INCOMPLETE,
        "`status`: the setup is incomplete or inconsistent (it says what is missing)",
    ),
    (EXIT_WOULD_CHANGE, "`init --check`: something would change"),
    (
        EXIT_INTERRUPTED,
        'stopped by user: Ctrl-C or Esc at a question, or "no" to the confirmation (nothing '
        "was changed)",
    ),
)


class BootstrapError(Exception):
    """An expected failure: the user can fix it, so say how."""

    exit_code = EXIT_INTERNAL

    def __init__(self, cause: str, fix: str = "", *, details: dict[str, object] | None = None):
        super().__init__(cause)
        self.cause = cause
        self.fix = fix
        self.details = details or {}


class UsageError(BootstrapError):
    exit_code = EXIT_USAGE


class MissingAnswer(UsageError):
    """A value we would have asked for, with no terminal to ask on."""

    def __init__(self, flag: str, what: str):
        super().__init__(
            f"{what} is needed and there is no terminal to ask on",
            f"pass {flag}",
            details={"flag": flag},
        )
        self.flag = flag


class StoppedByUser(BootstrapError):
    exit_code = EXIT_INTERRUPTED

    def __init__(self) -> None:
        super().__init__("Stopped by user", "nothing was changed")


class IdentityError(BootstrapError):
    """Credentials missing or unusable, or an identity that cannot own SSH keys."""

    exit_code = EXIT_IDENTITY


class IamError(BootstrapError):
    """IAM refused or could not do what the registration step needs."""

    exit_code = EXIT_IAM


class LocalFileError(BootstrapError):
    """A local file (key, ssh config, known_hosts) is not in a state we can safely use."""

    exit_code = EXIT_LOCAL


class HostKeyError(BootstrapError):
    exit_code = EXIT_HOST_KEY


class PortUnreachable(HostKeyError):
    """The SSH port does not answer: HTTPS (port 443) may still work."""


class GitAccessError(BootstrapError):
    """ssh/git could not reach the repository; `cause` carries git's own words."""

    exit_code = EXIT_GIT
