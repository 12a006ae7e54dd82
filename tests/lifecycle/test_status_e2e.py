"""`bootstrap status` end to end: after a real `init` against moto and the test sshd.

status only reads: every test also checks that the home is byte-identical afterwards.
"""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from sandbox.case import SandboxCase

pytestmark = pytest.mark.e2e

EXIT_INCOMPLETE = 8


def status(case: SandboxCase, *extra: str) -> subprocess.CompletedProcess[str]:
    return case.run("status", "--region", case.region, *extra)


def checks(done: subprocess.CompletedProcess[str]) -> dict[str, dict[str, Any]]:
    return {check["step"]: check for check in json.loads(done.stdout)["steps"]}


def keygen_fingerprint(path: str, hash_name: str) -> str:
    done = subprocess.run(
        ["ssh-keygen", "-l", "-E", hash_name, "-f", path], capture_output=True, text=True
    )
    return done.stdout.split()[1]


def test_after_init_everything_is_shown_and_consistent(sandbox: SandboxCase) -> None:
    repo = sandbox.ready()
    assert sandbox.init("--repo", repo).returncode == 0
    sandbox.upload_key(sandbox.make_key("laptop_rsa"))
    sandbox.iam.set_ssh_key_status(
        sandbox.user_name, sandbox.iam_keys()[-1]["SSHPublicKeyId"], "Inactive"
    )
    before = sandbox.snapshot()

    done = status(sandbox, "--json")

    assert done.returncode == 0, done.stdout + done.stderr
    found = checks(done)
    assert json.loads(done.stdout)["complete"] is True
    pub = str(sandbox.home / ".ssh" / "codecommit_rsa.pub")
    assert found["key"]["sha256"] == keygen_fingerprint(pub, "sha256")
    assert "MD5:" + found["key"]["md5"] == keygen_fingerprint(pub, "md5")
    assert (found["key"]["type"], found["key"]["bits"]) == ("ssh-rsa", 2048)
    ours, laptop = sandbox.iam_keys()
    assert found["registration"]["key_id"] == ours["SSHPublicKeyId"]
    assert found["registration"]["key_status"] == "Active"
    assert found["registration"]["uploaded"][:10] == str(ours["UploadDate"])[:10]
    assert found["registration"]["other_keys"] == [
        {
            "key_id": laptop["SSHPublicKeyId"],
            "key_status": "Inactive",
            "uploaded": found["registration"]["other_keys"][0]["uploaded"],
        }
    ]
    assert found["ssh config"]["user"] == ours["SSHPublicKeyId"]
    assert found["ssh -G"]["user"] == ours["SSHPublicKeyId"]
    assert found["ssh -G"]["identityfile"] == "~/.ssh/codecommit_rsa"
    assert found["ssh -G"]["port"] == str(sandbox.server.port)
    assert found["known_hosts"]["fingerprint"] == sandbox.server.host_key_fingerprint
    assert found["known_hosts"]["added_by_bootstrap"] is True
    assert found["known_hosts"]["matches_published"] is False  # the sandbox was pinned
    assert sandbox.snapshot() == before


def test_text_report_marks_each_check(sandbox: SandboxCase) -> None:
    repo = sandbox.ready()
    assert sandbox.init("--repo", repo).returncode == 0
    done = status(sandbox)
    assert done.returncode == 0, done.stdout
    [key_id] = [k["SSHPublicKeyId"] for k in sandbox.iam_keys()]
    assert f"✓ registration {key_id} (Active" in done.stdout
    assert "✓ key          ~/.ssh/codecommit_rsa (RSA 2048, SHA256:" in done.stdout
    assert done.stdout.rstrip().endswith("Complete: SSH access to CodeCommit is set up.")


def test_before_init_exits_8_and_says_what_is_missing(sandbox: SandboxCase) -> None:
    sandbox.write_routing()
    before = sandbox.snapshot()
    done = status(sandbox)
    assert done.returncode == EXIT_INCOMPLETE
    assert "✗ key          no key at ~/.ssh/codecommit_rsa" in done.stdout
    assert "✗ ssh config   ~/.ssh/config has no bootstrap block" in done.stdout
    assert "✗ known_hosts  ssh does not know the host key" in done.stdout
    assert "fix: run `bootstrap init`" in done.stdout
    assert "Traceback" not in done.stderr
    assert sandbox.snapshot() == before


def test_inactive_key_is_reported_with_the_command_to_reactivate(sandbox: SandboxCase) -> None:
    repo = sandbox.ready()
    assert sandbox.init("--repo", repo).returncode == 0
    [key] = sandbox.iam_keys()
    sandbox.iam.set_ssh_key_status(sandbox.user_name, key["SSHPublicKeyId"], "Inactive")
    done = status(sandbox, "--json")
    assert done.returncode == EXIT_INCOMPLETE
    registration = checks(done)["registration"]
    assert registration["status"] == "fail" and registration["key_status"] == "Inactive"
    assert "--status Active" in registration["fix"]
    document = json.loads(done.stdout)
    assert document["exit_code"] == EXIT_INCOMPLETE and document["ok"] is False
    assert document["error"]["cause"].startswith("the setup is incomplete (1 of ")
    assert "--status Active" in document["error"]["fix"]


def test_key_deleted_in_iam_disagrees_with_the_block(sandbox: SandboxCase) -> None:
    repo = sandbox.ready()
    assert sandbox.init("--repo", repo).returncode == 0
    [key] = sandbox.iam_keys()
    sandbox.iam.client("iam").delete_ssh_public_key(
        UserName=sandbox.user_name, SSHPublicKeyId=key["SSHPublicKeyId"]
    )
    done = status(sandbox, "--json")
    assert done.returncode == EXIT_INCOMPLETE
    found = checks(done)
    assert found["registration"]["status"] == "fail"
    assert "not registered" in found["registration"]["summary"]


def test_host_star_above_the_block_is_blamed_by_line(sandbox: SandboxCase) -> None:
    repo = sandbox.ready()
    assert sandbox.init("--repo", repo).returncode == 0
    config = sandbox.home / ".ssh" / "config"
    config.write_bytes(b"Host *\n    User everyone\n" + config.read_bytes())
    done = status(sandbox, "--json")
    assert done.returncode == EXIT_INCOMPLETE
    resolved = checks(done)["ssh -G"]
    assert resolved["status"] == "fail" and resolved["user"] == "everyone"
    assert "line 2 (`User everyone`) comes first" in resolved["summary"]


def test_without_credentials_exits_3_and_still_shows_the_local_part(
    sandbox: SandboxCase,
) -> None:
    repo = sandbox.ready()
    assert sandbox.init("--repo", repo).returncode == 0
    (sandbox.home / ".aws" / "credentials").unlink()
    done = status(sandbox, "--json")
    assert done.returncode == 3
    found = checks(done)
    identity = found["identity"]
    assert identity["status"] == "fail" and "no AWS credentials" in identity["summary"]
    assert {found[name]["status"] for name in ("key", "ssh -G", "known_hosts")} == {"ok"}
