"""Evidence for a diagnosis, gathered only once something has failed: read-only, best effort.

"Explicit deny" names a statement only if we can read the user's policies; "Permission denied
(publickey)" has half a dozen causes that IAM and `ssh -G` tell apart. A lookup that fails (no
permission to read policies, no ssh agent) leaves its field unknown, and the explanation is
then less specific, never wrong.
"""

from __future__ import annotations

import contextlib
import dataclasses
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bootstrap import git
from bootstrap.aws import registration
from bootstrap.aws.iam import Aws, RegisteredKey
from bootstrap.diagnosis import rules
from bootstrap.errors import BootstrapError, GitAccessError, LocalFileError
from bootstrap.policy.documents import NamedPolicy
from bootstrap.ssh import agent, keys, locations
from bootstrap.ssh import client as ssh_client

# The user's policies name the statement (an implicit deny: a grant that needs MFA, if any).
DENY_KINDS = frozenset({"mfa-explicit-deny", "explicit-deny", "mfa-kms-deny", "implicit-deny"})
# Failures of this machine, not of reaching the repository: exit 5, not 7.
LOCAL_KINDS = frozenset({"disk-full"})
# A key uploaded this recently may not have reached CodeCommit yet (FACTS: about 10 s).
FRESH_SECONDS = 120


def read_policies(aws: Aws, user: str) -> tuple[tuple[NamedPolicy, ...] | None, str | None]:
    """The user's identity policies, or None and the reason we could not read them."""
    try:
        return tuple(aws.identity_policies(user)), None
    except BootstrapError as error:
        return None, error.cause


def agent_key_count() -> int | None:
    """How many keys the ssh agent holds; None when there is no agent to ask."""
    held = agent.public_keys()
    return None if held is None else len(held)


def ssh_facts(options: ssh_client.EffectiveOptions) -> dict[str, Any]:
    """What ssh will send: login name, first identity file, IdentitiesOnly."""
    identity = options.first("identityfile")
    return {
        "ssh_user": options.first("user"),
        "ssh_identity": str(locations.expand(identity)) if identity else None,
        "identities_only": options.first("identitiesonly") == "yes",
    }


def is_fresh(key: RegisteredKey, now: datetime | None = None) -> bool:
    try:
        uploaded = datetime.fromisoformat(key.uploaded)
    except ValueError:
        return False
    if uploaded.tzinfo is None:
        uploaded = uploaded.replace(tzinfo=timezone.utc)
    age = ((now or datetime.now(timezone.utc)) - uploaded).total_seconds()
    return 0 <= age < FRESH_SECONDS


def key_facts(found: registration.Registration) -> dict[str, Any]:
    """Our key in IAM: registered or not, its id and status, and the user's other key ids."""
    facts: dict[str, Any] = {"key_registered": found.match is not None}
    if found.listed is not None:
        facts["user_key_ids"] = tuple(key.key_id for key in found.listed)
    if found.match is not None:
        facts["key_id"] = found.match.key_id
        facts["key_status"] = found.match.status
        facts["fresh_upload"] = is_fresh(found.match)
    return facts


def _key_lookup(aws: Aws, context: rules.Context, hint: str | None) -> dict[str, Any]:
    if not (context.user_name and context.key_path):
        return {}
    try:
        pair = keys.load_pair(Path(context.key_path))
        if pair is None:
            return {}
        return key_facts(registration.find(aws, context.user_name, pair.public, hint))
    except BootstrapError:
        return {}


def gather(
    stderr: str, context: rules.Context, aws: Aws | None, host: str, ssh_config: Path | None
) -> rules.Context:
    """`context` with what this failure calls for, looked up now."""
    kind = rules.explain(stderr, context).kind
    updates: dict[str, Any] = {}
    if kind in DENY_KINDS and context.policies is None and aws and context.user_name:
        updates["policies"], updates["policies_unreadable"] = read_policies(aws, context.user_name)
    if kind == "publickey":
        if context.ssh_user is None:
            with contextlib.suppress(BootstrapError):
                updates.update(ssh_facts(ssh_client.effective_options(host, ssh_config)))
        if context.key_registered is None and aws is not None:
            # registration.find tries the login first only if it can be a key id.
            updates.update(_key_lookup(aws, context, updates.get("ssh_user") or context.ssh_user))
        if context.agent_keys is None:
            updates["agent_keys"] = agent_key_count()
    return dataclasses.replace(context, **updates) if updates else context


def explain(
    failed: git.GitFailed,
    context: rules.Context,
    aws: Aws | None,
    host: str,
    ssh_config: Path | None,
) -> BootstrapError:
    """A failed git run explained, with the evidence its failure calls for: the one place where
    init, rotate and doctor turn what git said into a cause and a fix. A GitAccessError, or a
    LocalFileError when the trouble is this machine's (a full disk)."""
    stderr = failed.run.stderr
    found = rules.explain(stderr, gather(stderr, context, aws, host, ssh_config))
    details: dict[str, object] = {"kind": found.kind, "url": failed.url, "git_stderr": stderr}
    kind = LocalFileError if found.kind in LOCAL_KINDS else GitAccessError
    return kind(found.cause, found.fix, details=details)
