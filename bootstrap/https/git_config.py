"""The user's global git config section that makes git ask our helper, for CodeCommit hosts only.

What init writes, through the real `git config --global` (never by editing the file: git
writes through a lock file and a rename, so readers see the old file or the new one; it
honours GIT_CONFIG_GLOBAL, and chooses between ~/.gitconfig and ~/.config/git/config):

    [credential "https://git-codecommit.*.amazonaws.com"]
        helper =
        helper = !bootstrap git-credential --profile NAME      (… --mfa: with an MFA session)
        useHttpPath = true
    [credential "https://git-codecommit.*.amazonaws.com.cn"]
        (the same three lines)

- The empty `helper =` clears the helpers configured before it (osxkeychain, Git Credential
  Manager, `store`), which would keep the password after its 15 minutes and give git a 403.
  Only those read before it are cleared: a helper set later (in a repository's config, say)
  is asked after ours, which answers first.
- `useHttpPath` makes git send `path=v1/repos/NAME`, which the password is signed over.
- The command is `bootstrap` when `bootstrap` on PATH is the running program, else the
  running program's absolute path (`HelperCommand.on_path` says which, for the caller to say).
- A `*` in the host of a credential URL matches one label from git 2.26 on (its release
  notes: "A configuration element used for credential subsystem can now use wildcard
  pattern"). An older git gets one exact section per region botocore lists for CodeCommit.

Ours and not ours: a section is ours when its entries are exactly what we write (an empty
helper, one `!… git-credential …` helper, useHttpPath, our marker). Any other section is never
touched, and a section at one of our URLs that is not ours stops init (LocalFileError) rather
than be changed.

look → plan → act, as ssh/config_plan.py: `look()` asks git what is there, `plan()` is a
frozen `GitConfigPlan` saying created / unchanged / updated, and `apply(plan)` writes only
sections that differ (a re-run writes nothing, so no byte changes). An updated section is
removed and written again whole.

`remove()` takes our sections away with `git config --global --remove-section`, which removes
exactly the lines `--add` appended, so the file is byte for byte what it was before init.
When init created the file (it did not exist), init records that fact in the first section as
`bootstrapCreatedFile = true`; `remove()` then deletes the file if nothing else was written
to it since (it is empty), so a file that did not exist before init does not exist after.
One case git itself makes differ: a file whose last line had no newline gets one when git
appends the section, and keeps it.

Every git run is bounded (GIT_TIMEOUT) and never prompts.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from bootstrap.aws import endpoints
from bootstrap.errors import LocalFileError
from bootstrap.https.helper_program import (
    HelperCommand,
    HelperLine,
    parse_helper,
    parse_helper_line,
)
from bootstrap.results import CREATED, UNCHANGED, UPDATED

GIT_TIMEOUT = 15.0
WILDCARD_SINCE = (2, 26)  # credential.<url> with `*` in the host: git 2.26.0 release notes
WILDCARD_URLS = (
    "https://git-codecommit.*.amazonaws.com",
    "https://git-codecommit.*.amazonaws.com.cn",
)
SECTION = "credential"
URL_PREFIX = "https://git-codecommit"  # every URL we ever write starts so
CREATED_FILE_KEY = "bootstrapCreatedFile"

Runner = Callable[[Sequence[str]], subprocess.CompletedProcess[bytes]]
Entry = tuple[str, str | None]  # (variable name as git lists it: lower case, value)


def run_git(args: Sequence[str]) -> subprocess.CompletedProcess[bytes]:
    """`git ARGS`, bounded, with no terminal to prompt on; git's own config location rules."""
    try:
        return subprocess.run(
            ["git", *args],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=GIT_TIMEOUT,
            check=False,
            env={**os.environ, "GIT_TERMINAL_PROMPT": "0"},
        )
    except FileNotFoundError:
        raise LocalFileError(
            "git is not installed (or not on PATH)", "install git, then run again"
        ) from None
    except subprocess.TimeoutExpired:
        raise LocalFileError(
            f"`git {shlex.join(args)}` did not finish in {GIT_TIMEOUT:.0f} s",
            "another program may hold the git config lock (~/.gitconfig.lock); run again",
        ) from None


def _said(done: subprocess.CompletedProcess[bytes]) -> str:
    return " ".join(done.stderr.decode(errors="replace").split()) or f"exit {done.returncode}"


def _checked(runner: Runner, args: Sequence[str]) -> None:
    done = runner(args)
    if done.returncode != 0:
        raise LocalFileError(
            f"`git {shlex.join(args)}` failed: {_said(done)}",
            "fix what git says about your global git config, then run again",
        )


def git_version(runner: Runner = run_git) -> tuple[int, int] | None:
    """(major, minor) from `git --version` ("git version 2.39.5 (Apple Git-154)"), or None."""
    done = runner(["--version"])
    match = re.search(rb"(\d+)\.(\d+)", done.stdout) if done.returncode == 0 else None
    return (int(match.group(1)), int(match.group(2))) if match else None


def wildcard_urls_work(version: tuple[int, int] | None) -> bool:
    return version is not None and version >= WILDCARD_SINCE


def section_urls(version: tuple[int, int] | None) -> tuple[str, ...]:
    """Two wildcard sections, or (older git, or a version we cannot read) one per region."""
    if wildcard_urls_work(version):
        return WILDCARD_URLS
    return tuple(
        f"https://{endpoints.resolve(region).git_host}" for region in endpoints.codecommit_regions()
    )


def global_config_path(environ: Mapping[str, str] | None = None) -> Path:
    """The file `git config --global` writes: $GIT_CONFIG_GLOBAL; else ~/.gitconfig, unless only
    $XDG_CONFIG_HOME/git/config (~/.config/git/config) exists (git-config(1), FILES)."""
    env = os.environ if environ is None else environ
    if env.get("GIT_CONFIG_GLOBAL"):
        return Path(os.path.expanduser(env["GIT_CONFIG_GLOBAL"]))
    home = Path(env.get("HOME") or Path.home())
    dotfile = home / ".gitconfig"
    xdg = Path(env.get("XDG_CONFIG_HOME") or home / ".config") / "git" / "config"
    if not dotfile.exists() and xdg.exists():
        return xdg
    return dotfile


def wanted_entries(helper: str, created_file: bool) -> tuple[Entry, ...]:
    """A section as we write it, in order (names as git lists them)."""
    entries: tuple[Entry, ...] = (("helper", ""), ("helper", helper), ("usehttppath", "true"))
    return (*entries, (CREATED_FILE_KEY.lower(), "true")) if created_file else entries


def is_ours(entries: Sequence[Entry]) -> bool:
    """Only what we write, with one helper of ours in it."""
    ours = [value for name, value in entries if name == "helper" and parse_helper(value)]
    known = all(
        (name == "helper" and (value == "" or parse_helper(value)))
        or name in ("usehttppath", CREATED_FILE_KEY.lower())
        for name, value in entries
    )
    return known and len(ours) == 1


def records_created_file(entries: Sequence[Entry]) -> bool:
    return (CREATED_FILE_KEY.lower(), "true") in entries


@dataclass(frozen=True)
class Look:
    """What the global config holds now: every `credential "https://git-codecommit…"` section,
    with its entries in file order, and whether the file git writes exists."""

    path: Path
    existed: bool
    version: tuple[int, int] | None
    sections: Mapping[str, tuple[Entry, ...]]

    @property
    def ours(self) -> tuple[str, ...]:
        return tuple(url for url, entries in self.sections.items() if is_ours(entries))

    @property
    def not_ours(self) -> tuple[str, ...]:
        """CodeCommit credential sections someone else wrote (never touched)."""
        return tuple(url for url, entries in self.sections.items() if not is_ours(entries))

    @property
    def created_file(self) -> bool:
        """Init created the file: recorded in one of our sections."""
        return any(records_created_file(self.sections[url]) for url in self.ours)


def _split_key(key: str) -> tuple[str, str] | None:
    """`credential.<url>.<name>` → (url, name)."""
    head, dot, name = key.rpartition(".")
    if not dot or not head.startswith(f"{SECTION}."):
        return None
    return head[len(SECTION) + 1 :], name


def parse_listing(out: bytes) -> dict[str, tuple[Entry, ...]]:
    """`git config -z --get-regexp` output: `key\\nvalue\\0`, or `key\\0` for a bare key."""
    sections: dict[str, list[Entry]] = {}
    for item in out.decode("utf-8", errors="surrogateescape").split("\0"):
        if not item:
            continue
        key, newline, value = item.partition("\n")
        split = _split_key(key)
        if split is not None:
            url, name = split
            sections.setdefault(url, []).append((name, value if newline else None))
    return {url: tuple(entries) for url, entries in sections.items()}


def look(runner: Runner = run_git, environ: Mapping[str, str] | None = None) -> Look:
    """Read-only: git's version, and the CodeCommit credential sections of the global config."""
    path = global_config_path(environ)
    pattern = "^" + re.escape(f"{SECTION}.{URL_PREFIX}")
    done = runner(["config", "--global", "-z", "--get-regexp", pattern])
    if done.returncode not in (0, 1):  # 1: no such key (or no file)
        raise LocalFileError(
            f"git cannot read your global git config ({path}): {_said(done)}",
            f"fix {path} (git says where), then run again",
        )
    sections = parse_listing(done.stdout) if done.returncode == 0 else {}
    return Look(path, path.exists(), git_version(runner), sections)


@dataclass(frozen=True)
class SectionPlan:
    url: str
    action: str  # created | updated | unchanged
    entries: tuple[Entry, ...]  # what it will hold


@dataclass(frozen=True)
class GitConfigPlan:
    path: Path
    existed: bool
    command: HelperCommand
    profile: str | None
    sections: tuple[SectionPlan, ...]
    stale: tuple[str, ...] = ()  # our sections at URLs we no longer write (e.g. git upgraded)
    mfa: bool = False  # the helper signs with the profile's MFA session (`--mfa`)

    @property
    def action(self) -> str:
        actions = {section.action for section in self.sections}
        if not self.stale and actions == {UNCHANGED}:
            return UNCHANGED
        if not self.stale and actions == {CREATED}:
            return CREATED
        return UPDATED

    @property
    def urls(self) -> tuple[str, ...]:
        return tuple(section.url for section in self.sections)

    @property
    def helper(self) -> str:
        return self.command.helper(self.profile, self.mfa)


def plan(
    seen: Look,
    command: HelperCommand,
    profile: str | None,
    urls: Sequence[str] | None = None,
    *,
    mfa: bool = False,
) -> GitConfigPlan:
    """What apply would write (`mfa`: a helper line with `--mfa`). Raises LocalFileError when a
    section at one of our URLs is not ours (it is never changed)."""
    wanted_urls = tuple(urls) if urls is not None else section_urls(seen.version)
    foreign = [url for url in wanted_urls if url in seen.not_ours]
    if foreign:
        url = foreign[0]
        raise LocalFileError(
            f'{seen.path} already has a [credential "{url}"] section that bootstrap did not '
            "write; bootstrap does not change it",
            f"remove it (`git config --global --remove-section 'credential.{url}'`) or move "
            "its settings elsewhere, then run again",
        )
    created_file = seen.created_file or not seen.existed
    helper = command.helper(profile, mfa)
    sections = []
    for index, url in enumerate(wanted_urls):
        entries = wanted_entries(helper, created_file and index == 0)
        before = seen.sections.get(url)
        action = CREATED if before is None else UNCHANGED if before == entries else UPDATED
        sections.append(SectionPlan(url, action, entries))
    stale = tuple(url for url in seen.ours if url not in wanted_urls)
    return GitConfigPlan(seen.path, seen.existed, command, profile, tuple(sections), stale, mfa)


def helper_lines(seen: Look) -> tuple[HelperLine, ...]:
    """Our helper lines, one per section of ours, as written (profile, --mfa)."""
    lines = []
    for url in seen.ours:
        for name, value in seen.sections[url]:
            line = parse_helper_line(value) if name == "helper" else None
            if line is not None:
                lines.append(line)
    return tuple(lines)


def _key(url: str, name: str) -> str:
    return f"{SECTION}.{url}.{name}"


def _write_section(runner: Runner, url: str, entries: Sequence[Entry]) -> None:
    names = {"helper": "helper", "usehttppath": "useHttpPath"}
    names[CREATED_FILE_KEY.lower()] = CREATED_FILE_KEY
    for name, value in entries:
        _checked(runner, ["config", "--global", "--add", _key(url, names[name]), value or ""])


def _remove_section(runner: Runner, url: str) -> None:
    done = runner(["config", "--global", "--remove-section", f"{SECTION}.{url}"])
    if done.returncode != 0 and b"no such section" not in done.stderr:
        raise LocalFileError(
            f"`git config --global --remove-section credential.{url}` failed: {_said(done)}",
            "fix what git says about your global git config, then run again",
        )


def apply(planned: GitConfigPlan, runner: Runner = run_git) -> str:
    """Write the sections that differ (a section half-written when git fails is taken back
    out); remove stale ones of ours. Returns the plan's action."""
    for section in planned.sections:
        if section.action == UNCHANGED:
            continue
        if section.action == UPDATED:
            _remove_section(runner, section.url)
        try:
            _write_section(runner, section.url, section.entries)
        except LocalFileError:
            with contextlib.suppress(LocalFileError):
                _remove_section(runner, section.url)
            raise
    for url in planned.stale:
        _remove_section(runner, url)
    return planned.action


@dataclass(frozen=True)
class Removed:
    path: Path
    sections: tuple[str, ...]  # the URLs of the sections taken away
    deleted_file: bool  # init had created the file, and it held nothing else


def remove(runner: Runner = run_git, environ: Mapping[str, str] | None = None) -> Removed:
    """Take away our sections, and nothing else; delete the file if init created it and it is
    empty now (never a symlink)."""
    seen = look(runner, environ)
    for url in seen.ours:
        _remove_section(runner, url)
    deleted = False
    path = seen.path
    if seen.created_file and not path.is_symlink():
        with contextlib.suppress(FileNotFoundError):
            if path.stat().st_size == 0:
                path.unlink()
                deleted = True
    return Removed(path, seen.ours, deleted)


def tilde(path: Path) -> str:
    """`~/…` under $HOME, where git looks (ssh's home comes from the user database instead)."""
    try:
        return "~/" + str(path.relative_to(Path.home()))
    except ValueError:
        return str(path)
