"""`bootstrap rotate` end to end: after a real `init`, against moto and the test sshd.

A rotation is proven with git before the old key goes; a failed proof puts everything back.
"""

from __future__ import annotations

import json
import re
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest

from sandbox.case import SandboxCase
from sandbox.policies import MFA_POLICY

pytestmark = pytest.mark.e2e

BACKUP = re.compile(r"^codecommit_rsa\.\d{4}-\d{2}-\d{2}\.bak$")


def rotate(case: SandboxCase, *extra: str) -> subprocess.CompletedProcess[str]:
    return case.run("rotate", "--yes", "--region", case.region, "--key-bits", "2048", *extra)


def statuses(case: SandboxCase) -> dict[str, str]:
    return {key["SSHPublicKeyId"]: key["Status"] for key in case.iam_keys()}


def key_file(case: SandboxCase) -> Path:
    return case.home / ".ssh" / "codecommit_rsa"


def backups(case: SandboxCase) -> list[Path]:
    return sorted(p for p in case.ssh_dir.iterdir() if BACKUP.match(p.name))


def local_state(case: SandboxCase) -> dict[str, Any]:
    """Everything rotate may touch locally, except init's config backup."""
    state = case.snapshot()
    state.pop(".ssh/config.bootstrap.bak", None)
    return state


def test_rotate_switches_to_a_new_key_and_deletes_the_old(sandbox: SandboxCase) -> None:
    repo, old_id = sandbox.set_up()
    old_private = key_file(sandbox).read_bytes()
    old_public = key_file(sandbox).with_suffix(".pub").read_bytes()

    done = rotate(sandbox, "--repo", repo, "--json")

    assert done.returncode == 0, done.stderr
    [(new_id, status)] = statuses(sandbox).items()
    assert new_id != old_id and status == "Active"
    steps = {step["step"]: step for step in json.loads(done.stdout)["steps"]}
    assert steps["old key"]["action"] == "deleted" and steps["old key"]["key_id"] == old_id
    assert steps["git check"]["summary"].endswith(f"works with {new_id}")
    config = (sandbox.home / ".ssh" / "config").read_text()
    assert f"User {new_id}" in config and old_id not in config
    # The new key is at the configured path, the old one kept under a dated name, 0600.
    [backup] = backups(sandbox)
    assert backup.read_bytes() == old_private
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert backup.with_name(backup.name + ".pub").read_bytes() == old_public
    assert key_file(sandbox).read_bytes() != old_private
    assert stat.S_IMODE(key_file(sandbox).stat().st_mode) == 0o600
    assert not key_file(sandbox).with_name("codecommit_rsa.new").exists()
    # Plain git, as the developer runs it, logs in with the new key.
    marks = sandbox.server.log_marks()
    assert sandbox.git("ls-remote", sandbox.clone_url(repo)).returncode == 0
    assert f"{new_id}: Active key of {sandbox.user_name}" in sandbox.server.log_text(marks)
    assert sandbox.run("status", "--region", sandbox.region).returncode == 0


def test_keep_old_leaves_the_old_key_inactive(sandbox: SandboxCase) -> None:
    repo, old_id = sandbox.set_up()
    done = rotate(sandbox, "--repo", repo, "--keep-old")
    assert done.returncode == 0, done.stderr
    found = statuses(sandbox)
    assert found.pop(old_id) == "Inactive"
    assert list(found.values()) == ["Active"]
    assert "kept, Inactive: --keep-old" in done.stdout


def _assert_rolled_back(
    case: SandboxCase, before: dict[str, Any], old_id: str, done: subprocess.CompletedProcess[str]
) -> None:
    assert done.returncode == 7, done.stderr
    assert "so the rotation was undone" in done.stderr
    assert "Traceback" not in done.stderr
    assert local_state(case) == before  # block, key files: byte-identical; no backup left
    assert "was deleted from IAM" in done.stderr
    assert statuses(case) == {old_id: "Active"}  # the new key it uploaded is deleted again
    assert not (case.ssh_dir / "bootstrap.rotation.json").exists()


def test_failed_check_puts_everything_back_and_says_why(sandbox: SandboxCase) -> None:
    repo, old_id = sandbox.set_up()
    before = local_state(sandbox)
    sandbox.put_user_policy(MFA_POLICY, name="require-mfa")

    done = rotate(sandbox, "--repo", repo)

    _assert_rolled_back(sandbox, before, old_id, done)
    # The diagnosis, with the evidence init gathers for its clone (evidence.explain): the
    # user's policies are read, so the statement is named, and the fix says how to patch it.
    error, fix = done.stderr.splitlines()
    assert (
        "statement 'BlockMostAccessUnlessSignedInWithMFA' of inline policy 'require-mfa' "
        "denies codecommit:GitPull" in error
    )
    assert "without MFA" in error
    assert fix.startswith("  fix: keep the policy: `bootstrap init --protocol https --mfa`")
    assert "or exempt codecommit:GitPull" in fix
    assert (
        f"aws iam get-user-policy --user-name {sandbox.user_name} --policy-name require-mfa" in fix
    )
    # Once the policy is fixed, git works again with the old key, untouched.
    sandbox.iam.client("iam").delete_user_policy(
        UserName=sandbox.user_name, PolicyName="require-mfa"
    )
    assert sandbox.git("ls-remote", sandbox.clone_url(repo)).returncode == 0


def test_failed_check_json_names_the_statement_and_the_new_key(sandbox: SandboxCase) -> None:
    repo, old_id = sandbox.set_up()
    sandbox.put_user_policy(MFA_POLICY, name="require-mfa")
    done = rotate(sandbox, "--repo", repo, "--json")
    assert done.returncode == 7, done.stderr
    error = json.loads(done.stdout)["error"]
    assert error["kind"] == "mfa-explicit-deny"
    assert "'BlockMostAccessUnlessSignedInWithMFA' of inline policy 'require-mfa'" in error["cause"]
    assert "with an explicit deny" in error["git_stderr"]
    assert error["new_key_id"].startswith("APKA")
    assert statuses(sandbox) == {old_id: "Active"}  # the new key is deleted again


def test_missing_repository_rolls_back(sandbox: SandboxCase) -> None:
    repo, old_id = sandbox.set_up()
    before = local_state(sandbox)
    done = rotate(sandbox, "--repo", "no-such-repo")
    _assert_rolled_back(sandbox, before, old_id, done)
    assert "'no-such-repo' does not exist" in done.stderr
    assert sandbox.git("ls-remote", sandbox.clone_url(repo)).returncode == 0


def test_at_the_key_limit_it_stops_before_any_change(sandbox: SandboxCase) -> None:
    repo, _ = sandbox.set_up()
    for n in range(4):
        sandbox.upload_key(sandbox.make_key(f"other{n}_rsa"))
    before, keys_before = sandbox.snapshot(), sandbox.iam_keys()
    done = rotate(sandbox, "--repo", repo)
    assert done.returncode == 4
    assert "already has 5 SSH public keys, the most IAM allows" in done.stderr
    assert "fix: delete one you no longer use" in done.stderr
    assert sandbox.snapshot() == before
    assert sandbox.iam_keys() == keys_before


def test_dry_run_changes_nothing(sandbox: SandboxCase) -> None:
    repo, old_id = sandbox.set_up()
    before, keys_before = sandbox.snapshot(), sandbox.iam_keys()
    done = rotate(sandbox, "--repo", repo, "--dry-run")
    assert done.returncode == 0, done.stderr
    assert "new key      would be created" in done.stdout
    assert f"old key      would be deleted: {old_id}" in done.stdout
    assert sandbox.snapshot() == before
    assert sandbox.iam_keys() == keys_before


def test_no_repo_and_no_terminal_names_the_flag_when_none_was_proved(
    sandbox: SandboxCase,
) -> None:
    sandbox.write_routing()
    assert sandbox.init("--no-clone").returncode == 0  # nothing proved with a repository
    before = sandbox.snapshot()
    done = sandbox.run("rotate", "--region", sandbox.region)
    assert done.returncode == 2
    assert "none was ever proved here" in done.stderr
    assert "fix: pass --repo" in done.stderr
    assert sandbox.snapshot() == before


def test_without_repo_it_checks_with_the_repository_init_proved(sandbox: SandboxCase) -> None:
    repo, old_id = sandbox.set_up()
    done = rotate(sandbox, "--json")
    assert done.returncode == 0, done.stderr
    steps = {step["step"]: step for step in json.loads(done.stdout)["steps"]}
    assert steps["git check"]["url"] == sandbox.clone_url(repo)
    [new_id] = statuses(sandbox)
    assert new_id != old_id
    # The rotation proved it again: the next rotate needs no --repo either.
    assert rotate(sandbox).returncode == 0


def test_nothing_to_rotate_before_init(sandbox: SandboxCase) -> None:
    sandbox.write_routing()
    done = rotate(sandbox, "--repo", "r")
    assert done.returncode == 5
    assert "no bootstrap block" in done.stderr and "bootstrap init" in done.stderr
    assert sandbox.iam_keys() == []


def test_second_rotation_the_same_day_gets_its_own_backup(sandbox: SandboxCase) -> None:
    repo, _ = sandbox.set_up()
    assert rotate(sandbox, "--repo", repo).returncode == 0
    first = key_file(sandbox).read_bytes()
    done = rotate(sandbox, "--repo", repo)
    assert done.returncode == 0, done.stderr
    [dated] = backups(sandbox)
    [second] = [p for p in sandbox.ssh_dir.glob("codecommit_rsa.*-2.bak")]
    assert dated.read_bytes() != first and second.read_bytes() == first
    assert len(sandbox.iam_keys()) == 1


def test_new_key_gets_the_passphrase_and_git_checks_it_without_a_terminal(
    sandbox: SandboxCase,
) -> None:
    repo, old_id = sandbox.set_up()
    sandbox.env["CC_PASSPHRASE"] = "correct horse battery"
    done = rotate(sandbox, "--repo", repo, "--passphrase-env", "CC_PASSPHRASE", "--json")
    assert done.returncode == 0, done.stderr
    assert "correct horse" not in done.stdout + done.stderr
    [new_id] = statuses(sandbox)
    assert new_id != old_id
    # Encrypted: ssh-keygen cannot read it without the passphrase, and can with it.
    read = ["ssh-keygen", "-y", "-f", str(key_file(sandbox))]
    assert subprocess.run([*read, "-P", ""], capture_output=True).returncode != 0
    assert (
        subprocess.run([*read, "-P", "correct horse battery"], capture_output=True).returncode == 0
    )


def test_a_key_with_a_passphrase_unattended_needs_a_passphrase_flag(sandbox: SandboxCase) -> None:
    repo = sandbox.ready()
    sandbox.env["OLD_PASSPHRASE"] = "old horse battery"
    assert sandbox.init("--repo", repo, "--passphrase-env", "OLD_PASSPHRASE").returncode == 0
    before, keys_before = sandbox.snapshot(), sandbox.iam_keys()

    refused = rotate(sandbox, "--repo", repo)

    assert refused.returncode == 2, refused.stderr
    assert "has a passphrase" in refused.stderr
    assert "--passphrase-env VAR" in refused.stderr and "--no-passphrase" in refused.stderr
    assert sandbox.snapshot() == before and sandbox.iam_keys() == keys_before

    done = rotate(sandbox, "--repo", repo, "--no-passphrase")
    assert done.returncode == 0, done.stderr
    read = ["ssh-keygen", "-y", "-P", "", "-f", str(key_file(sandbox))]
    assert subprocess.run(read, capture_output=True).returncode == 0  # as asked: none
