"""Let ssh read a key's passphrase without a terminal, and without it ever touching argv.

ssh asks the SSH_ASKPASS program; ours prints the passphrase from its environment, which only
this user's processes can read.
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

_SECRET_VARIABLE = "BOOTSTRAP_ASKPASS_SECRET"


@contextlib.contextmanager
def environment(passphrase: bytes | None) -> Iterator[dict[str, str]]:
    """Environment additions for ssh; empty when the key has no passphrase."""
    if not passphrase:
        yield {}
        return
    with tempfile.TemporaryDirectory(prefix="bootstrap-askpass-") as scratch:
        program = Path(scratch) / "askpass"
        program.write_text(
            f"#!{sys.executable}\n"
            "import os, sys\n"
            f"sys.stdout.write(os.environ[{_SECRET_VARIABLE!r}] + '\\n')\n"
        )
        program.chmod(0o700)
        yield {
            "SSH_ASKPASS": str(program),
            "SSH_ASKPASS_REQUIRE": "force",
            _SECRET_VARIABLE: passphrase.decode(),
        }
