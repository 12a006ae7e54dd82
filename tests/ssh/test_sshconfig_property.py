"""Property: for generated configs, applying twice equals applying once, the bytes outside our
block are unchanged, and the REAL `ssh -G` resolves CodeCommit to our key id and key.

The strategy builds what people write: global lines, `Host` and `Match` sections, `Include`,
`Key Value` / `Key=Value` / tabs / odd case, comments (non-ASCII, `#` inside), blank lines,
LF or CRLF, a BOM or not, a final newline or not, and sometimes our block from an earlier run,
anywhere, with a stale key id. Hand-written CodeCommit sections are left to the golden files
(their User/IdentityFile lines are disabled on purpose, so "outside unchanged" is not the rule).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ssh_home import HOST, PATTERN, SshHome

from bootstrap import files
from bootstrap.results import UNCHANGED
from bootstrap.ssh import managed_block

KEY_ID = "APKAPROPERTY00000001"
WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=8)
COMMENT_TEXT = st.text(
    alphabet=st.sampled_from(list("abc XYZ#=\t-é日本語ü🚀ñ")), min_size=0, max_size=20
)
HOST_PATTERNS = st.sampled_from(
    [
        "*",
        "github.com",
        "*.example.com",
        "build bastion",
        "!bastion *",
        "git-*",
        "*.amazonaws.com",
        "git-codecommit.*.amazonaws.com.cn",
    ]
)
MATCH_CRITERIA = st.sampled_from(
    ["all", "host *", "host git-codecommit.*", "originalhost *.amazonaws.com", "final host *"]
)


@st.composite
def directive(draw: st.DrawFn) -> str:
    keyword, value = draw(
        st.one_of(
            st.tuples(st.just("User"), WORD),
            st.tuples(st.just("IdentityFile"), WORD.map(lambda w: f"~/.ssh/id_{w}")),
            st.tuples(st.just("IdentityFile"), WORD.map(lambda w: f"~/.ssh/id#{w}")),
            st.tuples(st.just("Port"), st.integers(1, 65535).map(str)),
            st.tuples(st.just("HostName"), WORD.map(lambda w: f"{w}.example.net")),
            st.tuples(st.just("ServerAliveInterval"), st.integers(0, 300).map(str)),
            st.tuples(
                st.sampled_from(["IdentitiesOnly", "ForwardAgent", "Compression"]),
                st.sampled_from(["yes", "no"]),
            ),
            st.tuples(st.just("Include"), st.sampled_from(["conf.d/*.conf", "missing/*"])),
            st.tuples(st.just("IgnoreUnknown"), st.just("Foo*")),
        )
    )
    keyword = draw(st.sampled_from([keyword, keyword.lower(), keyword.upper()]))
    form = draw(st.sampled_from(["{k} {v}", "{k}={v}", "{k} = {v}", "\t{k}\t{v}", "    {k} {v}"]))
    line = form.format(k=keyword, v=value)
    if draw(st.booleans()) and keyword.lower() not in ("include", "ignoreunknown"):
        line += " # " + draw(COMMENT_TEXT).replace("\t", " ")
    return line


@st.composite
def filler(draw: st.DrawFn) -> list[str]:
    return draw(
        st.lists(
            st.one_of(st.just(""), COMMENT_TEXT.map(lambda c: "#" + c), directive()),
            max_size=4,
        )
    )


@st.composite
def config_text(draw: st.DrawFn) -> str:
    lines = draw(filler())
    for _ in range(draw(st.integers(0, 4))):
        if draw(st.booleans()):
            header = "Host " + draw(HOST_PATTERNS)
        else:
            header = "Match " + draw(MATCH_CRITERIA)
        lines += [header, *draw(filler())]
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    pieces = [line + newline for line in lines]
    if draw(st.booleans()):  # our block from an earlier run, anywhere between lines
        stale = managed_block.render_block(PATTERN, "APKASTALE00000000000", "~/.ssh/old", newline)
        pieces.insert(draw(st.integers(0, len(pieces))), stale)
    text = "".join(pieces)
    if text and not draw(st.booleans()):
        text = text.removesuffix(newline)
    if draw(st.booleans()):
        text = managed_block.BOM + text
    return text


@pytest.fixture
def ssh_home(ssh_home: SshHome) -> SshHome:
    """conftest's home, plus ~/.ssh/conf.d/defaults.conf for the generated `Include` lines."""
    conf_d = ssh_home.ssh_dir / "conf.d"
    conf_d.mkdir(mode=0o700)
    (conf_d / "defaults.conf").write_text("Host *\n  User included\n  IdentityFile ~/.ssh/inc\n")
    (conf_d / "defaults.conf").chmod(0o600)
    return ssh_home


def apply(home: SshHome) -> str:
    return home.config_step(KEY_ID, host=HOST)[1]


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],  # each example rewrites it
)
@given(before=config_text())
def test_apply_is_idempotent_keeps_outside_bytes_and_ssh_picks_our_key(
    ssh_home: SshHome, before: str
) -> None:
    ssh_home.write_config(files.encode(before))

    apply(ssh_home)
    once = files.decode(ssh_home.config.read_bytes())
    assert apply(ssh_home) == UNCHANGED
    assert files.decode(ssh_home.config.read_bytes()) == once

    # Outside our block, byte for byte what the user had (a BOM ssh refuses aside).
    outside = managed_block.remove_block(once)
    assert outside == managed_block.remove_block(before).removeprefix(managed_block.BOM)
    assert managed_block.current_block(once) == managed_block.render_block(
        PATTERN, KEY_ID, "~/.ssh/codecommit_rsa", managed_block.newline_of(before)
    )
    assert ssh_home.resolved(HOST) == (KEY_ID, "~/.ssh/codecommit_rsa")
