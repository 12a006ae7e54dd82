"""Is this public key registered to the IAM user? Find it by key material, or upload it.

Real IAM refuses a duplicate (DuplicateSSHPublicKey) and a sixth key (LimitExceeded); both are
handled here, and so is an upload whose answer never came. A key is never deleted or
reactivated behind the user's back: `withdraw` takes out only what a failed run put in.
"""

from __future__ import annotations

from dataclasses import dataclass

from bootstrap.aws.failures import DuplicateKey, KeyLimitReached, NoAnswer
from bootstrap.aws.iam import Aws, Identity, RegisteredKey
from bootstrap.errors import BootstrapError, IamError, IdentityError
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
    """Register a key that the look did not find in IAM. Returns (key, True): whatever IAM
    holds of it afterwards, this run put there.

    An answer that never came is settled by looking the key up by its material: IAM may have
    acted. A retry that meets DuplicateSSHPublicKey met this run's own first attempt.
    """
    try:
        return aws.upload_key(user, public.line), True
    except DuplicateKey:
        found = find(aws, user, public, None)
        if found.match is None:
            raise
        check(found)
        return found.match, True
    except KeyLimitReached:
        raise limit_error(user, aws.list_keys(user)) from None
    except NoAnswer as lost:
        return settle(aws, user, public, lost), True


def settle(aws: Aws, user: str, public: PublicKey, lost: NoAnswer) -> RegisteredKey:
    """Did the upload whose answer was `lost` reach IAM? The key if it did; raises if not."""
    try:
        found = find(aws, user, public, None)
    except BootstrapError as error:
        raise NoAnswer(
            f"{lost.cause}, and IAM could not be asked whether the key {public.sha256} "
            f"arrived for user '{user}': {error.cause}",
            "run again when AWS answers: the private key is kept, so the re-run finds it in IAM "
            "or uploads it",
            details={"sha256": public.sha256},
        ) from None
    if found.match is None:
        raise NoAnswer(
            f"{lost.cause}; IAM does not have the key, so nothing was registered",
            lost.fix,
        )
    return found.match


def withdraw(aws: Aws, user: str, public: PublicKey) -> list[str]:
    """Delete every key of `user` whose material is `public`'s (what a failed run uploaded,
    whether or not it heard IAM's answer); the ids deleted."""
    gone = []
    for listed in aws.list_keys(user):
        full = aws.get_key(user, listed.key_id)
        if full is not None and _same_key(full, public):
            aws.delete_key(user, listed.key_id)
            gone.append(listed.key_id)
    return gone
