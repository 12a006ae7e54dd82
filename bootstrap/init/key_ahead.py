"""Generate the new key in a thread while `init` looks around.

RSA 4096 takes about half a second, and anywhere from 0.1 s to over 1 s (finding primes is luck).
cryptography releases the GIL while it works, so a thread overlaps it with the look phase's
imports, AWS calls and host-key read. The key stays in memory until the key step writes it; a
run that stops before then drops it, unwritten.
"""

from __future__ import annotations

import threading
from pathlib import Path

from bootstrap.init.answers import InitAnswers
from bootstrap.ssh import keys


class KeyAhead:
    def __init__(self, path: Path, bits: int, passphrase: bytes | None, comment: str) -> None:
        self.wanted = (path, bits, passphrase)
        self._key: keys.NewKey | None = None
        self._error: BaseException | None = None
        # Not a daemon: Python then joins it before exiting. A daemon thread still inside
        # OpenSSL when an early error ends the run is killed mid-call, and the process aborts
        # (exit 134, "FATAL: exception not rethrown"). Generating takes a second at most.
        self._thread = threading.Thread(
            target=self._generate, args=(bits, passphrase, comment), daemon=False
        )
        self._thread.start()

    def _generate(self, bits: int, passphrase: bytes | None, comment: str) -> None:
        try:
            self._key = keys.new_key(bits, passphrase, comment)
        except BaseException as error:  # handed to the key step, which reports it
            self._error = error

    def result(self) -> keys.NewKey:
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._key is not None
        return self._key


def start_for(path: Path, bits: int, passphrase: bytes | None, dry_run: bool) -> KeyAhead | None:
    """Start generating when the key step will surely create a key: a real run, no key there."""
    if dry_run or path.exists() or keys.public_path_for(path).exists():
        return None
    return KeyAhead(path, bits, passphrase, keys.default_comment())


def start_if_needed(answers: InitAnswers, early: KeyAhead | None = None) -> KeyAhead | None:
    """`early` (wizard.early_key) if it is the key the answers ask for, else a new start."""
    if early is not None and early.wanted == (
        answers.key_path,
        answers.key_bits,
        answers.passphrase,
    ):
        return early
    return start_for(answers.key_path, answers.key_bits, answers.passphrase, answers.dry_run)
