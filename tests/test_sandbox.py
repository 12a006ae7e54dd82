"""Tests of the sandbox itself, with the real ssh, sshd and git: the doubles must behave like
CodeCommit before they can judge the tool."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sandbox.case import SandboxCase
from sandbox.gitaccess import (
    AUTH_ONLY,
    EXIT_AUTH_ONLY,
    EXIT_REFUSED,
    KMS_DENY,
    REPO_MISSING,
    GitRequest,
    check_access,
    parse_request,
    user_policy_documents,
)
from sandbox.iam import GIT_POLICY, MotoIam, find_ssh_key
from sandbox.iam_policy import Decision, UnsupportedCondition, evaluate
from sandbox.iam_query import IamQuery
from sandbox.policies import FULL_FIX, HALF_FIX, MFA_POLICY, NARROW_FIX
from sandbox.userdb import ENV_KEYID_ACCOUNT, home_env

ACCOUNT = "123456789012"
PERMISSION_DENIED = "Permission denied (publickey)"
GIT_ALLOW = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "codecommit:Git*", "Resource": "*"}],
}
NO_MFA = {"aws:MultiFactorAuthPresent": "false"}
VIA_CODECOMMIT = {**NO_MFA, "kms:ViaService": "codecommit.us-east-1.amazonaws.com"}


# --- the IAM policy evaluator (pure) ------------------------------------------------------


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def test_no_allow_is_an_implicit_deny() -> None:
    assert evaluate([], "codecommit:GitPull", "*") is Decision.IMPLICIT_DENY


def test_explicit_deny_wins_over_allow() -> None:
    deny = doc({"Effect": "Deny", "Action": "*", "Resource": "*"})
    assert evaluate([GIT_ALLOW, deny], "codecommit:GitPull", "arn:x") is Decision.EXPLICIT_DENY


def test_statement_may_be_a_single_object_and_actions_ignore_case() -> None:
    single = {"Statement": {"Effect": "Allow", "Action": "CodeCommit:gitpull", "Resource": "*"}}
    assert evaluate([single], "codecommit:GitPull", "arn:x") is Decision.ALLOW


@pytest.mark.parametrize(
    ("pattern", "action", "matches"),
    [
        ("codecommit:Git*", "codecommit:GitPush", True),
        ("codecommit:Git????", "codecommit:GitPull", True),
        ("codecommit:Git???", "codecommit:GitPull", False),
        ("codecommit:*", "kms:Decrypt", False),
        ("*", "kms:Decrypt", True),
        ("codecommit:Git[P]ull", "codecommit:GitPull", False),  # no [] classes in IAM
    ],
)
def test_action_wildcards(pattern: str, action: str, matches: bool) -> None:
    policy = doc({"Effect": "Allow", "Action": pattern, "Resource": "*"})
    expected = Decision.ALLOW if matches else Decision.IMPLICIT_DENY
    assert evaluate([policy], action, "arn:x") is expected


def test_not_action_and_not_resource() -> None:
    policy = doc(
        {"Effect": "Allow", "NotAction": "iam:*", "NotResource": "arn:aws:codecommit:*:*:secret"}
    )
    assert evaluate([policy], "codecommit:GitPull", "arn:aws:codecommit:r:1:open").name == "ALLOW"
    assert evaluate([policy], "iam:ListUsers", "arn:aws:codecommit:r:1:open").name != "ALLOW"
    assert evaluate([policy], "codecommit:GitPull", "arn:aws:codecommit:r:1:secret").name != (
        "ALLOW"
    )


def test_resource_wildcards_are_case_sensitive() -> None:
    policy = doc({"Effect": "Allow", "Action": "*", "Resource": "arn:aws:codecommit:*:*:Repo-?"})
    assert evaluate([policy], "a:b", "arn:aws:codecommit:us-east-1:1:Repo-1") is Decision.ALLOW
    assert evaluate([policy], "a:b", "arn:aws:codecommit:us-east-1:1:repo-1") is not (
        Decision.ALLOW
    )


def allowed_when(condition: dict[str, Any], context: dict[str, str]) -> bool:
    policy = doc({"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": condition})
    return evaluate([policy], "s:a", "r", context) is Decision.ALLOW


@pytest.mark.parametrize(
    ("condition", "context", "holds"),
    [
        ({"Bool": {"k": "false"}}, {"k": "false"}, True),
        ({"Bool": {"k": "false"}}, {"k": "True"}, False),
        ({"Bool": {"k": "false"}}, {}, False),
        ({"BoolIfExists": {"k": "false"}}, {}, True),
        ({"BoolIfExists": {"k": "false"}}, {"k": "true"}, False),
        ({"Null": {"k": "true"}}, {}, True),
        ({"Null": {"k": "true"}}, {"k": "x"}, False),
        ({"Null": {"k": "false"}}, {"k": "x"}, True),
        ({"StringEquals": {"k": ["a", "b"]}}, {"k": "b"}, True),  # values OR
        ({"StringEquals": {"k": "a"}}, {"k": "A"}, False),
        ({"StringEquals": {"k": "a"}}, {}, False),
        ({"StringEqualsIfExists": {"k": "a"}}, {}, True),
        ({"StringNotEquals": {"k": ["a", "b"]}}, {"k": "b"}, False),  # no value may match
        ({"StringNotEquals": {"k": ["a", "b"]}}, {"k": "c"}, True),
        ({"StringNotEquals": {"k": "a"}}, {}, True),
        (
            {"StringLike": {"k": "codecommit.*.amazonaws.com"}},
            {"k": "codecommit.x.amazonaws.com"},
            True,
        ),
        ({"StringNotLike": {"k": ["s3.*", "ec2.*"]}}, {"k": "ec2.x"}, False),
        ({"StringNotLikeIfExists": {"k": "codecommit.*"}}, {}, True),
        ({"ArnLike": {"k": "arn:aws:iam::*:user/*"}}, {"k": "arn:aws:iam::1:user/bob"}, True),
        ({"Bool": {"a": "true"}, "StringEquals": {"b": "x"}}, {"a": "true", "b": "y"}, False),
        ({"StringEquals": {"a": "1", "b": "2"}}, {"a": "1", "b": "2"}, True),  # keys AND
        ({"StringEquals": {"a": "1", "b": "2"}}, {"a": "1"}, False),
        ({"StringEquals": {"k": "${aws:username}"}}, {"k": "bob", "aws:username": "bob"}, True),
        # aws:MultiFactorAuthAge: numeric, and absent without MFA (then only IfExists holds).
        ({"NumericLessThan": {"k": "3600"}}, {"k": "60"}, True),
        ({"NumericLessThan": {"k": "3600"}}, {"k": "3600"}, False),
        ({"NumericLessThan": {"k": "3600"}}, {}, False),
        ({"NumericLessThanIfExists": {"k": "3600"}}, {}, True),
        ({"NumericGreaterThanEquals": {"k": "10"}}, {"k": "10"}, True),
        ({"NumericLessThan": {"k": "3600"}}, {"k": "soon"}, False),
    ],
)
def test_condition_operators(
    condition: dict[str, Any], context: dict[str, str], holds: bool
) -> None:
    assert allowed_when(condition, context) is holds


ACTION_NAMES = st.from_regex(r"[a-z0-9-]{1,12}:[A-Za-z0-9]{1,20}", fullmatch=True)


@given(action=ACTION_NAMES, allow_too=st.booleans())
def test_deny_star_beats_anything(action: str, allow_too: bool) -> None:
    deny = doc({"Effect": "Deny", "Action": "*", "Resource": "*"})
    allow = doc({"Effect": "Allow", "Action": action, "Resource": "*"})
    docs = [allow, deny] if allow_too else [deny]
    assert evaluate(docs, action, "arn:aws:s3:::b") is Decision.EXPLICIT_DENY


@given(action=ACTION_NAMES)
def test_a_literal_action_matches_itself_in_any_case(action: str) -> None:
    allow = doc({"Effect": "Allow", "Action": action.upper(), "Resource": "*"})
    assert evaluate([allow], action, "r") is Decision.ALLOW
    assert evaluate([allow], action + "x", "r") is Decision.IMPLICIT_DENY


def test_unsupported_operator_is_an_error_not_a_silent_match() -> None:
    with pytest.raises(UnsupportedCondition):
        allowed_when({"DateLessThan": {"k": "2030-01-01T00:00:00Z"}}, {"k": "1"})


# --- the field report, evaluated --------------------------------------------------------------


def access(policy: dict[str, Any], service: str = "git-upload-pack") -> tuple[int, str]:
    return check_access(
        [GIT_ALLOW, policy],
        GitRequest(service, "repo_mfa"),
        user_arn=f"arn:aws:iam::{ACCOUNT}:user/commit-mfa",
        region="ap-northeast-1",
        account_id=ACCOUNT,
    )


def test_mfa_policy_is_the_reports_explicit_deny_word_for_word() -> None:
    assert access(MFA_POLICY) == (
        EXIT_REFUSED,
        "Access denied: User: arn:aws:iam::123456789012:user/commit-mfa is not authorized to "
        "perform: codecommit:GitPull on resource: arn:aws:codecommit:ap-northeast-1:"
        "123456789012:repo_mfa with an explicit deny",
    )


def test_half_fix_fails_at_kms_with_the_reports_message() -> None:
    assert access(HALF_FIX) == (
        EXIT_REFUSED,
        "Access denied: User is not authorized for the KMS default master key for CodeCommit "
        "'alias/aws/codecommit' in your account",
    )
    assert access(HALF_FIX, "git-receive-pack") == (EXIT_REFUSED, KMS_DENY)


@pytest.mark.parametrize("policy", [FULL_FIX, NARROW_FIX], ids=["full-fix", "narrow-fix"])
@pytest.mark.parametrize("service", ["git-upload-pack", "git-receive-pack"])
def test_fixes_let_git_through(policy: dict[str, Any], service: str) -> None:
    assert access(policy, service) == (0, "")


def test_fixes_still_deny_everything_else_without_mfa() -> None:
    for policy in (FULL_FIX, NARROW_FIX):
        assert evaluate([policy], "s3:GetObject", "*", NO_MFA) is Decision.EXPLICIT_DENY
        assert evaluate([policy], "kms:Decrypt", "*", NO_MFA) is Decision.EXPLICIT_DENY
    # The report's fix exempts every CodeCommit API and KMS via any service; the narrow one not.
    assert evaluate([FULL_FIX], "codecommit:DeleteRepository", "*", NO_MFA) is not (
        Decision.EXPLICIT_DENY
    )
    assert evaluate([NARROW_FIX], "codecommit:DeleteRepository", "*", NO_MFA) is (
        Decision.EXPLICIT_DENY
    )
    via_s3 = {**NO_MFA, "kms:ViaService": "s3.us-east-1.amazonaws.com"}
    assert evaluate([FULL_FIX], "kms:Decrypt", "*", via_s3) is not Decision.EXPLICIT_DENY
    assert evaluate([NARROW_FIX], "kms:Decrypt", "*", via_s3) is Decision.EXPLICIT_DENY
    assert evaluate([NARROW_FIX], "kms:Decrypt", "*", VIA_CODECOMMIT) is not (
        Decision.EXPLICIT_DENY
    )


def test_the_ssh_doubles_requests_carry_no_mfa_key() -> None:
    # Signed with a long-term key: a Deny on plain Bool "false" misses it, BoolIfExists hits it,
    # and an Allow on Bool "true" never grants it.
    bool_only = copy.deepcopy(MFA_POLICY)
    bool_only["Statement"][-1]["Condition"] = {"Bool": {"aws:MultiFactorAuthPresent": "false"}}
    assert access(bool_only) == (0, "")
    assert access(MFA_POLICY)[0] == EXIT_REFUSED
    with_mfa_only = {
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "*",
                "Resource": "*",
                "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
            }
        ]
    }
    code, message = check_access(
        [with_mfa_only],
        GitRequest("git-upload-pack", "r"),
        user_arn=f"arn:aws:iam::{ACCOUNT}:user/u",
        region="us-east-1",
        account_id=ACCOUNT,
    )
    assert code == EXIT_REFUSED and "because no identity-based policy allows" in message


def test_implicit_deny_message() -> None:
    code, message = check_access(
        [],
        GitRequest("git-receive-pack", "r"),
        user_arn=f"arn:aws:iam::{ACCOUNT}:user/u",
        region="us-east-1",
        account_id=ACCOUNT,
    )
    assert code == EXIT_REFUSED
    assert message == (
        "Access denied: User: arn:aws:iam::123456789012:user/u is not authorized to perform: "
        "codecommit:GitPush on resource: arn:aws:codecommit:us-east-1:123456789012:r because "
        "no identity-based policy allows the codecommit:GitPush action"
    )


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("git-upload-pack '/v1/repos/my-repo'", GitRequest("git-upload-pack", "my-repo")),
        ("git-receive-pack '/v1/repos/a.b_c'", GitRequest("git-receive-pack", "a.b_c")),
        ("git upload-pack '/v1/repos/r'", GitRequest("git-upload-pack", "r")),
        ("git-upload-pack '/v1/repos/../etc'", None),
        ("git-upload-pack '/v1/repos/..'", None),
        ("git-upload-pack '/srv/repo.git'", None),
        ("ls -la", None),
        ("", None),
        (None, None),
        ("git-upload-pack 'unterminated", None),
    ],
)
def test_parse_request(command: str | None, expected: GitRequest | None) -> None:
    assert parse_request(command) == expected


# --- moto -------------------------------------------------------------------------------------


def test_tool_env_finds_credentials_only_through_the_aws_files(
    moto_iam: MotoIam, tmp_path: Path
) -> None:
    creds = moto_iam.create_developer("env-check")
    moto_iam.write_aws_files(tmp_path, creds, "eu-west-1")
    env = moto_iam.tool_env(tmp_path)
    assert not {k for k in env if k.startswith("AWS_")} - {
        "AWS_ENDPOINT_URL",
        "AWS_EC2_METADATA_DISABLED",
    }
    assert oct((tmp_path / ".aws" / "credentials").stat().st_mode & 0o777) == "0o600"
    script = (
        "import boto3; s = boto3.session.Session(); "
        "print(s.region_name, s.client('sts').get_caller_identity()['Arn'])"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["eu-west-1", f"arn:aws:iam::{ACCOUNT}:user/env-check"]


def test_find_ssh_key_across_users(moto_iam: MotoIam) -> None:
    moto_iam.create_developer("finder-a")
    moto_iam.create_developer("finder-b", grant_git=False)
    body = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDfinder finder"
    key_id = moto_iam.upload_ssh_key("finder-b", body)
    assert key_id.startswith("APKA")
    assert moto_iam.find_ssh_key(key_id) == ("finder-b", "Active", body)
    moto_iam.set_ssh_key_status("finder-b", key_id, "Inactive")
    assert moto_iam.find_ssh_key(key_id) == ("finder-b", "Inactive", body)
    assert moto_iam.find_ssh_key("APKA0000000000000000") is None


def test_the_sshd_programs_query_client_answers_like_boto3(moto_iam: MotoIam) -> None:
    """sshd's programs read IAM with IamQuery (no botocore); it must see what boto3 sees."""
    iam = moto_iam.client("iam")
    moto_iam.create_developer("query-a")
    key_id = moto_iam.upload_ssh_key("query-a", "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDquery q")
    group = "query-group"
    iam.create_group(GroupName=group)
    iam.add_user_to_group(GroupName=group, UserName="query-a")
    iam.put_group_policy(GroupName=group, PolicyName="inline", PolicyDocument=json.dumps(GIT_ALLOW))
    arn = iam.create_policy(PolicyName="query-deny", PolicyDocument=json.dumps(MFA_POLICY))[
        "Policy"
    ]["Arn"]
    iam.attach_user_policy(UserName="query-a", PolicyArn=arn)
    iam.attach_group_policy(GroupName=group, PolicyArn=arn)
    iam.create_user(UserName="query-b")

    query = IamQuery(moto_iam.endpoint)
    assert find_ssh_key(query, key_id) == find_ssh_key(iam, key_id)
    assert find_ssh_key(query, "APKA0000000000000000") is None
    docs = user_policy_documents(query, "query-a")
    assert docs == user_policy_documents(iam, "query-a")
    assert sorted(json.dumps(d, sort_keys=True) for d in docs) == sorted(
        json.dumps(d, sort_keys=True) for d in (GIT_POLICY, GIT_ALLOW, MFA_POLICY, MFA_POLICY)
    )
    assert query.get_user(UserName="query-a")["User"]["Arn"].endswith(":user/query-a")


# --- the user-database shim -------------------------------------------------------------------


def shimmed(env: dict[str, str], code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def test_ssh_reads_its_config_from_the_temp_home(userdb_shim: Path, tmp_path: Path) -> None:
    ssh_dir = tmp_path / ".ssh"
    ssh_dir.mkdir(mode=0o700)
    (ssh_dir / "config").write_text(
        "Host somehost\n    User sandbox-marker\n    IdentityFile ~/.ssh/marker_key\n"
    )
    (ssh_dir / "config").chmod(0o600)
    env = {"PATH": os.environ["PATH"], **home_env(tmp_path)}
    done = subprocess.run(
        ["ssh", "-G", "somehost"],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=True,
    )
    options = done.stdout.splitlines()
    assert "user sandbox-marker" in options
    assert "identityfile ~/.ssh/marker_key" in options
    # ~ is the temp home for ssh itself, not only for $HOME readers:
    assert f"userknownhostsfile {ssh_dir}/known_hosts {ssh_dir}/known_hosts2" in options


def test_python_pwd_sees_the_temp_home(userdb_shim: Path, tmp_path: Path) -> None:
    code = "import os, pwd; print(pwd.getpwuid(os.getuid()).pw_dir)"
    assert shimmed(home_env(tmp_path), code) == str(tmp_path)
    assert shimmed({}, code) != str(tmp_path)


def test_key_ids_map_to_the_account(userdb_shim: Path) -> None:
    me = shimmed({}, "import os, pwd; print(pwd.getpwuid(os.getuid()).pw_name)")
    env = {"LD_PRELOAD": str(userdb_shim), ENV_KEYID_ACCOUNT: me}
    code = (
        "import os, pwd; e = pwd.getpwnam('APKAEXAMPLE000000001'); "
        "print(e.pw_name, e.pw_uid == os.getuid(), e.pw_passwd, e.pw_shell)"
    )
    assert shimmed(env, code) == "APKAEXAMPLE000000001 True * /bin/sh"
    refused = "import pwd\ntry: pwd.getpwnam('nosuchuser-xyz')\nexcept KeyError: print('unknown')"
    assert shimmed(env, refused) == "unknown"
    assert (
        shimmed(
            {},
            "import pwd\ntry: pwd.getpwnam('APKAEXAMPLE000000001')\n"
            "except KeyError: print('unknown')",
        )
        == "unknown"
    )


def test_reentrant_lookup_reports_a_small_buffer(userdb_shim: Path, tmp_path: Path) -> None:
    code = (
        "import ctypes, errno, os\n"
        "libc = ctypes.CDLL(None)\n"
        "result = ctypes.c_void_p()\n"
        "small = ctypes.create_string_buffer(8)\n"
        "entry = ctypes.create_string_buffer(256)\n"
        "rc = libc.getpwuid_r(os.getuid(), entry, small, 8, ctypes.byref(result))\n"
        "print(rc == errno.ERANGE, result.value is None)\n"
    )
    assert shimmed(home_env(tmp_path), code) == "True True"


# --- the CodeCommit doubles through the real ssh and git ---------------------------------------

e2e = pytest.mark.e2e


@pytest.fixture(params=["openssh", "paramiko"])
def case(request: pytest.FixtureRequest) -> SandboxCase:
    """Each end-to-end test runs against both doubles."""
    name = "sandbox" if request.param == "openssh" else "paramiko_sandbox"
    result: SandboxCase = request.getfixturevalue(name)
    return result


def hand_configure(case: SandboxCase, key_id: str, key: Path) -> None:
    """What the report's engineer wrote by hand, after the sandbox's routing block."""
    case.write_routing()
    case.write_ssh_config(
        "Host git-codecommit.*.amazonaws.com\n"
        f"    User {key_id}\n"
        f"    IdentityFile {key}\n"
        "    IdentitiesOnly yes\n"
        "    BatchMode yes\n"
    )
    case.trust_host_key()


def ready_case(case: SandboxCase, policy: dict[str, Any] | None = None) -> str:
    """Key uploaded, ssh configured by hand, optional policy attached; returns the key id."""
    key = case.make_key()
    key_id = case.upload_key(key)
    hand_configure(case, key_id, key)
    if policy is not None:
        case.put_user_policy(policy, "mfa")
    return key_id


def clone(case: SandboxCase, repo: str) -> subprocess.CompletedProcess[str]:
    assert "GIT_SSH_COMMAND" not in case.env and "GIT_SSH" not in case.env
    return case.git("clone", case.clone_url(repo), str(case.home / "work" / repo))


@e2e
def test_routing_block_only_routes(codecommit_server: Any) -> None:
    block = codecommit_server.routing_config("us-east-1")
    assert block.splitlines()[0] == "Host git-codecommit.us-east-1.amazonaws.com"
    for word in (
        "User",
        "IdentityFile",
        "IdentitiesOnly",
        "StrictHostKeyChecking",
        "UserKnownHostsFile",
    ):
        assert word not in block
    assert codecommit_server.host_key_fingerprint.startswith("SHA256:")
    with pytest.raises(ValueError, match="serves us-east-1"):
        codecommit_server.routing_config("eu-west-1")


@e2e
def test_active_key_clones_and_pushes(case: SandboxCase) -> None:
    ready_case(case)
    repo = case.create_repo()
    done = clone(case, repo)
    assert done.returncode == 0, done.stderr + case.server_log()
    work = case.home / "work" / repo
    assert (work / "README.md").read_text().startswith(f"# {repo}")
    (work / "hello.txt").write_text("hello\n")
    ident = ["-c", "user.name=Dev", "-c", "user.email=dev@example.invalid"]
    case.git(*ident, "add", "hello.txt", cwd=work, check=True)
    case.git(*ident, "commit", "-qm", "hello", cwd=work, check=True)
    pushed = case.git("push", "origin", "HEAD:feature", cwd=work)
    assert pushed.returncode == 0, pushed.stderr + case.server_log()
    bare = case.server.repos_dir / f"{repo}.git"
    assert (
        subprocess.run(
            ["git", "--git-dir", str(bare), "rev-parse", "--verify", "-q", "refs/heads/feature"],
            capture_output=True,
        ).returncode
        == 0
    )


@e2e
def test_inactive_key_is_refused(case: SandboxCase) -> None:
    key_id = ready_case(case)
    case.iam.set_ssh_key_status(case.user_name, key_id, "Inactive")
    done = clone(case, case.create_repo())
    assert done.returncode != 0
    assert PERMISSION_DENIED in done.stderr


@e2e
def test_unknown_key_id_is_refused(case: SandboxCase) -> None:
    key = case.make_key()
    case.upload_key(key)
    hand_configure(case, "APKA" + "Z" * 16, key)
    done = clone(case, case.create_repo())
    assert done.returncode != 0
    assert PERMISSION_DENIED in done.stderr


@e2e
def test_someone_elses_key_id_is_refused(case: SandboxCase) -> None:
    other = case.make_key("other_rsa")
    other_id = case.upload_key(other)
    mine = case.make_key()
    case.upload_key(mine)
    hand_configure(case, other_id, mine)  # right id, wrong private key
    done = clone(case, case.create_repo())
    assert PERMISSION_DENIED in done.stderr


@e2e
def test_missing_repo_says_so(case: SandboxCase) -> None:
    ready_case(case)
    done = clone(case, "no-such-repo")
    assert done.returncode != 0
    assert REPO_MISSING.format(repo="no-such-repo") in done.stderr
    assert "Could not read from remote repository" in done.stderr


@e2e
def test_user_without_git_permission_gets_an_implicit_deny(case: SandboxCase) -> None:
    ready_case(case)
    case.iam.client("iam").delete_user_policy(
        UserName=case.user_name, PolicyName="sandbox-codecommit-git"
    )
    repo = case.create_repo()
    done = clone(case, repo)
    assert "because no identity-based policy allows the codecommit:GitPull action" in done.stderr


@e2e
def test_field_report_mfa_policy_denies_git_over_ssh(case: SandboxCase) -> None:
    ready_case(case, MFA_POLICY)
    repo = case.create_repo()
    done = clone(case, repo)
    assert done.returncode != 0
    expected = (
        f"Access denied: User: arn:aws:iam::{ACCOUNT}:user/{case.user_name} is not authorized "
        f"to perform: codecommit:GitPull on resource: "
        f"arn:aws:codecommit:us-east-1:{ACCOUNT}:{repo} with an explicit deny"
    )
    assert expected in done.stderr.splitlines()
    assert "fatal: Could not read from remote repository." in done.stderr


@e2e
def test_field_report_half_fix_fails_at_kms(case: SandboxCase) -> None:
    ready_case(case, HALF_FIX)
    done = clone(case, case.create_repo())
    assert done.returncode != 0
    assert KMS_DENY in done.stderr.splitlines()


@e2e
@pytest.mark.parametrize("policy", [FULL_FIX, NARROW_FIX], ids=["full-fix", "narrow-fix"])
def test_field_report_fixes_clone(case: SandboxCase, policy: dict[str, Any]) -> None:
    ready_case(case, policy)
    done = clone(case, case.create_repo())
    assert done.returncode == 0, done.stderr + case.server_log()


@e2e
def test_the_reports_region_on_its_own_server(
    sandbox_factory: Callable[..., SandboxCase],
) -> None:
    case = sandbox_factory("openssh", "ap-northeast-1", write_aws_files=False)
    assert not (case.home / ".aws").exists()
    ready_case(case, MFA_POLICY)
    repo = case.create_repo("repo_mfa")
    assert case.server.routing_config("ap-northeast-1").startswith(
        "Host git-codecommit.ap-northeast-1.amazonaws.com\n"
    )
    done = clone(case, repo)
    assert f"arn:aws:codecommit:ap-northeast-1:{ACCOUNT}:{repo} with an explicit deny" in (
        done.stderr
    )


@e2e
def test_policies_via_groups_and_managed_policies_count(sandbox: SandboxCase) -> None:
    ready_case(sandbox)
    iam = sandbox.iam.client("iam")
    iam.delete_user_policy(UserName=sandbox.user_name, PolicyName="sandbox-codecommit-git")
    group = f"g-{sandbox.user_name}"
    iam.create_group(GroupName=group)
    iam.add_user_to_group(GroupName=group, UserName=sandbox.user_name)
    arn = iam.create_policy(
        PolicyName=f"p-{sandbox.user_name}", PolicyDocument=json.dumps(GIT_ALLOW)
    )["Policy"]["Arn"]
    iam.attach_group_policy(GroupName=group, PolicyArn=arn)
    assert clone(sandbox, sandbox.create_repo()).returncode == 0
    deny = iam.create_policy(
        PolicyName=f"d-{sandbox.user_name}", PolicyDocument=json.dumps(MFA_POLICY)
    )["Policy"]["Arn"]
    iam.attach_user_policy(UserName=sandbox.user_name, PolicyArn=deny)
    assert "with an explicit deny" in clone(sandbox, sandbox.create_repo()).stderr


@e2e
def test_shell_commands_are_refused(sandbox: SandboxCase) -> None:
    ready_case(sandbox)
    host = "git-codecommit.us-east-1.amazonaws.com"
    done = subprocess.run(
        ["ssh", host, "cat", "/etc/passwd"],
        env=sandbox.env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "root:" not in done.stdout
    assert "Unsupported command" in done.stderr


@e2e
def test_plain_ssh_says_authenticated_like_codecommit(case: SandboxCase) -> None:
    ready_case(case)
    done = subprocess.run(
        ["ssh", "git-codecommit.us-east-1.amazonaws.com"],
        env=case.env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == EXIT_AUTH_ONLY
    assert AUTH_ONLY in done.stderr


@e2e
def test_unknown_host_key_is_not_trusted(sandbox: SandboxCase) -> None:
    key = sandbox.make_key()
    key_id = sandbox.upload_key(key)
    hand_configure(sandbox, key_id, key)
    (sandbox.ssh_dir / "known_hosts").unlink()
    done = clone(sandbox, sandbox.create_repo())
    assert done.returncode != 0
    assert "Host key verification failed" in done.stderr
