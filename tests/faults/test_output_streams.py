"""Output that has nowhere to go, or cannot be encoded, never ends a run (issue 15, section 4,
"Signals, pipes and encodings")."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest

from bootstrap.ui import streams
from sandbox.case import SandboxCase


@pytest.mark.e2e
def test_a_reader_that_left_does_not_undo_a_finished_setup(sandbox: SandboxCase) -> None:
    """`bootstrap init | true`: the pipe's reader is gone before the first line."""
    repo = sandbox.ready()
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "bootstrap", *sandbox.init_args("--repo", repo)],
            env=sandbox.env,
            cwd=sandbox.home,
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=300,
            check=False,
        )
    finally:
        os.close(write_end)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr
    assert len(sandbox.iam_keys()) == 1  # the setup stayed
    assert "# >>> bootstrap" in (sandbox.ssh_dir / "config").read_text()


@pytest.mark.e2e
def test_an_ascii_only_output_gets_plain_marks(sandbox: SandboxCase) -> None:
    repo = sandbox.ready()
    sandbox.env["PYTHONIOENCODING"] = "ascii"
    done = sandbox.init("--repo", repo)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "+ identity" in done.stdout and "✓" not in done.stdout


def test_plain_marks_replace_only_what_cannot_be_encoded() -> None:
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="latin-1", errors=streams.PLAIN)
    stream.write("✓ clé → ok…\n")
    stream.flush()
    assert raw.getvalue().decode("latin-1") == "+ clé -> ok...\n"
