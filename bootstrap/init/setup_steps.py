"""The setup steps' actions: key, registration, ssh config, host key. Each pushes its undo."""

from __future__ import annotations

from pathlib import Path

from bootstrap import files
from bootstrap.aws import registration
from bootstrap.aws.iam import Aws
from bootstrap.errors import BootstrapError
from bootstrap.init.answers import InitAnswers
from bootstrap.init.key_ahead import KeyAhead
from bootstrap.results import CREATED, UNCHANGED, UPDATED, StepResult
from bootstrap.ssh import config_plan, hostkeys, keys, locations
from bootstrap.undo import Undo


def describe_key(pair: keys.KeyPair) -> str:
    return f"{locations.tilde(pair.private_path)} (RSA {pair.public.bits}, {pair.public.sha256})"


def key_details(pair: keys.KeyPair) -> dict[str, object]:
    return {
        "path": str(pair.private_path),
        "bits": pair.public.bits,
        "sha256": pair.public.sha256,
        "md5": pair.public.md5,
    }


def make_key(
    answers: InitAnswers, pair: keys.KeyPair | None, undo: Undo, ahead: KeyAhead | None = None
) -> tuple[keys.KeyPair, StepResult]:
    """`ahead`: the new key, already being generated (see key_ahead)."""
    if pair is None:
        files.ensure_private_dir(answers.key_path.parent)
        new = (
            ahead.result()
            if ahead is not None
            else keys.new_key(answers.key_bits, answers.passphrase, keys.default_comment())
        )
        pair = keys.write_pair(answers.key_path, new)
        undo.push(pair.private_path.unlink, "key")
        undo.push(pair.public_path.unlink, "key")
        return pair, StepResult("key", CREATED, describe_key(pair), key_details(pair))
    if not pair.public_path.exists():
        keys.write_missing_public(pair)
        undo.push(pair.public_path.unlink)
        summary = f"wrote the missing {pair.public_path.name} for {describe_key(pair)}"
        return pair, StepResult("key", UPDATED, summary, key_details(pair))
    return pair, StepResult("key", UNCHANGED, describe_key(pair), key_details(pair))


def register(
    aws: Aws, user: str, pair: keys.KeyPair, found: registration.Registration, undo: Undo
) -> tuple[str, bool, StepResult]:
    """The key id, whether it was uploaded now, and the step's result."""
    if found.match is not None:
        key, uploaded = found.match, False
    else:
        # Pushed before the upload: an answer lost, late or cut short by Ctrl-C may still mean
        # IAM has the key, and whatever this run put into IAM, the undo takes out.
        undo.push(lambda: withdraw(aws, user, pair, undo), "registration")
        key, uploaded = registration.upload(aws, user, pair.public)
    if uploaded:
        summary = f"uploaded to {user} as {key.key_id}"
    else:
        summary = f"already registered to {user} as {key.key_id} ({key.status})"
    details = {"key_id": key.key_id, "user": user}
    return (
        key.key_id,
        uploaded,
        StepResult("registration", CREATED if uploaded else UNCHANGED, summary, details),
    )


def withdraw(aws: Aws, user: str, pair: keys.KeyPair, undo: Undo) -> None:
    """Undo the upload. If IAM cannot be reached to do it, the private key stays (a re-run
    reuses it, `remove` deletes it from IAM), and the undo says so."""
    try:
        registration.withdraw(aws, user, pair.public)
    except Exception as error:
        cause = error.cause if isinstance(error, BootstrapError) else type(error).__name__
        undo.keep(
            "key",
            f"{locations.tilde(pair.private_path)} stays: IAM could not be reached to take back "
            f"the key {pair.public.sha256} this run may have uploaded to {user} ({cause}); "
            "`bootstrap init` again reuses it, `bootstrap remove` deletes it from IAM",
        )


def write_config(
    config: config_plan.ConfigPlan, key_id: str, host: str, key_path: Path, undo: Undo
) -> StepResult:
    action = config_plan.write(config, key_id)
    if action != UNCHANGED:
        undo.push(lambda: config_plan.restore(config))
    config_plan.verify_written(config, host, key_id, key_path)
    notes, details = config_plan.result_notes(config)
    return StepResult(
        "ssh config",
        action,
        f"{locations.tilde(config.path)}: Host {config.host_pattern} → User {key_id}, "
        f"IdentityFile {config.identity_file}{notes}",
        {"path": str(config.path), "key_id": key_id, **details},
    )


def trust_host_key(
    target: hostkeys.Target,
    known_in: Path | None,
    server_key: keys.PublicKey | None,
    undo: Undo,
) -> StepResult:
    if known_in is not None or server_key is None:
        where = locations.tilde(known_in or target.user_known_hosts[0])
        return StepResult(
            "host key",
            UNCHANGED,
            f"{target.known_hosts_name} is already in {where}",
            {"known_hosts": str(known_in)},
        )
    path = target.user_known_hosts[0]
    before = path.read_bytes() if path.exists() else None
    hostkeys.add_entry(target, server_key)
    undo.push(lambda: _restore_bytes(path, before))
    return StepResult(
        "host key",
        CREATED,
        f"trusted {server_key.sha256} for {target.known_hosts_name} in {locations.tilde(path)}",
        {"known_hosts": str(path), "fingerprint": server_key.sha256},
    )


def _restore_bytes(path: Path, before: bytes | None) -> None:
    if before is None:
        path.unlink()
    else:
        files.atomic_write(path, before, path.stat().st_mode & 0o777)
