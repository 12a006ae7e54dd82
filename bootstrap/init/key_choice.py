"""The key `init` uses: reuse a pair IAM would accept, or a new one with its size and
passphrase; and the passphrase of an existing key, checked before anything is changed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from bootstrap import files
from bootstrap.aws import endpoints
from bootstrap.errors import LocalFileError, UsageError
from bootstrap.init import key_ahead
from bootstrap.init.answers import InitAnswers, InitFlags
from bootstrap.init.key_ahead import KeyAhead
from bootstrap.ssh import agent, config_plan, hostkeys, keys, locations
from bootstrap.ui.prompts import Prompter

Note = Callable[[str], None]  # tells the user something while asking (Reporter.note)


def usable_keys(default_path: Path, note: Note) -> list[keys.KeyPair]:
    """RSA pairs IAM would accept: the default one first, then others in the same folder."""
    others = sorted(pub.with_suffix("") for pub in default_path.parent.glob("*.pub"))
    found: list[keys.KeyPair] = []
    for path in dict.fromkeys([default_path, *others]):
        if not path.is_file():
            continue
        try:
            pair = keys.load_pair(path)
        except LocalFileError as problem:
            if path == default_path:
                note(f"{locations.tilde(path)} cannot be used: {problem.cause}")
            continue
        if pair is not None:
            found.append(pair)
    return found


def free_key_path(default_path: Path) -> Path:
    """The default path, or the first `_2`, `_3`… beside it with neither half taken."""
    candidate, number = default_path, 1
    while candidate.exists() or keys.public_path_for(candidate).exists():
        number += 1
        candidate = default_path.with_name(f"{default_path.name}_{number}")
    return candidate


def describe_pair(pair: keys.KeyPair) -> str:
    public = pair.public
    return f"Use {locations.tilde(pair.private_path)} (RSA {public.bits}, {public.sha256})"


def ask_key(answers: InitAnswers, flags: InitFlags, prompter: Prompter, note: Note) -> InitAnswers:
    """Reuse an existing key, or create a new one with a size and an optional passphrase."""
    if flags.key:
        if answers.key_path.exists():
            return answers
        return _new_key_details(answers, flags, prompter, note)
    pairs = {describe_pair(pair): pair for pair in usable_keys(answers.key_path, note)}
    new_path = free_key_path(answers.key_path)
    if pairs:
        create = f"Create a new key at {locations.tilde(new_path)}"
        default = next(
            (label for label, pair in pairs.items() if pair.private_path == answers.key_path),
            create,
        )
        picked = prompter.select("SSH key for CodeCommit", [*pairs, create], default=default)
        if picked in pairs:
            return replace(answers, key_path=pairs[picked].private_path)
    return _new_key_details(replace(answers, key_path=new_path), flags, prompter, note)


def _new_key_details(
    answers: InitAnswers, flags: InitFlags, prompter: Prompter, note: Note
) -> InitAnswers:
    bits = answers.key_bits
    if flags.key_bits is None:
        sizes = [str(size) for size in keys.ALLOWED_NEW_BITS]
        where = locations.tilde(answers.key_path)
        bits = int(
            prompter.select(f"Size of the new key {where}", sizes, default=str(keys.DEFAULT_BITS))
        )
    passphrase = answers.passphrase
    if not flags.passphrase_env:
        passphrase = ask_new_passphrase(prompter, note)
    return replace(answers, key_bits=bits, passphrase=passphrase)


def ask_new_passphrase(prompter: Prompter, note: Note, tries: int = 3) -> bytes | None:
    """Hidden, asked twice, must match. Empty means no passphrase."""
    for _ in range(tries):
        first = prompter.secret("Passphrase for the new key (empty for none)")
        if not first:
            return None
        if prompter.secret("The same passphrase again") == first:
            return first.encode()
        note("The passphrases did not match; try again.")
    raise UsageError(
        f"the passphrases did not match {tries} times",
        "run bootstrap init again, or pass --passphrase-env VAR with the passphrase in $VAR",
    )


def passphrase_opens(path: Path, passphrase: bytes | None) -> bool:
    """Whether `passphrase` (None: no passphrase) opens the private key at `path`."""
    from cryptography.exceptions import UnsupportedAlgorithm

    data = path.read_bytes()
    try:
        keys.read_private_key(data).load(passphrase)
    except (TypeError, ValueError, UnsupportedAlgorithm):
        return False
    return True


def ask_existing_passphrase(path: Path, prompter: Prompter, note: Note, tries: int = 3) -> bytes:
    """The passphrase of an existing key, checked: ssh needs it for the test clone."""
    where = locations.tilde(path)
    for _ in range(tries):
        given = prompter.secret(f"Passphrase of {where} (for the test clone)").encode()
        if given and passphrase_opens(path, given):
            return given
        note(f"That is not the passphrase of {where}; try again.")
    raise UsageError(
        f"the passphrase of {where} was wrong {tries} times",
        "run again, or pass --passphrase-env VAR with the passphrase in $VAR",
    )


def check_it_opens(answers: InitAnswers, public: keys.PublicKey) -> None:
    """Before any change: ssh must be able to use an existing key with a passphrase for the
    test clone, so it needs the right passphrase (asked at a terminal, else --passphrase-env)
    or an ssh-agent that holds the key."""
    path = answers.key_path
    if passphrase_opens(path, answers.passphrase) or agent.holds(public):
        return
    where = locations.tilde(path)
    if answers.passphrase is None:
        raise UsageError(
            f"{where} has a passphrase, and there is no terminal to ask for it",
            "pass --passphrase-env VAR with the passphrase in $VAR, or `ssh-add "
            f"{where}` first, or --no-clone",
        )
    raise UsageError(
        f"the passphrase from --passphrase-env does not open {where}",
        f"put the passphrase of {where} in that variable",
    )


def ssh_config_path(flags: InitFlags) -> Path:
    """--ssh-config, checked; else ~/.ssh/config."""
    if flags.ssh_config:
        return locations.check_ssh_config_path(locations.expand(flags.ssh_config))
    return locations.default_ssh_config()


def key_path(flags: InitFlags, ssh_config: Path) -> Path:
    """--key; else the key the managed block names (as status, rotate and remove use it); else
    the default path."""
    if flags.key is None:
        named = config_plan.key_path_in_block(files.read_text_exact(ssh_config))
        return named or locations.default_key_path()
    return locations.check_key_path(locations.expand(flags.key))


def key_bits(flags: InitFlags) -> int:
    return keys.DEFAULT_BITS if flags.key_bits is None else int(flags.key_bits)


def early_key(flags: InitFlags) -> KeyAhead | None:
    """Unattended, the flags alone decide a new key: start generating it before the profile
    and region lookups (botocore's import alone takes ~0.2 s). A bad flag: resolve_init says."""
    try:
        passphrase = keys.passphrase_from_env(flags.passphrase_env)
        # A flag init will refuse anyway: refuse it first, before anything heavy is imported.
        if flags.region:
            endpoints.check_region_shape(flags.region)
        hostkeys.normalise_fingerprint(flags.accept_host_key)
        path = key_path(flags, ssh_config_path(flags))
    except (UsageError, LocalFileError):
        return None
    if key_bits(flags) not in keys.ALLOWED_NEW_BITS:  # resolve_init says so
        return None
    return key_ahead.start_for(path, key_bits(flags), passphrase, flags.dry_run)


def needs_existing_passphrase(answers: InitAnswers) -> bool:
    """An existing encrypted key, no passphrase yet, and a test clone that must use it."""
    if not (answers.clone and answers.passphrase is None and answers.key_path.is_file()):
        return False
    if passphrase_opens(answers.key_path, None):
        return False
    public = keys.public_path_for(answers.key_path)
    try:  # ssh-agent holding the key signs without it
        return not agent.holds(keys.PublicKey.parse(public.read_text(), str(public)))
    except (OSError, LocalFileError):
        return True
