"""What the local ssh prints when it refuses its own config, read line by line: every bad line
it named, each with the fix for it. Pure text: `ssh -G` and git's stderr both come here.

ssh stops at the end of the file and names each line it refused:

    cfg: line 2: Bad configuration option: usekeychain
    Unsupported KEX algorithm "foo-bar-kex"
    cfg line 4: Bad SSH2 KexAlgorithms 'sntrup761x25519-sha512@openssh.com,foo-bar-kex'.
    cfg: terminating, 2 bad configuration options
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_UNKNOWN_OPTION = re.compile(r"^(.+?): line (\d+): Bad configuration option: (\S+)", re.M)
_BAD_VALUE = re.compile(r"^(.+?):? line (\d+): Bad (?:SSH2 )?(.+?) '([^']*)'\.?$", re.M)
_UNSUPPORTED = re.compile(r'^Unsupported (\S+) algorithm "([^"]+)"', re.M)
# ssh names an unknown option in lower case; these are the ones real dotfiles carry (macOS's
# ssh knows UseKeychain, Apple's and others' builds a few more).
_SPELLING = {
    "usekeychain": "UseKeychain",
    "addkeystoagent": "AddKeysToAgent",
    "pubkeyacceptedalgorithms": "PubkeyAcceptedAlgorithms",
    "pubkeyacceptedkeytypes": "PubkeyAcceptedKeyTypes",
    "hostkeyalgorithms": "HostKeyAlgorithms",
    "kexalgorithms": "KexAlgorithms",
    "gssapiauthentication": "GSSAPIAuthentication",
    "gssapikeyexchange": "GSSAPIKeyExchange",
    "gssapidelegatecredentials": "GSSAPIDelegateCredentials",
}
# How ssh names a list option in "Bad SSH2 …" → the option and the `ssh -Q` query for it.
_LISTS = {
    "kexalgorithms": ("KexAlgorithms", "kex"),
    "cipher spec": ("Ciphers", "cipher"),
    "mac spec": ("MACs", "mac"),
    "hostkeyalgorithms": ("HostKeyAlgorithms", "key"),
    "pubkeyacceptedalgorithms": ("PubkeyAcceptedAlgorithms", "key"),
}


@dataclass(frozen=True)
class BadLine:
    """One line that ssh refused: where, what it said, and what to do."""

    path: str
    line: int
    said: str
    fix: str


def bad_lines(stderr: str) -> list[BadLine]:
    """Every config line ssh refused in `stderr`, in the order it named them."""
    found: list[tuple[int, BadLine]] = []
    unsupported = {kind.lower(): value for kind, value in _UNSUPPORTED.findall(stderr)}
    for match in _UNKNOWN_OPTION.finditer(stderr):
        path, line, option = match.groups()
        name = _SPELLING.get(option.lower(), option)
        found.append(
            (
                match.start(),
                BadLine(
                    path,
                    int(line),
                    f"'{name}' is not an option this ssh knows",
                    f"put `IgnoreUnknown {name}` at the top of {path}, before its first Host",
                ),
            )
        )
    for match in _BAD_VALUE.finditer(stderr):
        path, line, what, value = match.groups()
        option, query = _LISTS.get(what.lower(), (what, ""))
        unknown = unsupported.get("kex") if query == "kex" else None
        named = f"'{unknown}'" if unknown else f"a value in '{value}'"
        listed = f" (`ssh -Q {query}` lists the ones it has)" if query else ""
        fix = (
            f"remove {named} from that {option} line{listed}"
            if unknown or query
            else f"correct or remove line {line} of {path}"
        )
        found.append(
            (
                match.start(),
                BadLine(path, int(line), f"this ssh does not support {named} in {option}", fix),
            )
        )
    return [bad for _, bad in sorted(found, key=lambda pair: pair[0])]


def summary(bad: list[BadLine]) -> tuple[str, str]:
    """(cause, fix) naming every refused line, for one error."""
    lines = "; ".join(f"line {b.line} of {b.path}: {b.said}" for b in bad)
    fixes = "; ".join(dict.fromkeys(f"line {b.line}: {b.fix}" for b in bad))
    return f"ssh refuses its config: {lines}", fixes
