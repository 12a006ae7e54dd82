"""Which credential helpers git asks for a URL, in order, and its useHttpPath: as git decides.

git applies every `credential.NAME` and every `credential.<url>.NAME` whose `<url>` matches, in
the order it reads its config (system, global, then the repository's; each file top to bottom,
includes where they are); for `helper`, each value is added to a list that an empty value
clears (gitcredentials(7), "CONFIGURATION OPTIONS"). `git config --get-urlmatch` alone shows
only the best match, not that list. So the entries are listed in git's order with where each
was read, and whether a `<url>` matches is asked of git itself: one probe variable per pattern,
given with `-c`, and `git config --get-urlmatch credential URL` names those that match
(wildcards and paths matched as git matches them). Read-only; nothing is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bootstrap.errors import LocalFileError
from bootstrap.https import git_config

PROBE = "bootstrapprobe"
NAMES = ("helper", "usehttppath")
_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0", ""}


@dataclass(frozen=True)
class Entry:
    origin: str  # where git read it, as --show-origin says: "file:/home/me/.gitconfig", …
    pattern: str | None  # the <url> of credential.<url>.NAME; None for credential.NAME
    name: str  # helper | usehttppath
    value: str | None  # None: the key is there without `= value`

    @property
    def where(self) -> str:
        kind, _, path = self.origin.partition(":")
        return git_config.tilde(Path(path)) if kind == "file" and path else self.origin

    @property
    def setting(self) -> str:
        """As it reads in the config: `helper = osxkeychain`."""
        return f"`{self.name} = {self.value}`" if self.value is not None else f"`{self.name}`"

    @property
    def line(self) -> str:
        """The setting and where: `helper = osxkeychain` ([credential] in ~/.gitconfig)."""
        section = f'[credential "{self.pattern}"]' if self.pattern else "[credential]"
        return f"{self.setting} ({section} in {self.where})"


def _split(key: str) -> tuple[str | None, str] | None:
    """`credential.<url>.name` or `credential.name` → (url or None, name)."""
    if not key.startswith("credential."):
        return None
    head, _, name = key[len("credential.") :].rpartition(".")
    if name not in NAMES:
        return None
    return (head or None), name


def _failed(done_stderr: bytes, returncode: int) -> LocalFileError:
    said = " ".join(done_stderr.decode(errors="replace").split()) or f"exit {returncode}"
    return LocalFileError(
        f"git cannot read its credential settings: {said}",
        "fix what git says about your git config, then run again",
    )


def listed(runner: git_config.Runner) -> list[Entry]:
    """Every credential helper and useHttpPath entry, in the order git reads them."""
    done = runner(
        [
            "config",
            "-z",
            "--show-origin",
            "--get-regexp",
            r"^credential\.(.*\.)?(helper|usehttppath)$",
        ]
    )
    if done.returncode == 1:  # none
        return []
    if done.returncode != 0:
        raise _failed(done.stderr, done.returncode)
    items = done.stdout.decode("utf-8", errors="surrogateescape").split("\0")
    entries = []
    for origin, item in zip(items[0::2], items[1::2], strict=False):
        key, newline, value = item.partition("\n")
        split = _split(key)
        if split is not None:
            entries.append(Entry(origin, split[0], split[1], value if newline else None))
    return entries


def matching(patterns: Sequence[str], url: str, runner: git_config.Runner) -> set[str]:
    """Those of `patterns` (credential.<url> subsections) that git matches with `url`."""
    probes: dict[str, str] = {}
    args: list[str] = []
    for number, pattern in enumerate(patterns):
        if "=" in pattern:  # cannot be given with -c; git would not match it as a URL anyway
            continue
        probes[f"credential.{PROBE}{number}"] = pattern
        args += ["-c", f"credential.{pattern}.{PROBE}{number}=1"]
    if not args:
        return set()
    done = runner([*args, "config", "-z", "--get-urlmatch", "credential", url])
    if done.returncode == 1:
        return set()
    if done.returncode != 0:
        raise _failed(done.stderr, done.returncode)
    found = set()
    for item in done.stdout.decode("utf-8", errors="surrogateescape").split("\0"):
        key = item.partition("\n")[0]
        if key in probes:
            found.add(probes[key])
    return found


def applying(url: str, runner: git_config.Runner = git_config.run_git) -> list[Entry]:
    """The entries git applies for `url`, in order."""
    entries = listed(runner)
    patterns = sorted({entry.pattern for entry in entries if entry.pattern is not None})
    matched = matching(patterns, url, runner) if patterns else set()
    return [entry for entry in entries if entry.pattern is None or entry.pattern in matched]


def helpers(entries: Sequence[Entry]) -> list[Entry]:
    """The helpers git asks, in order: each `helper` appends, an empty one clears."""
    asked: list[Entry] = []
    for entry in entries:
        if entry.name != "helper" or entry.value is None:
            continue
        if entry.value == "":
            asked.clear()
        else:
            asked.append(entry)
    return asked


def use_http_path(entries: Sequence[Entry]) -> bool | None:
    """useHttpPath as git ends up with it (the last one applied); None when not set."""
    found: bool | None = None
    for entry in entries:
        if entry.name != "usehttppath":
            continue
        value = "true" if entry.value is None else entry.value.strip().lower()
        if value in _TRUE:
            found = True
        elif value in _FALSE:
            found = False
    return found
