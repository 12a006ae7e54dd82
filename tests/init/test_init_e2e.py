"""`bootstrap init` end to end: moto IAM over HTTP, a real sshd playing CodeCommit, real ssh/git.

The tool runs as a subprocess, finding its credentials in the temporary home's ~/.aws and the
moto server through AWS_ENDPOINT_URL; ssh and git see the temporary home as the account's home.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
from typing import Any

import pytest

from sandbox.case import SandboxCase
from sandbox.policies import MFA_POLICY

pytestmark = pytest.mark.e2e


def test_fresh_init_clones(sandbox: SandboxCase) -> None:
    repo = sandbox.ready()
    done = sandbox.init("--repo", repo)
    assert done.returncode == 0, done.stderr
    assert f"✓ test clone   cloned: {sandbox.clone_url(repo)} into a temporary" in done.stdout
    assert done.stdout.endswith(f"Next: git clone {sandbox.clone_url(repo)}\n")
    key = sandbox.home / ".ssh" / "codecommit_rsa"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE((sandbox.home / ".ssh").stat().st_mode) == 0o700
    assert stat.S_IMODE((sandbox.home / ".ssh" / "config").stat().st_mode) == 0o600
    [registered] = sandbox.iam_keys()
    assert f"User {registered['SSHPublicKeyId']}" in (sandbox.home / ".ssh/config").read_text()
    # What the developer types next works with plain git: nothing hidden in our environment.
    clone = sandbox.git("clone", sandbox.clone_url(repo), "mine")
    assert clone.returncode == 0, clone.stderr
    assert (sandbox.home / "mine" / "README.md").exists()


def test_second_run_is_byte_identical_uploads_nothing_and_reports_unchanged(
    sandbox: SandboxCase,
) -> None:
    repo = sandbox.ready()
    assert sandbox.init("--repo", repo).returncode == 0
    before, keys_before = sandbox.snapshot(), sandbox.iam_keys()
    again = sandbox.init("--repo", repo, "--json")
    assert again.returncode == 0, again.stderr
    report = json.loads(again.stdout)
    assert report["changed"] is False
    steps = {step["step"]: step["action"] for step in report["steps"]}
    # The identity was looked up, not left alone: it says "found"; nothing else did anything.
    assert steps.pop("identity") == "found"
    assert steps.pop("access", "verified") == "verified"  # a live check ran: not "unchanged"
    assert set(steps.values()) == {"unchanged"}
    assert report["next"] == [f"Next: git clone {sandbox.clone_url(repo)}"]  # a re-run too
    assert sandbox.snapshot() == before
    assert sandbox.iam_keys() == keys_before


def test_key_deleted_in_iam_is_uploaded_again_and_block_updated(sandbox: SandboxCase) -> None:
    repo = sandbox.ready()
    assert sandbox.init("--repo", repo).returncode == 0
    [old] = sandbox.iam_keys()
    sandbox.iam.client("iam").delete_ssh_public_key(
        UserName=sandbox.user_name, SSHPublicKeyId=old["SSHPublicKeyId"]
    )
    done = sandbox.init("--repo", repo, "--json")
    assert done.returncode == 0, done.stderr
    [new] = sandbox.iam_keys()
    assert new["SSHPublicKeyId"] != old["SSHPublicKeyId"]
    steps = {step["step"]: step for step in json.loads(done.stdout)["steps"]}
    assert steps["key"]["action"] == "unchanged"
    assert steps["registration"]["action"] == "created"
    assert steps["ssh config"]["action"] == "updated"
    config = (sandbox.home / ".ssh/config").read_text()
    assert f"User {new['SSHPublicKeyId']}" in config
    assert old["SSHPublicKeyId"] not in config


def test_key_registered_from_another_machine_is_reused(sandbox: SandboxCase) -> None:
    repo = sandbox.ready()
    key = sandbox.make_key()
    key_id = sandbox.upload_key(key)
    # The same key material, with another machine's comment.
    pub = key.with_name(key.name + ".pub")
    pub.write_text(" ".join(pub.read_text().split()[:2]) + " other@laptop\n")
    done = sandbox.init("--repo", repo, "--json")
    assert done.returncode == 0, done.stderr
    assert [k["SSHPublicKeyId"] for k in sandbox.iam_keys()] == [key_id]
    steps = {step["step"]: step for step in json.loads(done.stdout)["steps"]}
    assert steps["registration"]["action"] == "unchanged"
    assert steps["registration"]["key_id"] == key_id


def test_dry_run_writes_nothing(sandbox: SandboxCase) -> None:
    repo = sandbox.ready()
    before = sandbox.snapshot()
    done = sandbox.init("--repo", repo, "--dry-run")
    assert done.returncode == 0, done.stderr
    assert "would be created" in done.stdout
    assert sandbox.snapshot() == before
    assert sandbox.iam_keys() == []


def test_dry_run_json_says_what_would_change(sandbox: SandboxCase) -> None:
    repo = sandbox.ready()
    done = sandbox.init("--repo", repo, "--dry-run", "--json")
    report = json.loads(done.stdout)
    assert report["dry_run"] is True and report["would_change"] is True
    assert report["changed"] is False


def test_no_terminal_and_no_region_fails_naming_the_flag(sandbox: SandboxCase) -> None:
    (sandbox.home / ".aws" / "config").write_text("[default]\n")
    done = sandbox.run("init", "--repo", "r")
    assert done.returncode == 2
    assert "--region" in done.stderr
    assert "Traceback" not in done.stderr
    assert sandbox.iam_keys() == []


def test_no_terminal_and_no_repo_fails_naming_the_flag(sandbox: SandboxCase) -> None:
    before = sandbox.snapshot()
    done = sandbox.run("init", "--region", sandbox.region)
    assert done.returncode == 2
    assert "pass --repo" in done.stderr
    assert sandbox.snapshot() == before


def test_assumed_role_asking_for_ssh_stops_before_any_change_and_names_https(
    sandbox: SandboxCase,
) -> None:
    # Without --protocol a role gets HTTPS (tests/init/test_https_e2e.py); SSH cannot serve it.
    iam = sandbox.iam.client("iam")
    role = iam.create_role(RoleName=f"r-{sandbox.user_name}", AssumeRolePolicyDocument="{}")
    sts = sandbox.iam.client("sts")
    creds = sts.assume_role(RoleArn=role["Role"]["Arn"], RoleSessionName="alice")["Credentials"]
    (sandbox.home / ".aws" / "credentials").write_text(
        "[default]\n"
        f"aws_access_key_id = {creds['AccessKeyId']}\n"
        f"aws_secret_access_key = {creds['SecretAccessKey']}\n"
        f"aws_session_token = {creds['SessionToken']}\n"
    )
    before = sandbox.snapshot()
    done = sandbox.init("--repo", "team-repo", "--protocol", "ssh")
    assert done.returncode == 3
    assert "assumed-role" in done.stderr
    assert "--protocol https" in done.stderr
    assert sandbox.snapshot() == before


def test_host_key_that_is_not_the_published_one_stops_everything(sandbox: SandboxCase) -> None:
    repo = sandbox.ready()
    before = sandbox.snapshot()
    done = sandbox.init("--repo", repo, pin=False)
    assert done.returncode == 6
    assert "AWS publishes SHA256:eLMY1j0DKA4uvDZcl" in done.stderr
    assert sandbox.snapshot() == before
    assert sandbox.iam_keys() == []


def test_known_host_entry_is_left_to_ssh(sandbox: SandboxCase) -> None:
    repo = sandbox.ready()
    sandbox.trust_host_key()
    done = sandbox.init("--repo", repo, "--json", pin=False)
    assert done.returncode == 0, done.stderr
    steps = {step["step"]: step for step in json.loads(done.stdout)["steps"]}
    assert steps["host key"]["action"] == "unchanged"


def test_passphrase_comes_from_the_environment_and_never_shows(sandbox: SandboxCase) -> None:
    repo = sandbox.ready()
    sandbox.env["CC_PASSPHRASE"] = "correct horse battery"
    done = sandbox.init("--repo", repo, "--passphrase-env", "CC_PASSPHRASE", "--json")
    assert done.returncode == 0, done.stderr
    assert "correct horse" not in done.stdout + done.stderr
    key = (sandbox.home / ".ssh" / "codecommit_rsa").read_bytes()
    # Encrypted: ssh-keygen cannot read it without the passphrase.
    assert b"aes256-ctr" in __import__("base64").b64decode(b"".join(key.splitlines()[1:-1]))


def existing_key_with_passphrase(sandbox: SandboxCase, passphrase: str) -> None:
    key = sandbox.home / ".ssh" / "codecommit_rsa"
    key.parent.mkdir(mode=0o700, exist_ok=True)
    made = subprocess.run(
        ["ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-N", passphrase, "-f", str(key)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr


@pytest.mark.parametrize("given", [None, "not the passphrase"])
def test_a_key_it_cannot_open_unattended_stops_before_any_change(
    sandbox: SandboxCase, given: str | None
) -> None:
    repo = sandbox.ready()
    existing_key_with_passphrase(sandbox, "correct horse battery")
    before = sandbox.snapshot()
    extra: tuple[str, ...] = ()
    if given is not None:
        sandbox.env["CC_PASSPHRASE"] = given
        extra = ("--passphrase-env", "CC_PASSPHRASE")
    done = sandbox.init("--repo", repo, "--json", *extra)
    assert done.returncode == 2, done.stdout + done.stderr
    error = json.loads(done.stdout)["error"]
    if given is None:
        assert "has a passphrase" in error["cause"] and "--passphrase-env" in error["fix"]
    else:
        assert "does not open" in error["cause"]
    assert sandbox.iam_keys() == []  # nothing uploaded
    assert sandbox.snapshot() == before  # no ssh config, no known_hosts line


def test_without_key_a_rerun_uses_the_key_the_managed_block_names(sandbox: SandboxCase) -> None:
    repo = sandbox.ready()
    own = sandbox.home / ".ssh" / "id_rsa"
    first = sandbox.init("--repo", repo, "--key", str(own), "--json")
    assert first.returncode == 0, first.stdout + first.stderr
    [registered] = sandbox.iam_keys()
    before = sandbox.snapshot()
    again = sandbox.init("--repo", repo, "--json")
    assert again.returncode == 0, again.stdout + again.stderr
    assert not (sandbox.home / ".ssh" / "codecommit_rsa").exists()
    assert sandbox.iam_keys() == [registered]  # no second key uploaded
    assert sandbox.snapshot() == before
    code, checks = sandbox.doctor("--repo", repo)
    assert code == 0, checks
    assert "id_rsa" in checks["local key"]["summary"]


def test_clone_dir_is_kept_and_a_rerun_verifies_it(sandbox: SandboxCase) -> None:
    repo = sandbox.ready()
    target = sandbox.home / "work" / repo
    assert sandbox.init("--repo", repo, "--clone-dir", str(target)).returncode == 0
    assert (target / "README.md").exists()
    marks = sandbox.server.log_marks()
    again = sandbox.init("--repo", repo, "--clone-dir", str(target), "--json", "--retest")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["changed"] is False
    assert "allowed" in sandbox.server.log_text(marks)  # git ls-remote reached the server


# -- a re-run of a setup a clone proved ----------------------------------------------------------


def clone_step(done: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert done.returncode == 0, done.stderr
    [step] = [s for s in json.loads(done.stdout)["steps"] if s["step"] == "test clone"]
    return step


def access_step(done: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    [step] = [s for s in json.loads(done.stdout)["steps"] if s["step"] == "access"]
    return step


def test_rerun_of_a_proved_setup_checks_access_with_one_ls_remote_not_a_clone(
    sandbox: SandboxCase,
) -> None:
    repo = sandbox.ready()
    assert sandbox.init("--repo", repo).returncode == 0
    before, marks = sandbox.snapshot(), sandbox.server.log_marks()
    done = sandbox.init("--repo", repo, "--json")
    assert done.returncode == 0, done.stderr
    step = access_step(done)
    assert step["action"] == "verified" and step["proved_at"]
    assert step["summary"].startswith("git ls-remote")  # the line: "access verified: git …"
    assert not [s for s in json.loads(done.stdout)["steps"] if s["step"] == "test clone"]
    assert sandbox.server.log_text(marks).count("allowed") == 1  # one connection
    assert sandbox.snapshot() == before


def test_rerun_after_access_broke_says_so_as_a_failed_clone_would(sandbox: SandboxCase) -> None:
    """The field report: SSH git worked, then the account applied the deny-unless-MFA policy."""
    repo = sandbox.ready()
    assert sandbox.init("--repo", repo).returncode == 0
    sandbox.put_user_policy(MFA_POLICY, "mfa")
    done = sandbox.init("--repo", repo, "--json")
    assert done.returncode == 7, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["error"]["kind"] == "mfa-explicit-deny"
    assert "--protocol https --mfa" in report["error"]["fix"]


def test_check_on_a_proved_setup_stays_offline(sandbox: SandboxCase) -> None:
    repo = sandbox.ready()
    assert sandbox.init("--repo", repo).returncode == 0
    marks = sandbox.server.log_marks()
    done = sandbox.init("--repo", repo, "--json", "--check")
    assert done.returncode == 0, done.stdout + done.stderr
    assert access_step(done)["action"] == "skipped"
    assert sandbox.server.log_marks() == marks  # no connection: not even a key lookup


def test_retest_clones_again_and_changes_nothing(sandbox: SandboxCase) -> None:
    repo = sandbox.ready()
    assert sandbox.init("--repo", repo).returncode == 0
    before, marks = sandbox.snapshot(), sandbox.server.log_marks()
    step = clone_step(sandbox.init("--repo", repo, "--json", "--retest"))
    assert step["action"] == "cloned" and "proved_at" not in step
    assert "allowed" in sandbox.server.log_text(marks)
    assert sandbox.snapshot() == before


@pytest.mark.parametrize("change", ["edit the ssh config", "another repository"])
def test_a_setup_that_differs_is_cloned_again(sandbox: SandboxCase, change: str) -> None:
    repo = sandbox.ready()
    assert sandbox.init("--repo", repo).returncode == 0
    if change == "edit the ssh config":
        with open(sandbox.home / ".ssh/config", "a", encoding="utf-8") as config:
            config.write("# a line of the user's own\n")
    else:
        repo = sandbox.create_repo()
    marks = sandbox.server.log_marks()
    step = clone_step(sandbox.init("--repo", repo, "--json"))
    assert "proved_at" not in step
    assert "allowed" in sandbox.server.log_text(marks)
    assert "proved_at" in access_step(sandbox.init("--repo", repo, "--json"))


def test_a_failed_clone_proves_nothing(sandbox: SandboxCase) -> None:
    sandbox.write_routing()
    missing = "no-such-repository"
    assert sandbox.init("--repo", missing).returncode == 7
    assert sandbox.init("--repo", missing).returncode == 7  # tried again, failed again


def test_clone_dir_holding_something_else_is_refused_before_any_change(
    sandbox: SandboxCase,
) -> None:
    repo = sandbox.ready()
    target = sandbox.home / "busy"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    done = sandbox.init("--repo", repo, "--clone-dir", str(target))
    assert done.returncode == 2 and "--clone-dir" in done.stderr
    assert not (sandbox.home / ".ssh" / "codecommit_rsa").exists()


def test_missing_repository_fails_with_gits_reason(sandbox: SandboxCase) -> None:
    sandbox.write_routing()
    done = sandbox.init("--repo", "no-such-repo")
    assert done.returncode == 7
    assert "no-such-repo" in done.stderr and "does not exist" in done.stderr
    assert "Traceback" not in done.stderr
    # What was set up stays, and the message says so and why: the name is what is wrong.
    assert "the SSH setup is right and was kept, only the repository name is not" in done.stderr
    assert "`bootstrap doctor --repo NAME` checks another name" in done.stderr
    assert (sandbox.home / ".ssh" / "codecommit_rsa").exists()
    assert len(sandbox.iam_keys()) == 1


def test_user_flag_skips_the_identity_call(sandbox: SandboxCase) -> None:
    repo = sandbox.ready()
    done = sandbox.init("--repo", repo, "--user", sandbox.user_name)
    assert done.returncode == 0, done.stderr
    assert "(from --user)" in done.stdout


def test_existing_host_star_user_does_not_win(sandbox: SandboxCase) -> None:
    repo = sandbox.ready()
    sandbox.write_ssh_config("Host *\n    User everyone\n    IdentityFile ~/.ssh/id_other\n")
    user_part = (sandbox.home / ".ssh/config").read_bytes()
    assert sandbox.init("--repo", repo).returncode == 0
    config = (sandbox.home / ".ssh/config").read_bytes()
    assert config.endswith(user_part)
    resolved = subprocess.run(
        ["ssh", "-G", f"git-codecommit.{sandbox.region}.amazonaws.com"],
        env=sandbox.env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    [registered] = sandbox.iam_keys()
    assert f"user {registered['SSHPublicKeyId']}" in resolved
    first_identity = next(line for line in resolved if line.startswith("identityfile"))
    assert first_identity == "identityfile ~/.ssh/codecommit_rsa"


def test_malformed_config_fails_cleanly_and_changes_nothing(sandbox: SandboxCase) -> None:
    sandbox.write_ssh_config("# >>> bootstrap\nHost x\n")
    before = sandbox.snapshot()
    done = sandbox.init("--repo", "r")
    assert done.returncode == 5
    assert "# <<< bootstrap" in done.stderr
    assert sandbox.snapshot() == before
    assert sandbox.iam_keys() == []


def test_no_credentials_fails_cleanly(sandbox: SandboxCase) -> None:
    (sandbox.home / ".aws" / "credentials").unlink()
    done = sandbox.init("--repo", "r")
    assert done.returncode == 3
    assert "no AWS credentials" in done.stderr and "aws configure" in done.stderr
    assert "Traceback" not in done.stderr


def test_unreachable_aws_fails_naming_the_endpoint(sandbox: SandboxCase) -> None:
    sandbox.env["AWS_ENDPOINT_URL"] = "http://127.0.0.1:9"
    done = sandbox.init("--repo", "r")
    assert done.returncode == 3
    assert "could not reach http://127.0.0.1:9" in done.stderr


def test_debug_shows_the_traceback(sandbox: SandboxCase) -> None:
    (sandbox.home / ".aws" / "credentials").unlink()
    done = sandbox.init("--repo", "r", "--debug")
    assert done.returncode == 3 and "Traceback" in done.stderr


def test_repo_double_runs_on_the_paramiko_server_too(paramiko_sandbox: SandboxCase) -> None:
    repo = paramiko_sandbox.ready()
    done = paramiko_sandbox.init("--repo", repo)
    assert done.returncode == 0, done.stderr


def test_config_symlink_target_is_written_and_link_kept(sandbox: SandboxCase) -> None:
    repo = sandbox.ready()
    dotfiles = sandbox.home / "dotfiles"
    dotfiles.mkdir()
    config = sandbox.home / ".ssh" / "config"
    target = dotfiles / "ssh_config"
    target.write_bytes(config.read_bytes())
    target.chmod(0o600)
    config.unlink()
    os.symlink(target, config)
    assert sandbox.init("--repo", repo).returncode == 0
    assert config.is_symlink()
    assert "# >>> bootstrap" in target.read_text()


def test_check_answers_with_its_exit_code_and_changes_nothing(sandbox: SandboxCase) -> None:
    repo = sandbox.ready()
    before = sandbox.snapshot()
    assert sandbox.init("--repo", repo, "--check").returncode == 10
    assert sandbox.snapshot() == before
    assert sandbox.init("--repo", repo).returncode == 0
    assert sandbox.init("--repo", repo, "--check").returncode == 0


def test_added_host_key_is_marked_for_remove(sandbox: SandboxCase) -> None:
    repo = sandbox.ready()
    assert sandbox.init("--repo", repo).returncode == 0
    [line] = (sandbox.home / ".ssh" / "known_hosts").read_text().splitlines()
    assert line.endswith(" added-by-bootstrap")
    assert sandbox.git("ls-remote", sandbox.clone_url(repo)).returncode == 0
