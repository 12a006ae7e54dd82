"""Where ssh and the AWS SDK look for their files.

ssh takes `~` from the user database (the account's home), not from `$HOME`; the AWS SDK takes
it from `$HOME`. We place ssh files where ssh will read them; config_files.location_warnings says so
when the two differ.
"""

from __future__ import annotations

import os
import pwd
from pathlib import Path


def ssh_home() -> Path:
    """The home directory ssh expands `~` to."""
    return Path(pwd.getpwuid(os.getuid()).pw_dir)


def ssh_dir() -> Path:
    return ssh_home() / ".ssh"


def default_ssh_config() -> Path:
    return ssh_dir() / "config"


def default_key_path() -> Path:
    return ssh_dir() / "codecommit_rsa"


def tilde(path: Path) -> str:
    """The path as ssh would accept it in a config, shortened to `~/…` under ssh's home."""
    home = ssh_home()
    try:
        return "~/" + str(path.relative_to(home))
    except ValueError:
        return str(path)


def expand(path: str) -> Path:
    """Expand a user-given path the way ssh does: `~` is the account's home."""
    if path == "~" or path.startswith("~/"):
        return ssh_home() / path[2:]
    return Path(path).absolute()
