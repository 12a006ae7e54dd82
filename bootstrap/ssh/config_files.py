"""Which files the local ssh reads, and what it refuses in them: asked of ssh, not assumed.

- ssh reads ~/.ssh/config from the account's home in the user database, not from $HOME (but
  glibc's glob expands `~` in an `Include` from $HOME); a --ssh-config file elsewhere is read
  only with `ssh -F`, or through an `Include`.
- the system-wide ssh_config is read after the user's.
- OpenSSH reads a UTF-8 byte-order mark as part of the first keyword, and refuses a config
  that group or others may write.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path

from bootstrap.errors import LocalFileError
from bootstrap.ssh import client as ssh_client
from bootstrap.ssh import locations

_READING = re.compile(r"Reading configuration data (.+)$", re.MULTILINE)
_BAD_PERMISSIONS = re.compile(r"Bad owner or permissions on (\S+)")


def system_config() -> Path | None:
    """The system-wide ssh_config this ssh reads after the user's: /etc/ssh/ssh_config, or
    PREFIX/etc/ssh/ssh_config for an ssh installed under a prefix (Homebrew). Only a file ssh
    would also accept as an Include (owned by root or us, not writable by others)."""
    candidates = []
    found = shutil.which("ssh")
    if found:
        prefix = Path(found).resolve().parent.parent
        if prefix not in (Path("/usr"), Path("/")):
            candidates.append(prefix / "etc" / "ssh" / "ssh_config")
    candidates.append(Path("/etc/ssh/ssh_config"))
    for candidate in candidates:
        try:
            info = candidate.stat()
        except OSError:
            continue
        if info.st_uid in (0, os.getuid()) and not info.st_mode & 0o022:
            return candidate
    return None


@lru_cache(maxsize=1)
def refuses_bom() -> bool:
    """Does this ssh fail on a config that starts with a UTF-8 byte-order mark?"""
    fd, name = tempfile.mkstemp(prefix="bootstrap-bom-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write("\ufeffHost bom.invalid\n".encode())
        return ssh_client.run("-G", "bom.invalid", config=Path(name)).returncode != 0
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)


def files_read_for(host: str) -> list[Path] | None:
    """Every config file plain `ssh HOST` reads (Includes that apply to HOST too), in order;
    None if ssh cannot read its config."""
    done = ssh_client.run("-v", "-G", host)
    if done.returncode != 0:
        return None
    return [Path(name.strip()) for name in _READING.findall(done.stderr)]


def read_by_default(path: Path, host: str) -> bool:
    """Does plain `ssh HOST` read `path` (it is the default config, or Included by it)?"""
    read = files_read_for(host)
    if read is None:
        return False
    wanted = os.path.realpath(path)
    return any(os.path.realpath(name) == wanted for name in read)


def explain_refusal(error: LocalFileError, temp_name: str, real_path: Path) -> LocalFileError:
    """ssh's complaint about a temporary copy, told about the real file, with the fix."""
    cause = error.cause.replace(temp_name, str(real_path))
    fix = error.fix.replace(temp_name, str(real_path))
    bad = _BAD_PERMISSIONS.search(cause)
    if bad:
        fix = f"chmod go-w {bad.group(1)} (ssh refuses a config others can write), then run again"
    return LocalFileError(cause, fix, details=error.details)


def location_warnings(ssh_config: Path, is_default: bool, host: str) -> list[str]:
    """Say where ssh really looks, when that is not where the user may think."""
    default = locations.default_ssh_config()
    if is_default:
        env_home = os.environ.get("HOME")
        home = locations.ssh_home()
        if env_home and Path(env_home).resolve() != home.resolve():
            return [
                f"$HOME is {env_home} but ssh takes ~ from the user database: {home}; "
                f"bootstrap writes the key and config in {home}/.ssh, where ssh reads them "
                "(note that `Include ~/…` lines in that config follow $HOME)"
            ]
        return []
    if ssh_config.exists() and read_by_default(ssh_config, host):
        return [f"ssh reads {ssh_config} through an Include in {default}; checked as such"]
    return [
        f"ssh reads {default} by default, not {ssh_config}: plain ssh and git will not use "
        f"this block. bootstrap checks it with `ssh -F {ssh_config}`, and so must you "
        f"(GIT_SSH_COMMAND='ssh -F {ssh_config}'), or add `Include {ssh_config}` at the top "
        f"of {default}"
    ]
