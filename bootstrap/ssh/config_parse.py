"""Reading an ssh config the way OpenSSH does, just enough to explain and to find sections.

We never regenerate the user's file from this: it only answers questions about it (which line
sets `User` first, which `Host` section a line belongs to). The real judge is always `ssh -G`.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass

BOM = "\ufeff"
# `Key Value`, `Key=Value`, `Key = Value`; ssh strips the trailing whitespace (and a CR).
_DIRECTIVE = re.compile(r"^[ \t]*([A-Za-z][A-Za-z0-9]*)(?:[ \t]*=[ \t]*|[ \t]+)(.*?)[ \t\r]*$")


@dataclass(frozen=True)
class Directive:
    line: int  # 1-based
    keyword: str  # lower-cased, as ssh compares keywords
    args: tuple[str, ...]
    text: str


def lines(text: str) -> list[str]:
    """The file's lines with their endings, split on LF only, as ssh's fgets does.

    (str.splitlines would also split on form feeds, U+2028 and other characters that can
    sit inside a non-ASCII comment, and so shift every line number after them.)
    """
    parts = text.split("\n")
    out = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        out.append(parts[-1])
    return out


def parse_line(line: str, number: int = 0) -> Directive | None:
    """The directive on one line, or None for a blank line or a comment."""
    stripped = line.strip(" \t\r\n" + BOM)
    if not stripped or stripped.startswith("#"):
        return None
    match = _DIRECTIVE.match(line.lstrip(BOM))
    if not match:
        return None
    return Directive(number, match.group(1).lower(), split_args(match.group(2)), stripped)


def split_args(value: str) -> tuple[str, ...]:
    """Words as OpenSSH 9 splits them: quotes group, a backslash escapes, and an unquoted
    word that starts with `#` ends the line (`id#1` is one word; `x # note` is just x)."""
    args: list[str] = []
    i, n = 0, len(value)
    while i < n:
        while i < n and value[i] in " \t":
            i += 1
        if i >= n or value[i] == "#":
            break
        word: list[str] = []
        quote = ""
        while i < n and (quote or value[i] not in " \t"):
            char = value[i]
            if quote and char == quote:
                quote = ""
            elif not quote and char in "\"'":
                quote = char
            elif not quote and char == "\\" and i + 1 < n:
                i += 1
                word.append(value[i])
            else:
                word.append(char)
            i += 1
        args.append("".join(word))
    return tuple(args)


def directives(text: str) -> list[Directive]:
    """Keyword lines, comments and blanks skipped. `Key=Value`, tabs and quotes understood;
    a word starting with `#` ends the line's arguments, as in OpenSSH 9."""
    found = []
    for number, line in enumerate(lines(text), start=1):
        directive = parse_line(line, number)
        if directive is not None:
            found.append(directive)
    return found


def host_matches(patterns: tuple[str, ...], host: str) -> bool:
    """ssh's `Host` rule: some pattern matches and no negated pattern does."""
    matched = False
    for pattern in patterns:
        for piece in pattern.split(","):
            negated = piece.startswith("!")
            if fnmatch.fnmatchcase(host.lower(), piece.lstrip("!").lower()):
                if negated:
                    return False
                matched = True
    return matched


def first_setting(text: str, host: str, keyword: str) -> Directive | None:
    """The line of this file that sets `keyword` for `host` first (ssh's first-match rule).

    `Match` criteria need ssh to evaluate them, so their lines count as possibly applying; an
    `Include` that applies is returned, since the included file may set the value.
    """
    applies = True
    for directive in directives(text):
        if directive.keyword == "host":
            applies = host_matches(directive.args, host)
        elif directive.keyword == "match":
            applies = True
        elif applies and directive.keyword in (keyword, "include"):
            return directive
    return None
