"""`bootstrap init --check`: the idempotence contract Ansible's changed_when and cloud-init use.

0 when nothing would change, 10 when something would, any other code for a real problem; and
never a change of its own. Also: the examples under examples/ use flags that exist.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from collections.abc import Callable
from typing import Any

import pytest

from bootstrap import cli
from sandbox.case import SandboxCase
from sandbox.userdb import REPO_ROOT

EXAMPLES = REPO_ROOT / "examples"
WOULD_CHANGE = 10


def check(case: SandboxCase, repo: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return case.init("--repo", repo, "--check", *extra)


def _forget_host_key(case: SandboxCase) -> None:
    (case.ssh_dir / "known_hosts").unlink()


def _delete_key_in_iam(case: SandboxCase) -> None:
    [key] = case.iam_keys()
    case.iam.client("iam").delete_ssh_public_key(
        UserName=case.user_name, SSHPublicKeyId=key["SSHPublicKeyId"]
    )


def _edit_the_block(case: SandboxCase) -> None:
    config = case.ssh_dir / "config"
    config.write_text(config.read_text().replace("IdentitiesOnly yes", "IdentitiesOnly no"))


def _remove(case: SandboxCase) -> None:
    done = case.run("remove", "--yes", "--region", case.region)
    assert done.returncode == 0, done.stderr


@pytest.mark.e2e
def test_check_is_10_before_init_0_after_and_changes_nothing(sandbox: SandboxCase) -> None:
    repo = sandbox.ready()
    before = sandbox.snapshot()
    done = check(sandbox, repo, "--json")
    assert done.returncode == WOULD_CHANGE, done.stderr
    report = json.loads(done.stdout)
    assert report["would_change"] is True and report["changed"] is False
    assert sandbox.snapshot() == before and sandbox.iam_keys() == []

    assert sandbox.init("--repo", repo).returncode == 0
    converged = sandbox.snapshot()
    done = check(sandbox, repo, "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["would_change"] is False
    assert sandbox.snapshot() == converged


@pytest.mark.e2e
@pytest.mark.parametrize(
    "drift",
    [_forget_host_key, _delete_key_in_iam, _edit_the_block, _remove],
    ids=["host key forgotten", "key deleted in IAM", "block edited", "bootstrap remove"],
)
def test_check_notices_drift(sandbox: SandboxCase, drift: Callable[[SandboxCase], None]) -> None:
    repo = sandbox.ready()
    assert sandbox.init("--repo", repo).returncode == 0
    drift(sandbox)
    before = sandbox.snapshot()
    assert check(sandbox, repo).returncode == WOULD_CHANGE
    assert sandbox.snapshot() == before
    assert sandbox.init("--repo", repo).returncode == 0
    assert check(sandbox, repo).returncode == 0


@pytest.mark.e2e
def test_check_is_10_for_a_clone_dir_init_would_create_and_0_once_it_is_a_clone(
    sandbox: SandboxCase,
) -> None:
    # Everything else converged (throw-away clone): only the kept clone would change.
    repo = sandbox.ready()
    assert sandbox.init("--repo", repo).returncode == 0
    target = sandbox.home / "work" / repo
    before = sandbox.snapshot()

    done = check(sandbox, repo, "--clone-dir", str(target), "--json")
    assert done.returncode == WOULD_CHANGE, done.stderr
    steps = {step["step"]: step for step in json.loads(done.stdout)["steps"]}
    assert steps["test clone"]["action"] == "created"
    assert steps["test clone"]["dir"] == str(target)
    dry = sandbox.init("--repo", repo, "--clone-dir", str(target), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    expected = f"test clone   would be created: clone {sandbox.clone_url(repo)} into {target}"
    assert expected in dry.stdout
    assert sandbox.snapshot() == before and not target.exists()

    # What --check said: the real init creates the clone.
    done = sandbox.init("--repo", repo, "--clone-dir", str(target), "--json")
    assert done.returncode == 0, done.stderr
    steps = {step["step"]: step for step in json.loads(done.stdout)["steps"]}
    assert steps["test clone"]["action"] == "created"
    assert (target / "README.md").exists()

    # An existing clone is checked with ls-remote, not changed: --check and init agree again.
    done = check(sandbox, repo, "--clone-dir", str(target), "--json")
    assert done.returncode == 0, done.stderr
    steps = {step["step"]: step for step in json.loads(done.stdout)["steps"]}
    assert steps["access"]["action"] == "skipped"  # --check stays offline
    again = sandbox.init("--repo", repo, "--clone-dir", str(target), "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["changed"] is False
    steps = {step["step"]: step for step in json.loads(again.stdout)["steps"]}
    assert steps["access"]["action"] == "verified"  # ls-remote ran: not "unchanged"


@pytest.mark.e2e
def test_check_fails_rather_than_reports_a_change_init_cannot_make(sandbox: SandboxCase) -> None:
    # An Inactive key is not ours to reactivate: a failure (exit 4), which failed_when catches.
    repo = sandbox.ready()
    assert sandbox.init("--repo", repo).returncode == 0
    [key] = sandbox.iam_keys()
    sandbox.iam.set_ssh_key_status(sandbox.user_name, key["SSHPublicKeyId"], "Inactive")
    done = check(sandbox, repo)
    assert done.returncode == 4
    assert "Inactive" in done.stderr


# --- the examples ---------------------------------------------------------------------------


def _yaml(name: str) -> Any:
    yaml = pytest.importorskip("yaml")  # PyYAML comes with moto[server]
    return yaml.safe_load((EXAMPLES / name).read_text())


def _render(value: str, variables: dict[str, Any]) -> str:
    return re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: str(variables[m.group(1)]), value)


def _parses(argv: list[str]) -> Any:
    assert argv[0] == "bootstrap", argv
    return cli.build_parser().parse_args(argv[1:])


def test_ansible_example_runs_real_commands_and_branches_on_the_exit_code() -> None:
    [play] = _yaml("ansible-codecommit.yml")
    tasks = play["tasks"]
    commands = [
        [_render(arg, play["vars"]) for arg in task["ansible.builtin.command"]["argv"]]
        for task in tasks
    ]
    parsed = [_parses(argv) for argv in commands]
    assert [args.command for args in parsed] == ["init", "init", "rotate"]
    assert parsed[0].check and not parsed[1].check
    asked, acted = tasks[0], tasks[1]
    assert asked["changed_when"] == f"codecommit_check.rc == {WOULD_CHANGE}"
    assert asked["failed_when"] == f"codecommit_check.rc not in [0, {WOULD_CHANGE}]"
    assert asked["check_mode"] is False
    assert acted["when"] == f"codecommit_check.rc == {WOULD_CHANGE}"


def test_cloud_init_example_runs_real_commands() -> None:
    config = _yaml("cloud-init.yml")
    [script] = config["write_files"]
    content = script["content"]
    [args] = re.findall(r'^args="(.*)"$', content, re.MULTILINE)
    assert _parses(["bootstrap", "init", "--check", *shlex.split(args)]).check
    assert f"  {WOULD_CHANGE}) exec bootstrap init $args ;;" in content
    assert config["runcmd"] == [
        ["su", "--login", "alice", "--command", script["path"]],
    ]
