"""The known_hosts lines `remove` takes: marked by init AND for a CodeCommit host, no others."""

from __future__ import annotations

from pathlib import Path

import pytest

from bootstrap.aws import endpoints
from bootstrap.ssh import hostkeys, known_hosts

KEY = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7"
MARK = hostkeys.ENTRY_MARKER
HOST = "git-codecommit.us-east-1.amazonaws.com"


@pytest.fixture(scope="module")
def names() -> set[str]:
    hosts = {endpoints.resolve(region).git_host for region in endpoints.codecommit_regions()}
    return known_hosts.candidate_names(hosts, ["cc-alias"])


@pytest.mark.parametrize(
    "line",
    [
        f"{HOST} {KEY} {MARK}",
        f"git-codecommit.cn-north-1.amazonaws.com.cn {KEY} {MARK}",
        f"[{HOST}]:2222 {KEY} {MARK}",
        f"{hostkeys.hashed_name(HOST)} {KEY} {MARK}",
        f"{hostkeys.hashed_name('cc-alias')} {KEY} {MARK}",  # a HostKeyAlias init used
        f"{HOST} {KEY} {MARK}\r\n",
    ],
)
def test_marked_codecommit_entries_are_ours(line: str, names: set[str]) -> None:
    assert known_hosts.is_ours(line.encode(), names)


@pytest.mark.parametrize(
    "line",
    [
        f"{HOST} {KEY}",  # the user's own, unmarked
        f"{HOST} {KEY} my-laptop",
        f"github.com {KEY} {MARK}",  # marked, but not a CodeCommit host
        f"{HOST},github.com {KEY} {MARK}",
        f"{hostkeys.hashed_name('github.com')} {KEY} {MARK}",
        f"@cert-authority {HOST} {KEY} {MARK}",
        f"# {HOST} {KEY} {MARK}",
        f"{HOST} {KEY} {MARK} extra",
    ],
)
def test_other_lines_are_not(line: str, names: set[str]) -> None:
    assert not known_hosts.is_ours(line.encode(), names)


def test_remove_keeps_every_other_byte(tmp_path: Path, names: set[str]) -> None:
    path = tmp_path / "known_hosts"
    mine = f"github.com {KEY}\r\n# a comment\r\n\r\nexample.org {KEY} no-final-newline".encode()
    ours = f"{HOST} {KEY} {MARK}\r\n".encode()
    path.write_bytes(mine.replace(b"# a comment\r\n", b"# a comment\r\n" + ours))
    path.chmod(0o644)
    assert known_hosts.remove(path, names) == 1
    assert path.read_bytes() == mine
    assert path.stat().st_mode & 0o777 == 0o644
    assert known_hosts.remove(path, names) == 0  # again: nothing to do


def test_a_file_left_empty_is_deleted(tmp_path: Path, names: set[str]) -> None:
    path = tmp_path / "known_hosts"
    path.write_text(f"{HOST} {KEY} {MARK}\n[{HOST}]:22 {KEY} {MARK}\n")
    assert known_hosts.remove(path, names) == 2
    assert not path.exists()


def test_find_reports_file_and_line(tmp_path: Path, names: set[str]) -> None:
    path = tmp_path / "known_hosts"
    path.write_text(f"github.com {KEY}\n{HOST} {KEY} {MARK}\n")
    [entry] = known_hosts.find([path, tmp_path / "missing"], names)
    assert (entry.path, entry.line, entry.host) == (path, 2, HOST)
