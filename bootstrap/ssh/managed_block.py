"""The managed block in an ssh config: pure text in, text out. No I/O.

We never parse and regenerate the user's file. We find our fenced block and replace it, or
insert a new one at the top, where ssh's first-match rule cannot override it. Every byte outside
the block stays as it was, whatever the line endings, with two exceptions that are always
reported: a hand-written CodeCommit section's `User`/`IdentityFile` lines are commented out
(so that exactly one block decides; `remove_block` puts them back), and a UTF-8 byte-order mark
is dropped when the local ssh refuses it (OpenSSH reads it as part of the first keyword).
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass

from bootstrap import templating
from bootstrap.errors import LocalFileError
from bootstrap.ssh.config_parse import (
    BOM,
    Directive,
    directives,
    first_setting,
    host_matches,
    lines,
    parse_line,
)

# The parsing helpers stay importable from here, where other modules first found them.
__all__ = ["BOM", "Directive", "directives", "first_setting", "host_matches"]

BEGIN = "# >>> bootstrap"
END = "# <<< bootstrap"
# Put in front of a hand-written CodeCommit `User`/`IdentityFile` line; `remove_block` takes
# it off again. A comment to ssh, and self-explanatory to a person reading the file.
DISABLED = "# disabled by bootstrap: "
KEYCHAIN = "UseKeychain"


@dataclass(frozen=True)
class BlockOptions:
    """What the block sets beyond User/IdentityFile/IdentitiesOnly, each for a stated reason."""

    legacy_rsa: bool = False  # the server offers only SHA-1 ssh-rsa; the client refuses it
    keychain: bool = False  # macOS, key with a passphrase: AddKeysToAgent + UseKeychain
    ignore_unknown: tuple[str, ...] = ()  # the user's own IgnoreUnknown patterns, kept


@dataclass(frozen=True)
class DisabledLine:
    line: int  # 1-based, in the file as it was
    text: str  # the directive as the user wrote it
    keyword: str  # "user" or "identityfile"
    value: str


def newline_of(text: str) -> str:
    """The file's own line ending, so the block we add looks like the rest of it."""
    return "\r\n" if text.count("\r\n") * 2 > text.count("\n") else "\n"


def quote(value: str) -> str:
    """A value as ssh reads it back: `%` is a token escape, spaces need quotes."""
    value = value.replace("%", "%%")
    return f'"{value}"' if any(c.isspace() for c in value) else value


def _prelude(options: BlockOptions) -> str:
    if not options.keychain:
        return ""
    patterns = ",".join(dict.fromkeys([KEYCHAIN, *options.ignore_unknown]))
    return (
        "# IgnoreUnknown comes first, for every host: an OpenSSH that is not Apple's then\n"
        "# skips UseKeychain instead of refusing the whole file.\n"
        "Host *\n"
        f"    IgnoreUnknown {patterns}\n"
    )


def _extra_options(options: BlockOptions) -> str:
    text = ""
    if options.legacy_rsa:
        text += (
            "    # The server offers only SHA-1 ssh-rsa signatures, which this OpenSSH refuses\n"
            "    # by default; allowed for these hosts only.\n"
            "    HostKeyAlgorithms +ssh-rsa\n"
            "    PubkeyAcceptedAlgorithms +ssh-rsa\n"
        )
    if options.keychain:
        text += (
            "    # macOS: remember the key's passphrase in the Keychain.\n"
            "    AddKeysToAgent yes\n"
            f"    {KEYCHAIN} yes\n"
        )
    return text


def render_block(
    host_pattern: str,
    key_id: str,
    identity_file: str,
    newline: str = "\n",
    options: BlockOptions | None = None,
) -> str:
    options = options or BlockOptions()
    text = templating.read("ssh_config_block.txt").format(
        prelude=_prelude(options),
        host_pattern=host_pattern,
        key_id=key_id,
        identity_file=quote(identity_file),
        extra_options=_extra_options(options),
    )
    return text.replace("\n", newline)


def options_in_block(block: str) -> BlockOptions:
    """The options an existing block of ours carries (so a rewrite can keep them)."""
    found = {d.keyword: d.args for d in directives(block)}
    ignored = found.get("ignoreunknown", ())
    patterns = tuple(p for arg in ignored for p in arg.split(",") if p and p != KEYCHAIN)
    return BlockOptions(
        legacy_rsa="+ssh-rsa" in found.get("hostkeyalgorithms", ()),
        keychain="usekeychain" in found,
        ignore_unknown=patterns,
    )


def find_block(text: str) -> tuple[int, int] | None:
    """Character offsets [start, end) of our block, end marker's line ending included."""
    begin = end = None
    offset = 0
    for number, line in enumerate(lines(text), start=1):
        bare = line.lstrip(BOM).strip()
        if bare.startswith(BEGIN):
            if begin is not None:
                raise LocalFileError(
                    f"the ssh config has a second '{BEGIN}' line at line {number}",
                    "delete the stray marker lines, then run bootstrap again",
                )
            begin = offset + (len(line) - len(line.lstrip(BOM)))
        elif bare.startswith(END):
            if begin is None or end is not None:
                raise LocalFileError(
                    f"the ssh config has a '{END}' line at line {number} without its start",
                    "delete the stray marker line, then run bootstrap again",
                )
            end = offset + len(line)
        offset += len(line)
    if begin is None:
        return None
    if end is None:
        raise LocalFileError(
            f"the ssh config has a '{BEGIN}' line but no '{END}' line",
            f"add a '{END}' line after the block, or delete the block, then run bootstrap again",
        )
    return begin, end


def current_block(text: str) -> str | None:
    span = find_block(text)
    return None if span is None else text[span[0] : span[1]]


def apply_block(text: str, block: str) -> str:
    """Replace our block in place, or insert it at the top (after a BOM) if there is none."""
    span = find_block(text)
    if span is not None:
        return text[: span[0]] + block + text[span[1] :]
    bom = BOM if text.startswith(BOM) else ""
    return bom + block + text[len(bom) :]


def _without_block(text: str) -> str:
    span = find_block(text)
    return text if span is None else text[: span[0]] + text[span[1] :]


def move_block_to_top(text: str, block: str) -> str:
    return apply_block(_without_block(text), block)


def remove_block(text: str) -> str:
    """The file without our block, with the hand-written lines we disabled put back."""
    return restore_disabled(_without_block(text))


def restore_disabled(text: str) -> str:
    return "".join(
        line[len(DISABLED) :] if line.startswith(DISABLED) else line for line in lines(text)
    )


def user_ignore_unknown(text: str) -> tuple[str, ...]:
    """IgnoreUnknown patterns the user set outside our block (ours must not hide them)."""
    found: list[str] = []
    for directive in directives(_without_block(text)):
        if directive.keyword == "ignoreunknown":
            found += [p for arg in directive.args for p in arg.split(",") if p]
    return tuple(p for p in dict.fromkeys(found) if p != KEYCHAIN)


def is_codecommit_section(patterns: tuple[str, ...], host_pattern: str) -> bool:
    """A `Host` line written for CodeCommit only (as the AWS guide shows) within our pattern:
    every pattern names git-codecommit and overlaps ours. `Host *` and mixed lines are not."""
    wanted = host_pattern.lower()
    positive = [
        piece.lower()
        for pattern in patterns
        for piece in pattern.split(",")
        if piece and not piece.startswith("!")
    ]
    return bool(positive) and all(
        piece.startswith("git-codecommit")
        and (fnmatch.fnmatchcase(piece, wanted) or fnmatch.fnmatchcase(wanted, piece))
        for piece in positive
    )


def disable_handwritten(text: str, host_pattern: str) -> tuple[str, tuple[DisabledLine, ...]]:
    """Comment out `User`/`IdentityFile` in hand-written CodeCommit sections outside our block.

    Only those two lines: a `Port`, `ProxyCommand` or `HostName` the user added for their
    network stays. Our block then alone decides who logs in with which key.
    """
    span = find_block(text)
    out: list[str] = []
    disabled: list[DisabledLine] = []
    in_section = False
    offset = 0
    for number, line in enumerate(lines(text), start=1):
        start, offset = offset, offset + len(line)
        if span is not None and span[0] <= start < span[1]:
            in_section = False  # our block ends with `Host *`
            out.append(line)
            continue
        directive = parse_line(line, number)
        if directive is not None and directive.keyword == "host":
            in_section = is_codecommit_section(directive.args, host_pattern)
        elif directive is not None and directive.keyword == "match":
            in_section = False
        elif directive is not None and in_section and directive.keyword in ("user", "identityfile"):
            out.append(DISABLED + line)
            value = directive.args[0] if directive.args else ""
            disabled.append(DisabledLine(number, directive.text, directive.keyword, value))
            continue
        out.append(line)
    return "".join(out), tuple(disabled)
