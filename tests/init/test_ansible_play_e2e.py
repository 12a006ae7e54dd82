"""The README's Ansible play, examples/ansible-codecommit.yml, run by real ansible-playbook.

Against localhost (`ansible_connection: local`, no become: the test process already is the
developer, whose home is the sandbox's) in the sandbox: moto IAM over AWS_ENDPOINT_URL, a real
sshd playing CodeCommit. The inventory is the only thing the test adds; the play is the file.
ansible starts slowly on 2 cores, so one developer machine goes through the three runs that
matter, in order (--check, first run, second run), and a machine without credentials fails.
"""

from __future__ import annotations

import getpass
import json
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sandbox.case import SandboxCase
from sandbox.iam import MotoIam
from sandbox.sshd import OpenSshCodeCommit
from sandbox.userdb import REPO_ROOT

pytestmark = pytest.mark.e2e

PLAY = REPO_ROOT / "examples" / "ansible-codecommit.yml"
ANSIBLE_PLAYBOOK = Path(sys.executable).with_name("ansible-playbook")
CHECK_TASK = "Would bootstrap change anything?"
INIT_TASK = "Set up SSH access to CodeCommit (key, IAM, ssh config, host key, test clone)"
ROTATE_TASK = "Rotate the CodeCommit SSH key"

# The whole line ansible ends with, per host.
RECAP = re.compile(r"^localhost\s+:\s+(?P<counts>(?:\w+=\d+\s*)+)$", re.MULTILINE)


@dataclass
class PlaybookRun:
    done: subprocess.CompletedProcess[str]
    recap: dict[str, int]  # ok, changed, failed, skipped, … for localhost
    statuses: dict[str, str]  # task name -> ok | changed | skipping | fatal

    def failure(self, task: str) -> dict[str, Any]:
        """The result ansible printed for a task that failed (`fatal: [localhost]: FAILED! =>`)."""
        section = self.done.stdout.split(f"TASK [{task}]", 1)[1]
        found = re.search(r"^fatal: \[localhost\]: FAILED! => (\{.*\})$", section, re.MULTILINE)
        assert found, self.done.stdout
        result: dict[str, Any] = json.loads(found.group(1))
        return result


def inventory(folder: Path) -> Path:
    """The fleet of one: this machine, reached without ssh, as the developer already."""
    path = folder / "inventory.json"
    host = {
        "developer": getpass.getuser(),
        "ansible_connection": "local",
        "ansible_python_interpreter": sys.executable,
        "ansible_become": False,
    }
    path.write_text(json.dumps({"workstations": {"hosts": {"localhost": host}}}))
    return path


def run_play(case: SandboxCase, repo: str, work: Path, *extra: str) -> PlaybookRun:
    """`ansible-playbook -i INVENTORY examples/ansible-codecommit.yml -e … EXTRA` with the case's
    environment; ansible's own files under `work`, never in the developer's home."""
    for folder in ("home", "tmp", "remote-tmp"):
        (work / "ansible" / folder).mkdir(parents=True, exist_ok=True)
    settings = work / "ansible" / "ansible.cfg"
    settings.write_text("")  # ansible's defaults: no ansible.cfg from /etc or elsewhere
    env = case.env | {
        "PATH": f"{Path(sys.executable).parent}:{case.env['PATH']}",  # where `bootstrap` is
        "ANSIBLE_HOME": str(work / "ansible" / "home"),
        "ANSIBLE_LOCAL_TEMP": str(work / "ansible" / "tmp"),
        "ANSIBLE_REMOTE_TEMP": str(work / "ansible" / "remote-tmp"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_RETRY_FILES_ENABLED": "false",
        "ANSIBLE_CONFIG": str(settings),
    }
    done = subprocess.run(
        [
            str(ANSIBLE_PLAYBOOK),
            "-i",
            str(inventory(work)),
            str(PLAY),
            "-e",
            f"codecommit_region={case.region}",
            "-e",
            f"codecommit_repo={repo}",
            *extra,
        ],
        env=env,
        cwd=work,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = done.stdout
    [counts] = RECAP.findall(output) or [""]
    recap = {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", counts)}
    assert recap, f"no recap:\n{output}\n{done.stderr}"
    statuses = {}
    for name, body in re.findall(r"^TASK \[(.+?)\] \**\n(.*?)(?=^TASK |^PLAY RECAP)", output,
                                 re.MULTILINE | re.DOTALL):  # fmt: skip
        status = re.search(r"^(ok|changed|skipping|fatal): \[localhost\]", body, re.MULTILINE)
        statuses[name] = status.group(1) if status else "?"
    return PlaybookRun(done, recap, statuses)


@dataclass
class Fleet:
    case: SandboxCase
    repo: str
    runs: dict[str, PlaybookRun]
    homes: dict[str, dict[str, tuple[bytes, int]]]  # snapshot of the home after each run
    keys: dict[str, list[dict[str, Any]]]  # the user's SSH keys in IAM after each run


@pytest.fixture(scope="module")
def fleet(
    moto_iam: MotoIam,
    codecommit_server: OpenSshCodeCommit,
    tmp_path_factory: pytest.TempPathFactory,
) -> Fleet:
    """One new developer machine: `--check`, then the first run, then a second."""
    work = tmp_path_factory.mktemp("ansible")
    case = SandboxCase.create(work / "home", moto_iam, codecommit_server)
    repo = case.ready()
    # The sandbox's host key is not the one AWS publishes for the region, so the machine
    # trusts it already, as a fleet that manages known_hosts would.
    case.trust_host_key()
    fleet = Fleet(case, repo, {}, {"before": case.snapshot()}, {"before": case.iam_keys()})
    for name, extra in [("check", ("--check",)), ("first", ()), ("second", ())]:
        fleet.runs[name] = run_play(case, repo, work, *extra)
        fleet.homes[name], fleet.keys[name] = case.snapshot(), case.iam_keys()
    return fleet


def test_first_run_sets_up_the_machine_and_reports_changed(fleet: Fleet) -> None:
    run = fleet.runs["first"]
    assert run.done.returncode == 0, run.done.stdout + run.done.stderr
    assert run.statuses[CHECK_TASK] == "changed"
    assert run.statuses[INIT_TASK] == "changed"
    assert run.statuses[ROTATE_TASK] == "skipping"
    assert run.recap["changed"] == 2 and run.recap["failed"] == 0
    [key] = fleet.keys["first"]
    config = (fleet.case.ssh_dir / "config").read_text()
    assert f"User {key['SSHPublicKeyId']}" in config
    clone = fleet.case.git("ls-remote", fleet.case.clone_url(fleet.repo))
    assert clone.returncode == 0, clone.stderr  # plain git works afterwards


def test_second_run_is_ok_with_nothing_changed(fleet: Fleet) -> None:
    run = fleet.runs["second"]
    assert run.done.returncode == 0, run.done.stdout + run.done.stderr
    assert run.statuses[CHECK_TASK] == "ok"
    assert run.statuses[INIT_TASK] == "skipping"
    assert run.recap["changed"] == 0 and run.recap["ok"] == 1 and run.recap["failed"] == 0
    assert fleet.homes["second"] == fleet.homes["first"]
    assert fleet.keys["second"] == fleet.keys["first"]


def test_check_mode_reports_the_change_and_makes_none(fleet: Fleet) -> None:
    run = fleet.runs["check"]
    assert run.done.returncode == 0, run.done.stdout + run.done.stderr
    assert run.statuses[CHECK_TASK] == "changed"
    assert run.statuses[INIT_TASK] == "skipping"  # ansible does not run commands under --check
    assert run.recap["changed"] == 1 and run.recap["failed"] == 0
    assert fleet.homes["check"] == fleet.homes["before"]  # no key, ssh config as it was
    assert fleet.keys["check"] == [] == fleet.keys["before"]


def test_a_machine_without_credentials_fails_the_task_with_the_tools_message(
    sandbox_factory: Callable[..., SandboxCase], tmp_path: Path
) -> None:
    case = sandbox_factory(write_aws_files=False)
    repo = case.ready()
    said = case.run("init", "--check", "--yes", "--region", case.region, "--repo", repo)
    assert said.returncode == 3, said.stderr
    message = said.stderr.splitlines()[0]
    assert message.startswith("error: ") and "credentials" in message

    before = case.snapshot()
    run = run_play(case, repo, tmp_path / "work")
    assert run.done.returncode == 2  # ansible-playbook: a host failed
    assert run.statuses[CHECK_TASK] == "fatal"
    assert INIT_TASK not in run.statuses  # the play stopped on that host
    assert run.recap["failed"] == 1
    result = run.failure(CHECK_TASK)
    assert result["rc"] == 3
    assert result["stderr_lines"][0] == message
    assert "Traceback" not in result["stderr"]
    assert case.snapshot() == before and case.iam_keys() == []


def test_the_readme_shows_the_tasks_of_the_play() -> None:
    """The README's excerpt is the play's first two tasks, not a copy that drifted."""
    yaml = pytest.importorskip("yaml")
    readme = (REPO_ROOT / "README.md").read_text()
    [excerpt] = [
        block
        for block in re.findall(r"```yaml\n(.*?)```", readme, re.DOTALL)
        if CHECK_TASK in block
    ]
    [play] = yaml.safe_load(PLAY.read_text())
    assert yaml.safe_load(excerpt) == play["tasks"][:2]
    assert "examples/ansible-codecommit.yml" in readme
