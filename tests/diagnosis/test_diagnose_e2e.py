"""Each failure's real message, through real ssh and git from the test sshd, explained.

`bootstrap init` (its test clone) and `bootstrap doctor --repo` (its live ls-remote) run as
subprocesses against moto IAM and the OpenSSH double (init again after IAM changed, with
--retest: no local file changed, so a plain re-run would not clone); a few cases run plain git and
explain its stderr directly, as scripts would.
"""

from __future__ import annotations

import json
import socket
import subprocess
from pathlib import Path
from typing import Any

import pytest

from bootstrap.diagnosis import rules
from sandbox import policies
from sandbox.case import SandboxCase

pytestmark = pytest.mark.e2e


def init_error(case: SandboxCase, repo: str) -> dict[str, Any]:
    """Run init again after IAM changed: --retest, since no local file changed."""
    done = case.init("--repo", repo, "--json", "--retest")
    assert done.returncode == 7, done.stderr
    error: dict[str, Any] = json.loads(done.stdout)["error"]
    return error


def prepend_ssh_config(case: SandboxCase, text: str) -> None:
    """Put a Host block first, where ssh's first-match rule makes it win."""
    path = case.ssh_dir / "config"
    path.write_text(text + "\n" + path.read_text())


def host_block(case: SandboxCase, *lines: str) -> str:
    return "\n    ".join([f"Host git-codecommit.{case.region}.amazonaws.com", *lines]) + "\n"


# -- IAM, as CodeCommit answers over SSH --------------------------------------------------------


def test_init_explains_the_mfa_deny_in_two_lines_naming_the_statement(
    sandbox: SandboxCase,
) -> None:
    repo, _ = sandbox.set_up()
    sandbox.put_user_policy(policies.MFA_POLICY)
    done = sandbox.init("--repo", repo, "--retest")
    assert done.returncode == 7
    error, fix = done.stderr.splitlines()
    assert error.startswith("error: statement 'BlockMostAccessUnlessSignedInWithMFA' of inline ")
    assert "codecommit:GitPull" in error and "without MFA" in error
    # The way that keeps the policy comes first (HTTPS with an MFA session), then the exemption.
    assert fix.startswith("  fix: keep the policy: `bootstrap init --protocol https --mfa`")
    assert "or exempt codecommit:GitPull and codecommit:GitPush" in fix
    assert "bootstrap policy --from policy.json" in fix


def test_init_json_carries_kind_cause_and_fix(sandbox: SandboxCase) -> None:
    repo, _ = sandbox.set_up()
    sandbox.put_user_policy(policies.MFA_POLICY)
    error = init_error(sandbox, repo)
    assert error["kind"] == "mfa-explicit-deny"
    assert "BlockMostAccessUnlessSignedInWithMFA" in error["cause"]
    assert "bootstrap policy" in error["fix"]
    assert "with an explicit deny" in error["git_stderr"]


def test_the_printed_fix_works(sandbox: SandboxCase, tmp_path: Path) -> None:
    """Following the MFA fix (`bootstrap policy --from`) makes git work, still without MFA."""
    repo, _ = sandbox.set_up()
    sandbox.put_user_policy(policies.MFA_POLICY)
    saved = tmp_path / "policy.json"
    saved.write_text(json.dumps(policies.MFA_POLICY))
    patched = sandbox.run("policy", "--from", str(saved))
    assert patched.returncode == 0, patched.stderr
    sandbox.put_user_policy(json.loads(patched.stdout))
    done = sandbox.init("--repo", repo, "--retest")
    assert done.returncode == 0, done.stderr


def test_half_fix_fails_in_kms_and_the_fix_is_via_service(sandbox: SandboxCase) -> None:
    repo, _ = sandbox.set_up()
    sandbox.put_user_policy(policies.HALF_FIX)
    error = init_error(sandbox, repo)
    assert error["kind"] == "mfa-kms-deny"
    assert "BlockMostAccessUnlessSignedInWithMFA" in error["cause"]
    assert "kms:ViaService" in error["fix"] and "bootstrap policy" in error["fix"]


def test_user_without_a_grant_is_told_to_get_one_not_to_change_mfa(
    sandbox_factory: Any,
) -> None:
    case: SandboxCase = sandbox_factory(grant_git=False)
    case.write_routing()
    repo = case.create_repo()
    error = init_error(case, repo)
    assert error["kind"] == "implicit-deny"
    assert "AWSCodeCommitPowerUser" in error["fix"]
    assert "MFA" not in error["cause"] + error["fix"]


def test_missing_repository_is_named(sandbox: SandboxCase) -> None:
    sandbox.set_up()
    error = init_error(sandbox, "no-such-repo")
    assert error["kind"] == "no-repository"
    assert "'no-such-repo' does not exist in us-east-1" in error["cause"]


# -- the key ------------------------------------------------------------------------------------


def test_key_deleted_in_iam(sandbox: SandboxCase) -> None:
    repo, key_id = sandbox.set_up()
    sandbox.iam.client("iam").delete_ssh_public_key(
        UserName=sandbox.user_name, SSHPublicKeyId=key_id
    )
    code, checks = sandbox.doctor("--repo", repo, checked=False)
    assert code == 4
    assert checks["iam key"]["status"] == "fail"
    assert "bootstrap init" in checks["iam key"]["fix"]
    assert checks["git"]["kind"] == "publickey"
    assert f"is not registered to IAM user {sandbox.user_name}" in checks["git"]["summary"]


def test_ssh_logging_in_as_another_users_key(sandbox: SandboxCase, sandbox_factory: Any) -> None:
    repo, key_id = sandbox.set_up()
    other: SandboxCase = sandbox_factory()
    other_id = other.upload_key(other.make_key())
    config = sandbox.ssh_dir / "config"
    config.write_text(config.read_text().replace(f"User {key_id}", f"User {other_id}"))
    code, checks = sandbox.doctor("--repo", repo, checked=False)
    assert code != 0
    assert checks["ssh config"]["status"] == "fail"
    assert f"as '{other_id}', not as {key_id}" in checks["ssh config"]["summary"]
    assert checks["git"]["kind"] == "publickey"
    assert f"'{other_id}', which is not an SSH key id of IAM user" in checks["git"]["summary"]


def test_an_agent_offering_other_keys_first(sandbox: SandboxCase, tmp_path: Path) -> None:
    repo = sandbox.create_repo()
    key = sandbox.make_key()
    key_id = sandbox.upload_key(key)
    sandbox.trust_host_key()
    # A hand-written block without IdentitiesOnly, above the routing.
    sandbox.write_ssh_config(host_block(sandbox, f"User {key_id}", f"IdentityFile {key}"))
    sandbox.write_routing()
    agent = start_agent(sandbox, tmp_path / "agent.sock")
    try:
        for index in range(6):  # sshd's MaxAuthTries
            extra = tmp_path / f"agent-key-{index}"
            subprocess.run(
                ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(extra)], check=True
            )
            subprocess.run(["ssh-add", "-q", str(extra)], check=True, env=sandbox.env)
        code, checks = sandbox.doctor("--repo", repo, checked=False)
    finally:
        subprocess.run(["kill", str(agent)], check=True)
    assert code == 7  # only git fails; the ssh config is a warning
    assert checks["ssh config"]["status"] == "warn"
    assert "IdentitiesOnly is off" in checks["ssh config"]["summary"]
    assert checks["git"]["kind"] == "agent-keys"
    assert "IdentitiesOnly yes" in checks["git"]["fix"]


def start_agent(case: SandboxCase, sock: Path) -> int:
    """ssh-agent on `sock` (it forks once the socket is ready); its pid."""
    done = subprocess.run(
        ["ssh-agent", "-s", "-a", str(sock)], capture_output=True, text=True, check=True
    )
    case.env["SSH_AUTH_SOCK"] = str(sock)
    return int(done.stdout.split("SSH_AGENT_PID=")[1].split(";")[0])


# -- the host -----------------------------------------------------------------------------------


def test_unknown_host_key_with_plain_git(sandbox: SandboxCase) -> None:
    repo = sandbox.create_repo()
    key = sandbox.make_key()
    key_id = sandbox.upload_key(key)
    sandbox.write_ssh_config(host_block(sandbox, f"User {key_id}", f"IdentityFile {key}"))
    sandbox.write_routing()
    done = sandbox.git("ls-remote", sandbox.clone_url(repo))
    assert "Host key verification failed" in done.stderr
    found = rules.explain(done.stderr, rules.Context(region=sandbox.region))
    assert found.kind == "host-key"
    assert "bootstrap init --region us-east-1" in found.fix
    code, checks = sandbox.doctor("--repo", repo, checked=False)
    assert code == 6  # known_hosts fails first
    assert checks["known_hosts"]["status"] == "fail"
    assert checks["git"]["kind"] == "host-key"


def test_changed_host_key(sandbox: SandboxCase) -> None:
    repo, _ = sandbox.set_up()
    impostor = sandbox.make_key("impostor").with_name("impostor.pub").read_text().split()[:2]
    known = sandbox.ssh_dir / "known_hosts"
    known.write_text(f"git-codecommit.{sandbox.region}.amazonaws.com {' '.join(impostor)}\n")
    code, checks = sandbox.doctor("--repo", repo, checked=False)
    assert code == 6
    assert checks["known_hosts"]["status"] == "fail"
    assert sandbox.server.host_key_fingerprint in checks["known_hosts"]["summary"]
    assert checks["git"]["kind"] == "host-key-changed"
    # Not AWS's published key either: never advise removing the entry.
    assert "do not connect" in checks["git"]["fix"]


def test_no_matching_host_key_type(sandbox: SandboxCase) -> None:
    repo, _ = sandbox.set_up()
    prepend_ssh_config(sandbox, host_block(sandbox, "HostKeyAlgorithms ssh-ed25519"))
    code, checks = sandbox.doctor("--repo", repo, checked=False)
    assert code == 7
    assert checks["git"]["kind"] == "host-key-type"
    assert "rsa-sha2-512" in checks["git"]["summary"]


def test_unresolvable_hostname(sandbox: SandboxCase) -> None:
    repo, _ = sandbox.set_up()
    prepend_ssh_config(sandbox, host_block(sandbox, "HostName nonexistent.invalid"))
    code, checks = sandbox.doctor("--repo", repo, checked=False)
    assert code == 7
    assert checks["port 22"]["kind"] == "dns"
    assert checks["git"]["kind"] == "dns"
    assert "'nonexistent.invalid'" in checks["git"]["summary"]


def test_refused_port_suggests_https(sandbox: SandboxCase) -> None:
    repo, _ = sandbox.set_up()
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))  # held, never listening: connections are refused
        port = closed.getsockname()[1]
        prepend_ssh_config(sandbox, host_block(sandbox, "HostName 127.0.0.1", f"Port {port}"))
        code, checks = sandbox.doctor("--repo", repo, checked=False)
    assert code == 7
    assert checks["port 22"]["status"] == "fail"
    assert checks["git"]["kind"] == "unreachable"
    assert f"port {port} (Connection refused)" in checks["git"]["summary"]
    assert f"git clone codecommit::us-east-1://{repo}" in checks["git"]["fix"]
