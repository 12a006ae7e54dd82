"""The managed block in an ssh config: pure text in, text out. No I/O.

We never parse and regenerate the user's file. We find our fenced block and replace it, or
insert a new one at the top, where ssh's first-match rule cannot override it. Every byte outside
the block stays as it was, whatever the line endings.
"""

from __future__ import annotations

import fnmatch
import re
import shlex
from dataclasses import dataclass

from bootstrap import templating
from bootstrap.errors import LocalFileError

BEGIN = "# >>> bootstrap"
END = "# <<< bootstrap"
BOM = "\ufeff"
_DIRECTIVE = re.compile(r"^\s*([A-Za-z][A-Za-z0-9]*)(?:\s*=\s*|\s+)(.*?)\s*$")


@dataclass(frozen=True)
class Directive:
    line: int  # 1-based
    keyword: str  # lower-cased, as ssh compares keywords
    args: tuple[str, ...]
    text: str


def newline_of(text: str) -> str:
    """The file's own line ending, so the block we add looks like the rest of it."""
    return "\r\n" if text.count("\r\n") * 2 > text.count("\n") else "\n"


def quote(value: str) -> str:
    return f'"{value}"' if any(c.isspace() for c in value) else value


def render_block(
    host_pattern: str,
    key_id: str,
    identity_file: str,
    newline: str = "\n",
    extra_options: tuple[str, ...] = (),
) -> str:
    extra = "".join(f"    {option}\n" for option in extra_options)
    text = templating.read("ssh_config_block.txt").format(
        host_pattern=host_pattern,
        key_id=key_id,
        identity_file=quote(identity_file),
        extra_options=extra,
    )
    return text.replace("\n", newline)


def find_block(text: str) -> tuple[int, int] | None:
    """Character offsets [start, end) of our block, end marker's line ending included."""
    begin = end = None
    offset = 0
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
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


def move_block_to_top(text: str, block: str) -> str:
    return apply_block(remove_block(text), block)


def remove_block(text: str) -> str:
    span = find_block(text)
    return text if span is None else text[: span[0]] + text[span[1] :]


def directives(text: str) -> list[Directive]:
    """Keyword lines, comments and blanks skipped. `Key=Value` and quoted values understood."""
    found = []
    for number, line in enumerate(text.lstrip(BOM).splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = _DIRECTIVE.match(line)
        if not match:
            continue
        try:
            args = tuple(shlex.split(match.group(2), comments=False, posix=True))
        except ValueError:
            args = tuple(match.group(2).split())
        found.append(Directive(number, match.group(1).lower(), args, stripped))
    return found


def host_matches(patterns: tuple[str, ...], host: str) -> bool:
    """ssh's `Host` rule: some pattern matches and no negated pattern does."""
    matched = False
    for pattern in patterns:
        for piece in pattern.split(","):
            negated = piece.startswith("!")
            if fnmatch.fnmatchcase(host, piece.lstrip("!")):
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
