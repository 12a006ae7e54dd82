"""`bootstrap remove` end to end: after a real `init`, against moto and the test sshd.

The contract: the ssh config is byte-identical to what it was before `init` (user edits since
are kept), IAM no longer has our key, known_hosts keeps every line but ours, and the key files
stay unless --delete-key. A second run, or a run with nothing installed, changes nothing.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from sandbox.case import SandboxCase, append_private

pytestmark = pytest.mark.e2e

USER_CONFIG = "# my own settings\nHost myserver\n    HostName example.org\n    User me\n\n"


def remove(case: SandboxCase, *extra: str) -> subprocess.CompletedProcess[str]:
    return case.run("remove", "--region", case.region, *extra)


def actions(done: subprocess.CompletedProcess[str]) -> dict[str, str]:
    return {step["step"]: step["action"] for step in json.loads(done.stdout)["steps"]}


def user_known_hosts(case: SandboxCase) -> str:
    """The user's own lines: another host, and a marked line for a host that is not CodeCommit."""
    key = case.server.host_public_key
    return f"example.org {key}\nother.example {key} added-by-bootstrap\n"


def test_remove_restores_the_config_bytes_and_cleans_iam_and_known_hosts(
    sandbox: SandboxCase,
) -> None:
    sandbox.write_ssh_config(USER_CONFIG)
    repo = sandbox.ready()
    config, known = sandbox.ssh_dir / "config", sandbox.ssh_dir / "known_hosts"
    append_private(known, user_known_hosts(sandbox))
    config_before, known_before = config.read_bytes(), known.read_bytes()
    assert sandbox.init("--repo", repo).returncode == 0
    assert known.read_bytes() != known_before  # init added its (marked) entry
    proof = sandbox.ssh_dir / "bootstrap.verified.json"
    assert proof.exists()  # init's record of the clone that proved the setup

    done = remove(sandbox, "--yes", "--json")

    assert done.returncode == 0, done.stderr
    assert actions(done) == {
        "registration": "deleted",
        "ssh config": "removed",
        "host key": "removed",
        "git": "unchanged",  # an SSH setup wrote no credential section
        "key": "skipped",
    }
    assert config.read_bytes() == config_before
    assert known.read_bytes() == known_before
    assert sandbox.iam_keys() == []
    assert not proof.exists()
    assert (sandbox.ssh_dir / "codecommit_rsa").exists()
    assert (sandbox.ssh_dir / "codecommit_rsa.pub").exists()

    after, again = sandbox.snapshot(), remove(sandbox, "--yes", "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["changed"] is False
    assert sandbox.snapshot() == after


def test_crlf_config_without_final_newline_comes_back_byte_identical(
    sandbox: SandboxCase,
) -> None:
    repo = sandbox.create_repo()
    text = USER_CONFIG + sandbox.server.routing_config(sandbox.region)
    config = sandbox.ssh_dir / "config"
    append_private(config, "")
    config.write_bytes(text.replace("\n", "\r\n").removesuffix("\r\n").encode())
    before = config.read_bytes()
    assert sandbox.init("--repo", repo).returncode == 0
    assert b"\r\n# <<< bootstrap\r\n" in config.read_bytes()
    assert remove(sandbox, "--yes").returncode == 0
    assert config.read_bytes() == before


def test_handwritten_codecommit_lines_come_back_as_they_were(sandbox: SandboxCase) -> None:
    repo = sandbox.ready()
    sandbox.write_ssh_config(
        "Host git-codecommit.*.amazonaws.com\n    User APKAOLDHANDWRITTEN\n"
        "    IdentityFile ~/.ssh/old_rsa\n"
    )
    config = sandbox.ssh_dir / "config"
    before = config.read_bytes()
    assert sandbox.init("--repo", repo).returncode == 0
    assert remove(sandbox, "--yes").returncode == 0
    assert config.read_bytes() == before


def test_edits_made_after_init_outside_the_block_are_kept(sandbox: SandboxCase) -> None:
    repo = sandbox.ready()
    config = sandbox.ssh_dir / "config"
    before = config.read_bytes()
    assert sandbox.init("--repo", repo).returncode == 0
    sandbox.write_ssh_config("Host added-later\n    User me\n")
    assert remove(sandbox, "--yes").returncode == 0
    assert config.read_bytes() == before + b"Host added-later\n    User me\n"


def test_a_config_holding_only_our_block_is_deleted_and_delete_key_deletes_the_key(
    sandbox: SandboxCase,
) -> None:
    # As if init had created ~/.ssh/config: the sandbox needs its routing block while init
    # runs (its stand-in for DNS), so it is taken out afterwards, with init's backup.
    repo = sandbox.ready()
    assert sandbox.init("--repo", repo).returncode == 0
    config = sandbox.ssh_dir / "config"
    text = config.read_text()
    config.write_text(text[: text.index("# <<< bootstrap")] + "# <<< bootstrap\n")
    (sandbox.ssh_dir / "config.bootstrap.bak").unlink()

    done = remove(sandbox, "--yes", "--delete-key", "--json")

    assert done.returncode == 0, done.stderr
    assert actions(done)["ssh config"] == "deleted"
    assert actions(done)["key"] == "deleted"
    assert actions(done)["host key"] == "removed"
    assert sorted(p.name for p in sandbox.ssh_dir.iterdir()) == []
    assert sandbox.iam_keys() == []


@pytest.mark.parametrize("config", ["none", "user's own"])
def test_with_nothing_installed_it_exits_0_and_changes_nothing(
    sandbox: SandboxCase, config: str
) -> None:
    if config != "none":
        sandbox.write_ssh_config(USER_CONFIG)
    before = sandbox.snapshot()
    done = remove(sandbox)  # no terminal, no --yes: nothing to ask about
    assert done.returncode == 0, done.stderr
    assert "no bootstrap block" in done.stdout
    assert sandbox.snapshot() == before


def test_no_terminal_and_no_yes_stops_naming_yes_before_any_change(
    sandbox: SandboxCase,
) -> None:
    repo = sandbox.ready()
    assert sandbox.init("--repo", repo).returncode == 0
    before, keys_before = sandbox.snapshot(), sandbox.iam_keys()
    done = remove(sandbox)
    assert done.returncode == 2
    assert "no terminal" in done.stderr and "pass --yes" in done.stderr
    assert "--keep-iam-key" in done.stderr
    assert sandbox.snapshot() == before
    assert sandbox.iam_keys() == keys_before


def test_keep_iam_key_needs_no_aws_at_all(sandbox: SandboxCase) -> None:
    repo = sandbox.ready()
    config = sandbox.ssh_dir / "config"
    before = config.read_bytes()
    assert sandbox.init("--repo", repo).returncode == 0
    keys_before = sandbox.iam_keys()
    (sandbox.home / ".aws" / "credentials").unlink()
    done = remove(sandbox, "--keep-iam-key")
    assert done.returncode == 0, done.stderr
    assert config.read_bytes() == before
    assert sandbox.iam_keys() == keys_before


def test_dry_run_changes_nothing(sandbox: SandboxCase) -> None:
    repo = sandbox.ready()
    assert sandbox.init("--repo", repo).returncode == 0
    before, keys_before = sandbox.snapshot(), sandbox.iam_keys()
    done = remove(sandbox, "--dry-run", "--delete-key")
    assert done.returncode == 0, done.stderr
    assert "registration would be deleted" in done.stdout
    assert "key          would be deleted" in done.stdout
    assert sandbox.snapshot() == before
    assert sandbox.iam_keys() == keys_before


def test_old_key_kept_by_rotate_is_ours_too(sandbox: SandboxCase) -> None:
    repo = sandbox.ready()
    assert sandbox.init("--repo", repo).returncode == 0
    [old] = sandbox.iam_keys()
    rotated = sandbox.run(
        "rotate", "--yes", "--region", sandbox.region, "--key-bits", "2048", "--repo", repo,
        "--keep-old",
    )  # fmt: skip
    assert rotated.returncode == 0, rotated.stderr
    not_ours = sandbox.upload_key(sandbox.make_key("someone_elses_rsa"))
    assert len(sandbox.iam_keys()) == 3
    done = remove(sandbox, "--yes")
    assert done.returncode == 0, done.stderr
    assert old["SSHPublicKeyId"] in done.stdout
    assert [k["SSHPublicKeyId"] for k in sandbox.iam_keys()] == [not_ours]
