"""Build the LD_PRELOAD user-database shim (userdb_shim.c) and the env that turns it on.

ssh finds ~/.ssh through the user database, not $HOME; `home_env(home)` makes the real ssh,
`ssh -G`, git and Python's pwd module all see `home` as the account's home. The sshd double uses
the same library with SANDBOX_KEYID_ACCOUNT (see userdb_shim.c).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

SOURCE = Path(__file__).with_name("userdb_shim.c")
REPO_ROOT = Path(__file__).resolve().parent.parent

ENV_HOME = "SANDBOX_PW_HOME"
ENV_KEYID_ACCOUNT = "SANDBOX_KEYID_ACCOUNT"


class ShimBuildError(RuntimeError):
    pass


def build_dir() -> Path:
    """repo-root/.sandbox-build, or a per-user temp dir when the checkout is not writable."""
    preferred = REPO_ROOT / ".sandbox-build"
    try:
        preferred.mkdir(exist_ok=True)
        if os.access(preferred, os.W_OK):
            return preferred
    except OSError:
        pass
    fallback = Path(tempfile.gettempdir()) / f"sandbox-build-{os.getuid()}"
    fallback.mkdir(mode=0o700, exist_ok=True)
    return fallback


def build_shim() -> Path:
    """Compile the shim once per source version; return the .so path.

    The output is named by the source's hash, so an edited source gets a new build and stale
    ones are never used; each build goes to a private temp name and is renamed into place, so
    parallel builds (pytest-xdist, two checkouts) cannot see a half-written library.
    """
    digest = hashlib.sha256(SOURCE.read_bytes()).hexdigest()[:16]
    target = build_dir() / f"userdb_shim-{digest}.so"
    if target.exists():
        return target
    gcc = shutil.which("gcc") or shutil.which("cc")
    if gcc is None:
        raise ShimBuildError("gcc is needed to build the userdb shim (apt-get install gcc)")
    fd, tmp_name = tempfile.mkstemp(prefix=".userdb_shim-", suffix=".so", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        built = subprocess.run(
            [
                gcc,
                "-shared",
                "-fPIC",
                "-O2",
                "-Wall",
                "-Wextra",
                "-o",
                str(tmp),
                str(SOURCE),
                "-ldl",
            ],
            capture_output=True,
            text=True,
        )
        if built.returncode != 0:
            raise ShimBuildError(f"gcc failed to build {SOURCE.name}:\n{built.stderr}")
        tmp.chmod(0o755)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    # Older builds are kept: another run may still point LD_PRELOAD at one, and a missing
    # preload library is silently ignored by ld.so (ssh would then read the real ~/.ssh).
    return target


def home_env(home: Path) -> dict[str, str]:
    """Env that makes ssh/git/pwd see `home` as the current account's home directory."""
    return {"LD_PRELOAD": str(build_shim()), ENV_HOME: str(home)}


def keyid_env(account: str) -> dict[str, str]:
    """Env for sshd: any login name starting with APKA maps to `account`."""
    return {"LD_PRELOAD": str(build_shim()), ENV_KEYID_ACCOUNT: account}
