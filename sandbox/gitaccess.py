"""What CodeCommit does between "key accepted" and "git runs": parse, find repo, check access.

Shared by the sshd forced command (sandbox/codecommit.py) and the paramiko server, so both
doubles refuse with the same words and exit codes. The messages are copied from real CodeCommit
(see /work/shared/seeds/000_*.txt) except REPO_MISSING, whose exact wording is not confirmed.
"""

from __future__ import annotations

import json
import os
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from sandbox.iam_policy import Decision, evaluate

ACCESS_LOG = "access.log"
KEYS_LOG = "authorized_keys.log"
EXIT_BAD_REQUEST = 1
EXIT_AUTH_ONLY = 255  # real CodeCommit closes without an exit status: ssh exits 255
EXIT_REFUSED = 128  # what git's own "fatal:" exits with; CodeCommit's refusals look the same

# `ssh git-codecommit.REGION.amazonaws.com` with no command (the user guide's connection test).
# Real CodeCommit prints it with no newline; ssh then adds "Connection to HOST closed by remote
# host." on the same line, which the doubles (exiting with a status) do not reproduce.
AUTH_ONLY = (
    "You have successfully authenticated over SSH. You can use Git to interact with AWS "
    "CodeCommit. Interactive shells are not supported."
)
BAD_REQUEST = "Unsupported command: {command!r}. Only git-upload-pack and git-receive-pack"
REPO_MISSING = "fatal: repository '{repo}' does not exist"
EXPLICIT_DENY = (
    "Access denied: User: {user_arn} is not authorized to perform: {action} on resource: "
    "{resource} with an explicit deny"
)
IMPLICIT_DENY = (
    "Access denied: User: {user_arn} is not authorized to perform: {action} on resource: "
    "{resource} because no identity-based policy allows the {action} action"
)
# Organizations SCPs (a filter above identity policies; doctor cannot read them). The wording
# follows IAM's "access denied error messages" page; CodeCommit's own over SSH is not confirmed.
SCP_EXPLICIT_DENY = (
    "Access denied: User: {user_arn} is not authorized to perform: {action} on resource: "
    "{resource} with an explicit deny in a service control policy"
)
SCP_IMPLICIT_DENY = (
    "Access denied: User: {user_arn} is not authorized to perform: {action} on resource: "
    "{resource} because no service control policy allows the {action} action"
)
# STATE/organizations/USER.json: the SCPs over that user's account (a JSON list of documents).
SCP_DIR = "organizations"
KMS_DENY = (
    "Access denied: User is not authorized for the KMS default master key for CodeCommit "
    "'alias/aws/codecommit' in your account"
)

# service -> (IAM action, KMS action CodeCommit performs for it)
SERVICES = {
    "git-upload-pack": ("codecommit:GitPull", "kms:Decrypt"),
    "git-receive-pack": ("codecommit:GitPush", "kms:GenerateDataKey"),
}
_PATH = re.compile(r"/v1/repos/([A-Za-z0-9._-]{1,100})/?")


@dataclass(frozen=True)
class GitRequest:
    service: str  # "git-upload-pack" | "git-receive-pack"
    repo: str

    @property
    def action(self) -> str:
        return SERVICES[self.service][0]

    @property
    def kms_action(self) -> str:
        return SERVICES[self.service][1]


def parse_request(original_command: str | None) -> GitRequest | None:
    """`git-upload-pack '/v1/repos/NAME'` (as git sends it) -> GitRequest; else None."""
    try:
        words = shlex.split(original_command or "")
    except ValueError:
        return None
    if len(words) == 3 and words[0] == "git":  # "git upload-pack PATH"
        words = [f"git-{words[1]}", words[2]]
    if len(words) != 2 or words[0] not in SERVICES:
        return None
    match = _PATH.fullmatch(words[1])
    if match is None or match.group(1) in {".", ".."}:
        return None
    return GitRequest(words[0], match.group(1))


@dataclass(frozen=True)
class Outcome:
    """Either a refusal (message, exit_code) or the git command to run (argv, env)."""

    exit_code: int = 0
    message: str = ""
    argv: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)

    @property
    def allowed(self) -> bool:
        return bool(self.argv)

    @property
    def text(self) -> str:
        """The message as the client sees it on stderr."""
        return self.message if self.message == AUTH_ONLY else self.message + "\n"

    @property
    def summary(self) -> str:
        return "allowed" if self.allowed else f"refused {self.exit_code}: {self.message}"


def append_log(state: Path, name: str, line: str) -> None:
    """Append a timestamped line to STATE/NAME (the doubles' own logs; see GitHost.log_text)."""
    stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
    with open(state / name, "a", encoding="utf-8") as handle:
        handle.write(f"{stamp} {line}\n")


def repo_path(repos_dir: Path, name: str) -> Path:
    return repos_dir / f"{name}.git"


def user_policy_documents(iam: Any, user_name: str) -> list[dict[str, Any]]:
    """Every identity-based policy of the user: inline, attached, and via the user's groups."""
    docs: list[dict[str, Any]] = []
    for name in _pages(iam, "list_user_policies", "PolicyNames", UserName=user_name):
        docs.append(iam.get_user_policy(UserName=user_name, PolicyName=name)["PolicyDocument"])
    for att in _pages(iam, "list_attached_user_policies", "AttachedPolicies", UserName=user_name):
        docs.append(_managed_document(iam, att["PolicyArn"]))
    for group in _pages(iam, "list_groups_for_user", "Groups", UserName=user_name):
        gname = group["GroupName"]
        for name in _pages(iam, "list_group_policies", "PolicyNames", GroupName=gname):
            docs.append(iam.get_group_policy(GroupName=gname, PolicyName=name)["PolicyDocument"])
        for att in _pages(iam, "list_attached_group_policies", "AttachedPolicies", GroupName=gname):
            docs.append(_managed_document(iam, att["PolicyArn"]))
    return [_decoded(doc) for doc in docs]


def role_policy_documents(iam: Any, role_name: str) -> list[dict[str, Any]]:
    """Every identity-based policy of the role (inline and attached): an assumed-role session's."""
    docs: list[dict[str, Any]] = []
    for name in _pages(iam, "list_role_policies", "PolicyNames", RoleName=role_name):
        docs.append(iam.get_role_policy(RoleName=role_name, PolicyName=name)["PolicyDocument"])
    for att in _pages(iam, "list_attached_role_policies", "AttachedPolicies", RoleName=role_name):
        docs.append(_managed_document(iam, att["PolicyArn"]))
    return [_decoded(doc) for doc in docs]


def _pages(iam: Any, operation: str, key: str, **kwargs: str) -> list[Any]:
    items: list[Any] = []
    for page in iam.get_paginator(operation).paginate(**kwargs):
        items.extend(page[key])
    return items


def _managed_document(iam: Any, arn: str) -> Any:
    version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    return iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]


def _decoded(doc: Any) -> dict[str, Any]:
    if isinstance(doc, str):
        return dict(json.loads(unquote(doc)))
    return dict(doc)


def check_access(
    documents: list[dict[str, Any]],
    request: GitRequest,
    *,
    user_arn: str,
    region: str,
    account_id: str,
    context: Mapping[str, str] | None = None,
    scps: list[dict[str, Any]] | None = None,
) -> tuple[int, str]:
    """(0, "") if CodeCommit would serve the request, else (exit code, CodeCommit's message).

    `context` is the request context the policies see; by default what an SSH key owner's
    request has (the SSH double's): no `aws:MultiFactorAuthPresent` at all, as for every request
    signed with a long-term key (IAM user guide, "AWS global condition context keys"), so a Deny
    on plain Bool "false" misses it and an Allow on Bool "true" never grants it. The HTTPS double
    passes its own: absent for a long-term access key, "true" for an MFA session.
    """
    resource = f"arn:aws:codecommit:{region}:{account_id}:{request.repo}"
    if context is None:
        context = {"aws:username": user_arn.split("/")[-1]}
    fields = {"user_arn": user_arn, "action": request.action, "resource": resource}
    if scps is not None:  # an SCP must allow too, and its Deny wins
        decision = evaluate(scps, request.action, resource, context)
        if decision is not Decision.ALLOW:
            template = (
                SCP_EXPLICIT_DENY if decision is Decision.EXPLICIT_DENY else SCP_IMPLICIT_DENY
            )
            return EXIT_REFUSED, template.format(**fields)
    decision = evaluate(documents, request.action, resource, context)
    if decision is not Decision.ALLOW:
        template = EXPLICIT_DENY if decision is Decision.EXPLICIT_DENY else IMPLICIT_DENY
        return EXIT_REFUSED, template.format(**fields)
    # CodeCommit calls KMS on the user's behalf. The AWS managed key's key policy allows use via
    # the service, so no identity allow is needed: only an explicit deny blocks it.
    kms_resource = f"arn:aws:kms:{region}:{account_id}:alias/aws/codecommit"
    kms_context = {**context, "kms:ViaService": f"codecommit.{region}.amazonaws.com"}
    if evaluate(documents, request.kms_action, kms_resource, kms_context) is Decision.EXPLICIT_DENY:
        return EXIT_REFUSED, KMS_DENY
    return 0, ""


def service_control_policies(state: Path, user_name: str) -> list[dict[str, Any]] | None:
    """The SCPs a test put over this user's account (GitHost.set_service_control_policies)."""
    path = state / SCP_DIR / f"{user_name}.json"
    if not path.exists():
        return None  # no organization: nothing filters
    return list(json.loads(path.read_text(encoding="utf-8")))


def git_env(base: Mapping[str, str]) -> dict[str, str]:
    """`base` without GIT_* variables, with the machine's global/system git config ignored."""
    env = {k: v for k, v in base.items() if not k.startswith("GIT_")}
    env["GIT_CONFIG_GLOBAL"] = os.devnull
    env["GIT_CONFIG_NOSYSTEM"] = "1"
    return env


def decide(
    original_command: str | None,
    *,
    repos_dir: Path,
    iam: Any,
    user_name: str,
    region: str,
    base_env: Mapping[str, str],
) -> Outcome:
    """The whole CodeCommit decision for one SSH session of an authenticated key owner.

    `original_command` is what the client asked to run; None or blank for a shell request.
    """
    if not (original_command or "").strip():
        return Outcome(EXIT_AUTH_ONLY, AUTH_ONLY)
    request = parse_request(original_command)
    if request is None:
        return Outcome(EXIT_BAD_REQUEST, BAD_REQUEST.format(command=original_command or ""))
    path = repo_path(repos_dir, request.repo)
    if not path.is_dir():
        return Outcome(EXIT_REFUSED, REPO_MISSING.format(repo=request.repo))
    user_arn = str(iam.get_user(UserName=user_name)["User"]["Arn"])
    account_id = user_arn.split(":")[4]
    code, message = check_access(
        user_policy_documents(iam, user_name),
        request,
        user_arn=user_arn,
        region=region,
        account_id=account_id,
        scps=service_control_policies(repos_dir.parent, user_name),
    )
    if code:
        return Outcome(code, message)
    argv = ["git", request.service.removeprefix("git-"), str(path)]
    return Outcome(argv=argv, env=git_env(base_env))
