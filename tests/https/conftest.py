"""Fixtures of the HTTPS tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture
def aws_free_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary home with an empty ~/.aws, no AWS_* settings from the machine, and no
    instance metadata to fall back on."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    (tmp_path / ".aws").mkdir()
    return tmp_path
