"""Turn what git and ssh printed, plus what we know, into a cause and a concrete fix."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Context:
    """What bootstrap knows when a git/ssh command fails."""

    region: str = ""
    repo: str = ""
    key_id: str | None = None
    key_status: str | None = None
    key_path: str | None = None
    fresh_upload: bool = False
    user_name: str | None = None


@dataclass(frozen=True)
class Finding:
    cause: str
    fix: str
    kind: str


_EXPLICIT_DENY = re.compile(
    r"not authorized to perform: (codecommit:Git\w+) on resource: (\S+) with an explicit deny"
)
_IMPLICIT_DENY = re.compile(
    r"not authorized to perform: (codecommit:\w+) on resource: (\S+) because no "
    r"identity-based policy allows"
)
_KMS = "not authorized for the KMS default master key for CodeCommit"


def _last_message(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    meaningful = [line for line in lines if not line.startswith(("Cloning into", "warning:"))]
    return (meaningful or lines or ["git failed without a message"])[0]


def explain(stderr: str, context: Context) -> Finding:
    """The most specific explanation we have for a failed clone, ls-remote or ssh."""
    match = _EXPLICIT_DENY.search(stderr)
    if match:
        return Finding(
            f"IAM explicitly denies {match.group(1)} on {match.group(2)}: a policy "
            "denies access without MFA, and SSH keys can never carry MFA",
            "exempt codecommit:GitPull and codecommit:GitPush in that Deny statement's "
            "NotAction (`bootstrap policy --from FILE` writes the corrected policy)",
            "mfa-explicit-deny",
        )
    if _KMS in stderr:
        return Finding(
            "the MFA Deny statement also blocks the KMS calls CodeCommit makes for you "
            "(repositories are encrypted with alias/aws/codecommit)",
            "exempt KMS calls made via CodeCommit with a kms:ViaService condition "
            "(`bootstrap policy --from FILE` writes the corrected policy)",
            "mfa-kms-deny",
        )
    match = _IMPLICIT_DENY.search(stderr)
    if match:
        return Finding(
            f"no IAM policy allows {match.group(1)} on {match.group(2)} for this user",
            "ask an administrator to attach AWSCodeCommitPowerUser, or a policy allowing "
            "codecommit:GitPull and codecommit:GitPush on the repository",
            "implicit-deny",
        )
    if "Permission denied (publickey" in stderr:
        return _publickey_denied(context)
    if "Host key verification failed" in stderr or "REMOTE HOST IDENTIFICATION HAS CHANGED" in (
        stderr
    ):
        return Finding(
            "ssh does not trust the CodeCommit host key (it is unknown or has changed)",
            "run `bootstrap init` to verify and add the published host key; if it has "
            "changed, compare it with the AWS user guide before trusting it",
            "host-key",
        )
    if "no matching host key type found" in stderr:
        return Finding(
            "the server offers only host-key types your ssh refuses (legacy ssh-rsa)",
            "run `bootstrap init` again: it adds HostKeyAlgorithms +ssh-rsa for CodeCommit "
            "hosts only when the server needs it",
            "host-key-type",
        )
    if "Could not resolve hostname" in stderr:
        return Finding(
            f"the CodeCommit host for region '{context.region}' cannot be resolved",
            "check --region, your DNS and network connection",
            "dns",
        )
    if "timed out" in stderr or "Connection refused" in stderr:
        return Finding(
            "cannot connect to CodeCommit on port 22 (blocked or unreachable)",
            "ask whether outbound SSH (port 22) is allowed, or use HTTPS with "
            "git-remote-codecommit instead",
            "unreachable",
        )
    if "does not exist" in stderr or "not found" in stderr.lower():
        return Finding(
            f"repository '{context.repo}' does not exist in region '{context.region}'",
            "check the name (case matters) and --region; list them with "
            "`aws codecommit list-repositories`",
            "no-repository",
        )
    return Finding(f"git failed: {_last_message(stderr)}", "run again with --debug", "unknown")


def _publickey_denied(context: Context) -> Finding:
    if context.key_status == "Inactive":
        fix = (
            f"activate it: aws iam update-ssh-public-key --user-name {context.user_name} "
            f"--ssh-public-key-id {context.key_id} --status Active"
        )
        return Finding(
            f"CodeCommit refused the key: {context.key_id} is Inactive in IAM", fix, "publickey"
        )
    if context.fresh_upload:
        return Finding(
            "CodeCommit still refuses the key uploaded a minute ago",
            "IAM changes usually reach CodeCommit in seconds; wait a little and run "
            "`bootstrap init` again",
            "publickey",
        )
    return Finding(
        f"CodeCommit refused the SSH key{f' {context.key_path}' if context.key_path else ''}",
        "run `bootstrap doctor` to check the key in IAM, your ssh config and your ssh agent",
        "publickey",
    )
