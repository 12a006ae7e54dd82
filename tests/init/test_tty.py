"""The real `bootstrap init` in a pseudo-terminal: the wizard as a new hire sees it.

pexpect drives `python -m bootstrap init` against the moto server and the real sshd, waiting
on the prompts' text (never on time) and pressing keys. moto has no ListRepositories, so the
wizard says why and asks for the name: that is the path these tests take.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from terminal import finish, spawn

from sandbox.case import SandboxCase

pytestmark = pytest.mark.e2e

ENTER, ESC, CTRL_C = "\r", "\x1b", "\x03"
# SGR parameters that set a color (foreground, background, 256/true color).
_COLOR = re.compile(r"\x1b\[(?:[0-9;]*;)?(?:3[0-9]|4[0-9]|9[0-7]|10[0-7])(?:;[0-9;]*)?m")


def answer(child: Any, prompt: str, keys: str = ENTER) -> None:
    child.expect_exact(prompt)
    child.send(keys)


def through_the_questions(child: Any, repo: str) -> None:
    """Enter through every default; type the repository name, which moto cannot list."""
    answer(child, "AWS region")
    answer(child, "Set up SSH access for IAM user")
    answer(child, "Passphrase for the new key")
    child.expect_exact("Cannot list the repositories: CodeCommit in us-east-1 answered")
    answer(child, "Repository name", repo + ENTER)
    answer(child, "Clone the repository")
    answer(child, "Directory for the clone")


def test_enter_through_the_defaults_ends_in_a_clone(sandbox: SandboxCase) -> None:
    sandbox.write_routing()
    sandbox.trust_host_key()
    repo = sandbox.create_repo()
    child = spawn(sandbox, "init", "--key-bits", "2048", NO_COLOR="1")
    through_the_questions(child, repo)
    child.expect_exact("Summary")
    answer(child, "Go ahead?")
    child.expect_exact(f"Next: cd {repo}\r\n")  # just cloned: no `git pull` to suggest
    assert finish(child) == 0, child.transcript.getvalue()
    transcript = child.transcript.getvalue()
    assert (sandbox.home / repo / "README.md").exists()
    assert "Cloning into" in transcript  # git's own progress came through
    assert f"✓ test clone   created: {sandbox.clone_url(repo)} into" in transcript
    [registered] = sandbox.iam_keys()
    assert f"User {registered['SSHPublicKeyId']}" in (sandbox.home / ".ssh/config").read_text()
    assert not _COLOR.search(transcript), "NO_COLOR=1, yet something was colored"
    # What the closing line says works, with plain git.
    pull = sandbox.git("pull", cwd=sandbox.home / repo)
    assert pull.returncode == 0, pull.stderr


def test_ctrl_c_at_a_prompt_stops_and_changes_nothing(sandbox: SandboxCase) -> None:
    sandbox.write_routing()
    before = sandbox.snapshot()
    child = spawn(sandbox, "init", "--key-bits", "2048")
    answer(child, "AWS region", CTRL_C)
    child.expect_exact("Stopped by user (nothing was changed)")
    assert finish(child) == 130
    assert "Traceback" not in child.transcript.getvalue()
    assert sandbox.snapshot() == before


def test_esc_at_the_summary_stops_and_changes_nothing(sandbox: SandboxCase) -> None:
    sandbox.write_routing()
    sandbox.trust_host_key()
    repo = sandbox.create_repo()
    before = sandbox.snapshot()
    child = spawn(sandbox, "init", "--key-bits", "2048")
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
    assert sandbox.snapshot() == before
    assert sandbox.iam_keys() == []


def test_a_rerun_that_changes_nothing_asks_no_go_ahead_and_checks_access(
    sandbox: SandboxCase,
) -> None:
    repo = sandbox.ready()
    assert sandbox.init("--repo", repo).returncode == 0
    before = sandbox.snapshot()
    child = spawn(sandbox, "init", "--region", sandbox.region, "--repo", repo, NO_COLOR="1")
    answer(child, "Set up SSH access for IAM user")
    answer(child, "SSH key for CodeCommit")  # the default: the key already set up
    answer(child, "Clone the repository", "\x1b[B" + ENTER)  # the throw-away test clone
    child.expect_exact("verified: git ls-remote")
    assert finish(child) == 0, child.transcript.getvalue()
    transcript = child.transcript.getvalue()
    assert "Go ahead?" not in transcript and "Summary" not in transcript
    assert sandbox.snapshot() == before
