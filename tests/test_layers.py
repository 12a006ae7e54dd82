"""The pure modules stay pure: importing one loads no subprocess, socket, AWS SDK, paramiko or
file-writing helper. import-linter (`make lint`) checks what the code imports; this checks what
Python really loads, in a fresh interpreter, the way test_startup checks `--help`."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

PURE = (
    "bootstrap.ssh.managed_block",
    "bootstrap.ssh.config_parse",
    "bootstrap.policy.documents",
    "bootstrap.policy.evaluation",
    "bootstrap.policy.mfa_policy",
    "bootstrap.policy.mfa_grants",
    "bootstrap.diagnosis.context",
    "bootstrap.diagnosis.denies",
    "bootstrap.diagnosis.rules",
    "bootstrap.https.signing",
)
SIDE_EFFECTS = ("subprocess", "socket", "boto3", "botocore", "paramiko", "questionary")
OUR_SIDE_EFFECTS = ("bootstrap.files", "bootstrap.git", "bootstrap.ssh.client")


def loaded_by(module: str) -> set[str]:
    script = f"import importlib, json, sys; importlib.import_module({module!r}); "
    script += "print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    return set(json.loads(done.stdout))


@pytest.mark.parametrize("module", PURE)
def test_a_pure_module_loads_nothing_that_acts(module: str) -> None:
    loaded = loaded_by(module)
    assert module in loaded, "the module itself was not loaded: the check would be blind"
    assert not sorted(m for m in loaded if m.split(".")[0] in SIDE_EFFECTS)
    assert not sorted(loaded & set(OUR_SIDE_EFFECTS))
