"""What the diagnosis knows when git or ssh fails (Context), and what it concludes (Finding)."""

from __future__ import annotations

from dataclasses import dataclass

from bootstrap.policy.documents import NamedPolicy


@dataclass(frozen=True)
class Context:
    """What bootstrap knows when a git/ssh command fails. Every field is optional."""

    region: str = ""
    protocol: str = "ssh"  # how git reached CodeCommit: ssh | https
    repo: str = ""
    key_id: str | None = None  # the IAM id of our key
    key_status: str | None = None
    key_path: str | None = None
    fresh_upload: bool = False
    user_name: str | None = None
    # Evidence gathered after a failure (evidence.py) or by `bootstrap doctor`; None = unknown.
    user_arn: str | None = None
    profile: str | None = None
    key_registered: bool | None = None  # our key's material is one of the user's IAM keys
    user_key_ids: tuple[str, ...] | None = None  # every SSH key id of the user
    ssh_user: str | None = None  # `ssh -G`: the login name ssh sends
    ssh_identity: str | None = None  # `ssh -G`: the first identity file (expanded)
    identities_only: bool | None = None
    agent_keys: int | None = None  # keys the ssh agent holds
    policies: tuple[NamedPolicy, ...] | None = None  # the user's policies we could read
    policies_unreadable: str | None = None  # why we could not read them

    @property
    def account(self) -> str | None:
        parts = (self.user_arn or "").split(":")
        return parts[4] if len(parts) > 5 and parts[4] else None

    @property
    def via_codecommit(self) -> str:
        return f"codecommit.{self.region or '*'}.amazonaws.com"


@dataclass(frozen=True)
class Finding:
    cause: str
    fix: str
    kind: str
