"""`bootstrap status`: what is set up, read-only, and whether the pieces agree.

key ─► identity ─► IAM registration ─► managed block ─► what `ssh -G` resolves ─► known_hosts

Each check reports what it found; a check that fails says what is missing and how to fix it.
Nothing is written, and nothing connects to CodeCommit (that is `doctor`'s job).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bootstrap.aws import registration
from bootstrap.aws.iam import Aws, RegisteredKey
from bootstrap.errors import EXIT_INCOMPLETE, BootstrapError
from bootstrap.lifecycle import rotation
from bootstrap.lifecycle.installed import Installed, identify
from bootstrap.results import CHECKED, FAIL, OK, step_json
from bootstrap.ssh import client as ssh_client
from bootstrap.ssh import hostkeys, keys, locations, managed_block

RUN_INIT = "run `bootstrap init` (it reuses what is already there)"


@dataclass(frozen=True)
class Check:
    section: str
    ok: bool
    summary: str
    details: dict[str, Any] = field(default_factory=dict)
    fix: str = ""
    exit_code: int = EXIT_INCOMPLETE  # used when this check is what fails

    def as_json(self) -> dict[str, Any]:
        """The one step shape (results.step_json): `status` ok or fail, `action` checked."""
        status = OK if self.ok else FAIL
        return step_json(
            self.section, status, CHECKED, self.summary, fix=self.fix, details=self.details
        )


def _failed(section: str, error: BootstrapError) -> Check:
    return Check(section, False, error.cause, dict(error.details), error.fix, error.exit_code)


def check_key(setup: Installed) -> tuple[Check, keys.KeyPair | None]:
    where = locations.tilde(setup.key_path)
    try:
        pair = keys.load_pair(setup.key_path)
    except BootstrapError as error:
        return _failed("key", error), None
    if pair is None:
        missing = Check("key", False, f"no key at {where}", {"path": str(setup.key_path)}, RUN_INIT)
        return missing, None
    public = pair.public
    details = {
        "path": str(pair.private_path),
        "public_path": str(pair.public_path) if pair.public_path.exists() else None,
        "type": public.key_type,
        "bits": public.bits,
        "sha256": public.sha256,
        "md5": public.md5,
    }
    summary = f"{where} (RSA {public.bits}, {public.sha256}, MD5 {public.md5})"
    return Check("key", True, summary, details), pair


def check_identity(aws: Aws, setup: Installed) -> tuple[Check, str | None]:
    try:
        identity = identify(aws, setup)
    except BootstrapError as error:
        return _failed("identity", error), None
    user = identity.user_name or ""
    who = f"IAM user {user}" + (f" ({identity.arn})" if identity.arn else " (from --user)")
    return Check("identity", True, who, {"user": user, "arn": identity.arn}), user


def _key_json(key: RegisteredKey) -> dict[str, str]:
    # `key_status`: a step's own `status` is whether the check passed.
    return {"key_id": key.key_id, "key_status": key.status, "uploaded": key.uploaded}


def check_registration(
    aws: Aws, user: str, pair: keys.KeyPair | None, hint: str | None
) -> tuple[Check, str | None]:
    """The registered key (found by key material; by the block's id if there is no key)."""
    try:
        found = registration.find(aws, user, pair.public if pair else None, hint)
        listed = found.listed if found.listed is not None else tuple(aws.list_keys(user))
        match = found.match
        if match is None and pair is None and hint:
            match = aws.get_key(user, hint)
    except BootstrapError as error:
        return _failed("registration", error), None
    others = [_key_json(key) for key in listed if match is None or key.key_id != match.key_id]
    shown = ", ".join(f"{k['key_id']} ({k['key_status']})" for k in others) or "none"
    if match is None:
        what = "this key is not registered to" if pair else "no key to look for on"
        return (
            Check(
                "registration",
                False,
                f"{what} IAM user {user} (its SSH keys: {shown})",
                {"user": user, "key_id": None, "other_keys": others},
                RUN_INIT,
                EXIT_INCOMPLETE,
            ),
            None,
        )
    details = {"user": user, **_key_json(match), "other_keys": others}
    summary = f"{match.describe()} on IAM user {user}; other keys: {shown}"
    if match.status != "Active":
        inactive = registration.inactive_error(user, match)
        return Check("registration", False, summary, details, inactive.fix), match.key_id
    return Check("registration", True, summary, details), match.key_id


def check_block(setup: Installed, key_id: str | None) -> Check:
    where = locations.tilde(setup.ssh_config)
    details: dict[str, Any] = {"path": str(setup.ssh_config)}
    if setup.config_text is None:
        return Check("ssh config", False, f"{where} does not exist", details, RUN_INIT)
    try:
        block = setup.block
    except BootstrapError as error:
        return _failed("ssh config", error)
    if block is None:
        return Check("ssh config", False, f"{where} has no bootstrap block", details, RUN_INIT)
    pattern = next((d.args for d in managed_block.directives(block) if d.keyword == "host"), ())
    identity = locations.tilde(setup.block_identity) if setup.block_identity else None
    details |= {"host": " ".join(pattern), "user": setup.block_key_id, "identityfile": identity}
    summary = (
        f"{where}: Host {' '.join(pattern)} → User {setup.block_key_id}, IdentityFile {identity}"
    )
    if key_id and setup.block_key_id != key_id:
        return Check(
            "ssh config",
            False,
            f"{summary}, but the key is registered as {key_id}",
            details,
            RUN_INIT,
        )
    if setup.block_identity != setup.key_path:
        return Check(
            "ssh config",
            False,
            f"{summary}, not {locations.tilde(setup.key_path)}",
            details,
            f"{RUN_INIT}, with --key {identity} if that is the key you mean",
        )
    return Check("ssh config", True, summary, details)


def check_resolved(
    setup: Installed, key_id: str | None
) -> tuple[Check, ssh_client.EffectiveOptions | None]:
    """What the real ssh will use for the host: the final word on the config."""
    try:
        options = ssh_client.effective_options(setup.host, setup.ssh_flag_config)
    except BootstrapError as error:
        return _failed("ssh -G", error), None
    user, identity = options.first("user"), options.first("identityfile")
    details = {
        "host": setup.host,
        "user": user,
        "identityfile": identity,
        "hostname": options.first("hostname"),
        "port": options.first("port"),
    }
    summary = f"{setup.host} → user {user}, identityfile {identity}"
    wanted = key_id or setup.block_key_id
    right_key = identity is not None and locations.expand(identity) == setup.key_path
    if (wanted and user != wanted) or not right_key:
        keyword = "user" if wanted and user != wanted else "identityfile"
        winner = managed_block.first_setting(setup.config_text or "", setup.host, keyword)
        if setup.block is None or winner is None:
            blame, fix = "", RUN_INIT
        else:
            blame = f": line {winner.line} (`{winner.text}`) comes first"
            fix = f"move that line below the '{managed_block.BEGIN}' block, or remove it"
        expected = (f"user {wanted}, " if wanted else "") + (
            f"identityfile {locations.tilde(setup.key_path)}"
        )
        return (
            Check("ssh -G", False, f"{summary}, not {expected}{blame}", details, fix),
            options,
        )
    return Check("ssh -G", True, summary, details), options


def check_known_hosts(setup: Installed, options: ssh_client.EffectiveOptions | None) -> Check:
    if options is None:
        return Check("known_hosts", False, "not checked: ssh cannot read the config", {}, "")
    target = hostkeys.Target.from_options(setup.host, options)
    name = target.known_hosts_name
    found_in = hostkeys.known_entry_file(target)
    if found_in is None:
        return Check(
            "known_hosts",
            False,
            f"ssh does not know the host key of {name}",
            {"name": name},
            "run `bootstrap init`: it checks the key against AWS's published fingerprint first",
        )
    lines = hostkeys.lookup(name, found_in)
    fields = lines[0].split() if lines else []
    fingerprint = keys.PublicKey.parse(" ".join(fields[1:3])).sha256 if len(fields) >= 3 else None
    published = setup.endpoint.published_fingerprint
    ours = len(fields) == 4 and fields[3] == hostkeys.ENTRY_MARKER
    details = {
        "name": name,
        "file": str(found_in),
        "fingerprint": fingerprint,
        "published": published,
        "matches_published": None if published is None else fingerprint == published,
        "added_by_bootstrap": ours,
    }
    origin = "added by bootstrap" if ours else "added by you"
    if published and fingerprint != published:
        origin += f"; AWS publishes {published}"
    summary = f"{name} in {locations.tilde(found_in)} ({fingerprint}, {origin})"
    return Check("known_hosts", True, summary, details)


def check_rotation(setup: Installed) -> Check | None:
    """A rotation that was interrupted (its record is still there): not done until a re-run
    of `rotate` finishes it, and the old key may still be Active."""
    interrupted = rotation.load(setup.ssh_config)
    if interrupted is None:
        return None
    old = interrupted.old_key_id or "the old key"
    return Check(
        "rotation",
        False,
        f"a rotation started at {interrupted.started} did not finish: {old} may still be "
        "Active in IAM",
        {"started": interrupted.started, "old_key_id": interrupted.old_key_id},
        "run `bootstrap rotate` again: it finishes the rotation (or undoes its new key)",
    )


def gather(setup: Installed, aws: Aws) -> list[Check]:
    key, pair = check_key(setup)
    identity, user = check_identity(aws, setup)
    checks = [key, identity]
    key_id = None
    if user is not None:
        registered, key_id = check_registration(aws, user, pair, setup.block_key_id)
        checks.append(registered)
    checks.append(check_block(setup, key_id))
    resolved, options = check_resolved(setup, key_id)
    checks += [resolved, check_known_hosts(setup, options)]
    if (unfinished := check_rotation(setup)) is not None:
        checks.append(unfinished)
    return checks


def exit_code(checks: list[Check]) -> int:
    """0 when every check passed; else the first failure's code (EXIT_INCOMPLETE, or 3/4 when
    AWS could not be asked, so a script can tell "not set up" from "could not look")."""
    failed = [check for check in checks if not check.ok]
    if not failed:
        return 0
    special = [check.exit_code for check in failed if check.exit_code != EXIT_INCOMPLETE]
    return special[0] if special else EXIT_INCOMPLETE
