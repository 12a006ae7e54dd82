"""The real `bootstrap init` in a pseudo-terminal: the wizard as a new hire sees it.

pexpect drives `python -m bootstrap init` against the moto server and the real sshd, waiting
on the prompts' text (never on time) and pressing keys. moto has no ListRepositories, so the
wizard says why and asks for the name: that is the path these tests take.
"""

from __future__ import annotations

import io
import re
import stat
import sys
from pathlib import Path
from typing import Any

import pexpect
import pytest

from sandbox.case import SandboxCase

pytestmark = pytest.mark.e2e

ENTER, ESC, CTRL_C = "\r", "\x1b", "\x03"
# SGR parameters that set a color (foreground, background, 256/true color).
_COLOR = re.compile(r"\x1b\[(?:[0-9;]*;)?(?:3[0-9]|4[0-9]|9[0-7]|10[0-7])(?:;[0-9;]*)?m")


def snapshot(home: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(path.relative_to(home)): (
            path.read_bytes() if path.is_file() else b"",
            stat.S_IMODE(path.lstat().st_mode),
        )
        for path in sorted(home.rglob("*"))
    }


def spawn(case: SandboxCase, *flags: str, **env: str) -> Any:
    """`bootstrap init` on a terminal, in the case's home; the transcript in .transcript."""
    child = pexpect.spawn(
        sys.executable,
        ["-m", "bootstrap", "init", *flags],
        # No CPR: nothing here answers prompt_toolkit's cursor-position query.
        env=case.env | {"TERM": "xterm-256color", "PROMPT_TOOLKIT_NO_CPR": "1"} | env,
        cwd=str(case.home),
        encoding="utf-8",
        codec_errors="replace",
        dimensions=(60, 200),
        timeout=90,
    )
    child.transcript = io.StringIO()
    child.logfile_read = child.transcript
    return child


def answer(child: Any, prompt: str, keys: str = ENTER) -> None:
    child.expect_exact(prompt)
    child.send(keys)


def finish(child: Any) -> int:
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus is not None, child.transcript.getvalue()
    return int(child.exitstatus)


def through_the_questions(child: Any, repo: str) -> None:
    """Enter through every default; type the repository name, which moto cannot list."""
    answer(child, "AWS region of the repository")
    answer(child, "Set up SSH access for IAM user")
    answer(child, "Passphrase for the new key")
    child.expect_exact("Cannot list the repositories: CodeCommit in us-east-1 answered")
    answer(child, "Repository name", repo + ENTER)
    answer(child, "Clone the repository")
    answer(child, "Directory for the clone")


def iam_keys(case: SandboxCase) -> list[Any]:
    reply = case.iam.client("iam").list_ssh_public_keys(UserName=case.user_name)
    return list(reply["SSHPublicKeys"])


def test_enter_through_the_defaults_ends_in_a_clone(sandbox: SandboxCase) -> None:
    sandbox.write_routing()
    sandbox.trust_host_key()
    repo = sandbox.create_repo()
    child = spawn(sandbox, "--key-bits", "2048", NO_COLOR="1")
    through_the_questions(child, repo)
    child.expect_exact("Summary")
    answer(child, "Go ahead?")
    child.expect_exact(f"Next: cd {repo} && git pull")
    assert finish(child) == 0, child.transcript.getvalue()
    transcript = child.transcript.getvalue()
    assert (sandbox.home / repo / "README.md").exists()
    assert "Cloning into" in transcript  # git's own progress came through
    assert f"✓ test clone   created: cloned {sandbox.clone_url(repo)}" in transcript
    [registered] = iam_keys(sandbox)
    assert f"User {registered['SSHPublicKeyId']}" in (sandbox.home / ".ssh/config").read_text()
    assert not _COLOR.search(transcript), "NO_COLOR=1, yet something was colored"
    # What the closing line says works, with plain git.
    pull = sandbox.git("pull", cwd=sandbox.home / repo)
    assert pull.returncode == 0, pull.stderr


def test_ctrl_c_at_a_prompt_stops_and_changes_nothing(sandbox: SandboxCase) -> None:
    sandbox.write_routing()
    before = snapshot(sandbox.home)
    child = spawn(sandbox, "--key-bits", "2048")
    answer(child, "AWS region of the repository", CTRL_C)
    child.expect_exact("Stopped by user (nothing was changed)")
    assert finish(child) == 130
    assert "Traceback" not in child.transcript.getvalue()
    assert snapshot(sandbox.home) == before


def test_esc_at_the_summary_stops_and_changes_nothing(sandbox: SandboxCase) -> None:
    sandbox.write_routing()
    sandbox.trust_host_key()
    repo = sandbox.create_repo()
    before = snapshot(sandbox.home)
    child = spawn(sandbox, "--key-bits", "2048")
    through_the_questions(child, repo)
    child.expect_exact("Summary")
    answer(child, "Go ahead?", ESC)
    child.expect_exact("Stopped by user (nothing was changed)")
    assert finish(child) == 130
    transcript = child.transcript.getvalue()
    summary = transcript[transcript.index("Summary") : transcript.index("Go ahead?")]
    for planned in (
        "+ key          a new RSA 2048 key at ~/.ssh/codecommit_rsa",
        f"+ registration upload the key to {sandbox.user_name}",
        "+ ssh config   ~/.ssh/config: Host git-codecommit.*.amazonaws.com",
        "= host key     git-codecommit.us-east-1.amazonaws.com is known",
        f"+ test clone   clone {sandbox.clone_url(repo)} into {sandbox.home / repo}",
    ):
        assert planned in summary
    assert _COLOR.search(transcript), "a terminal without NO_COLOR gets color"
    assert snapshot(sandbox.home) == before
    assert iam_keys(sandbox) == []
