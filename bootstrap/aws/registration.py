"""Is this public key registered to the IAM user? Find it by key material, or upload it.

Real IAM refuses a duplicate (DuplicateSSHPublicKey) and a sixth key (LimitExceeded); both are
handled here. A key is never deleted or reactivated behind the user's back.
"""

from __future__ import annotations

from dataclasses import dataclass

from bootstrap.aws.failures import DuplicateKey, KeyLimitReached
from bootstrap.aws.iam import Aws, Identity, RegisteredKey
from bootstrap.errors import IamError, IdentityError
from bootstrap.ssh.keys import PublicKey

IAM_KEY_LIMIT = 5


@dataclass(frozen=True)
class Registration:
    """The state found in IAM: the matching key if any, and the user's keys if listed."""

    user: str
    match: RegisteredKey | None
    listed: tuple[RegisteredKey, ...] | None


def key_owner(aws: Aws, user: str | None, fix: str) -> Identity:
    """The IAM user whose SSH keys we manage: `user` (--user), else whoever the credentials
    belong to. Roles, federated users and root are refused with `fix`: only IAM users have
    SSH keys."""
    if user:
        return Identity("user", user)
    identity = aws.who_am_i()
    if not identity.can_own_ssh_keys:
        raise IdentityError(
            f"you are signed in as {identity.arn}, a {identity.kind}: only IAM users can have "
            "SSH keys for CodeCommit",
            fix,
            details={"arn": identity.arn, "kind": identity.kind},
        )
    return identity


def key_id_hint(login: str | None) -> str | None:
    """`login` if it can be an SSH key id (APKA…): IAM refuses to look up anything else."""
    return login if login and login.startswith("APKA") and 20 <= len(login) <= 128 else None


def _same_key(registered: RegisteredKey, public: PublicKey) -> bool:
    if not registered.body:
        return False
    try:
        return PublicKey.parse(registered.body).material == public.material
    except Exception:  # a body we cannot parse is not our key
        return False


def find(aws: Aws, user: str, public: PublicKey | None, hint_id: str | None) -> Registration:
    """Look, read-only. `hint_id` (the login of our ssh config block) is tried first, one
    call, when it can be a key id at all (a hand-edited `User alice` cannot)."""
    hint_id = key_id_hint(hint_id)
    if public is not None and hint_id:
        hinted = aws.get_key(user, hint_id)
        if hinted is not None and _same_key(hinted, public):
            return Registration(user, hinted, None)
    listed = tuple(aws.list_keys(user))
    if public is not None:
        for key in listed:
            if key.key_id == hint_id:
                continue
            full = aws.get_key(user, key.key_id)
            if full is not None and _same_key(full, public):
                return Registration(user, full, listed)
    return Registration(user, None, listed)


def limit_error(user: str, keys: tuple[RegisteredKey, ...] | list[RegisteredKey]) -> IamError:
    listing = ", ".join(key.describe() for key in keys)
    return KeyLimitReached(
        f"IAM user '{user}' already has {len(keys)} SSH public keys, the most IAM allows: "
        f"{listing}",
        "delete one you no longer use (`aws iam delete-ssh-public-key --user-name "
        f"{user} --ssh-public-key-id ID`), or reuse its private key with --key PATH",
        details={"keys": [key.__dict__ for key in keys]},
    )


def inactive_error(user: str, key: RegisteredKey) -> IamError:
    return IamError(
        f"this key is registered to '{user}' as {key.key_id} but is Inactive in IAM",
        "reactivate it if that was not deliberate: aws iam update-ssh-public-key "
        f"--user-name {user} --ssh-public-key-id {key.key_id} --status Active",
        details={"key_id": key.key_id, "status": key.status},
    )


def check(found: Registration) -> None:
    """Stop, before any change, on what would make the upload or the clone fail."""
    if found.match is not None:
        if found.match.status != "Active":
            raise inactive_error(found.user, found.match)
        return
    if found.listed is not None and len(found.listed) >= IAM_KEY_LIMIT:
        raise limit_error(found.user, found.listed)


def upload(aws: Aws, user: str, public: PublicKey) -> tuple[RegisteredKey, bool]:
    """Register the key. Returns (key, uploaded): False if IAM already had it."""
    try:
        return aws.upload_key(user, public.line), True
    except DuplicateKey:
        # Registered between our look and our upload (another machine, another run).
        found = find(aws, user, public, None)
        if found.match is None:
            raise
        check(found)
        return found.match, False
    except KeyLimitReached:
        raise limit_error(user, aws.list_keys(user)) from None
