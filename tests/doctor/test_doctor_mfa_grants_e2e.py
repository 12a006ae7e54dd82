"""MFA required through Allow conditions, end to end (issue 14 §4): moto IAM, the real sshd and
real git. SSH git meets an implicit deny; doctor names the grant that needs MFA, the live
`git ls-remote` agrees, and the policy `bootstrap policy --from` writes lets git through."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sandbox import policies
from sandbox.case import SandboxCase
from sandbox.iam import GIT_POLICY_NAME

pytestmark = pytest.mark.e2e


def only_policy(case: SandboxCase, document: dict[str, object]) -> None:
    """Replace the user's Git grant with `document`."""
    case.iam.client("iam").delete_user_policy(UserName=case.user_name, PolicyName=GIT_POLICY_NAME)
    case.put_user_policy(document)


def test_a_grant_only_with_mfa_is_named_and_the_narrow_grant_fixes_it(
    sandbox: SandboxCase, tmp_path: Path
) -> None:
    repo, _ = sandbox.set_up()
    only_policy(sandbox, policies.ALLOW_ALL_BUT_IAM_WITH_RECENT_MFA)
    code, checks = sandbox.doctor("--repo", repo)
    assert code == 4  # IAM: the offline judgement fails first
    for name in ("iam policy (offline)", "git"):
        check = checks[name]
        assert check["status"] == "fail" and check["kind"] == "mfa-only-allow", check
        assert "statement 'AllowAllButIamWithRecentMFA'" in check["summary"]
    assert "bootstrap init --protocol https --mfa" in checks["git"]["fix"]
    assert "bootstrap policy --from" in checks["git"]["fix"]

    saved = tmp_path / "policy.json"
    saved.write_text(json.dumps(policies.ALLOW_ALL_BUT_IAM_WITH_RECENT_MFA))
    done = sandbox.run("policy", "--from", str(saved))
    assert done.returncode == 0, done.stderr
    sandbox.put_user_policy(json.loads(done.stdout))
    code, checks = sandbox.doctor("--repo", repo)
    assert code == 0, checks
    assert checks["iam policy (offline)"]["status"] == "ok"
    assert checks["git"]["status"] == "ok"


def test_a_deny_on_plain_bool_does_not_stop_ssh_git(sandbox: SandboxCase) -> None:
    repo, _ = sandbox.set_up()
    # Beside the user's Git grant: a Deny that a request with no MFA key never matches.
    sandbox.put_user_policy(policies.BOOL_ONLY_MFA_POLICY, name="mfa-on-plain-bool")
    code, checks = sandbox.doctor("--repo", repo)
    assert code == 0, checks
    assert checks["iam policy (offline)"]["status"] == "ok"
    assert checks["git"]["status"] == "ok"
