"""InitAnswers for tests: what unattended flags would give, with a key and an ssh config in
`folder`; each test changes what it is about."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from bootstrap.init.answers import InitAnswers


def sample_answers(folder: Path, **changes: Any) -> InitAnswers:
    answers = InitAnswers(
        profile=None,
        region="us-east-1",
        user=None,
        key_path=folder / "codecommit_rsa",
        key_bits=2048,
        passphrase=None,
        repo="r",
        clone=True,
        clone_dir=None,
        ssh_config=folder / "config",
        ssh_config_is_default=True,
        accept_host_key=None,
    )
    return replace(answers, **changes)
