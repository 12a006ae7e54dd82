"""The managed block as pure text: where it goes, what it leaves alone."""

from __future__ import annotations

import pytest

from bootstrap.errors import LocalFileError
from bootstrap.ssh import managed_block

PATTERN = "git-codecommit.*.amazonaws.com"


def block(key_id: str = "APKAEXAMPLE1234567890", newline: str = "\n") -> str:
    return managed_block.render_block(PATTERN, key_id, "~/.ssh/codecommit_rsa", newline)


def test_block_is_fenced_and_names_user_and_key() -> None:
    text = block()
    lines = text.splitlines()
    assert lines[0].startswith(managed_block.BEGIN)
    assert lines[-1].startswith(managed_block.END)
    assert f"Host {PATTERN}" in lines
    assert "    User APKAEXAMPLE1234567890" in lines
    assert "    IdentityFile ~/.ssh/codecommit_rsa" in lines
    assert "    IdentitiesOnly yes" in lines


def test_block_ends_its_host_section_so_following_lines_stay_global() -> None:
    assert "Host *" in block().splitlines()


def test_new_block_goes_on_top_and_keeps_every_user_byte() -> None:
    user = "Host *\n    User bob\n# trailing comment without newline"
    result = managed_block.apply_block(user, block())
    assert result == block() + user


def test_empty_file_gets_just_the_block() -> None:
    assert managed_block.apply_block("", block()) == block()


def test_block_goes_after_a_utf8_bom_when_one_is_kept() -> None:
    # (config_step drops the BOM when the local ssh refuses it; see test_config_step.py)
    user = "\ufeffHost foo\n  HostName example.com\n"
    result = managed_block.apply_block(user, block())
    assert result == "\ufeff" + block() + user[1:]


def test_crlf_file_gets_a_crlf_block_and_keeps_its_bytes() -> None:
    user = "Host foo\r\n  User me\r\n"
    newline = managed_block.newline_of(user)
    assert newline == "\r\n"
    result = managed_block.apply_block(user, block(newline=newline))
    assert result.endswith(user)
    assert "\n" not in result.replace("\r\n", "")


def test_rerun_replaces_the_block_in_place() -> None:
    before = "Host a\n  User x\n" + block("APKAOLD0000000000000") + "Host b\n  User y\n"
    after = managed_block.apply_block(before, block("APKANEW0000000000000"))
    assert after == "Host a\n  User x\n" + block("APKANEW0000000000000") + "Host b\n  User y\n"


def test_applying_twice_equals_applying_once() -> None:
    once = managed_block.apply_block("Host a\n", block())
    assert managed_block.apply_block(once, block()) == once


def test_remove_restores_the_original_bytes() -> None:
    original = "\ufeff# mine\r\nHost x\r\n  User me"
    applied = managed_block.apply_block(original, block(newline="\r\n"))
    assert managed_block.remove_block(applied) == original


def test_move_to_top_keeps_the_rest() -> None:
    text = "Host *\n  User bob\n" + block("APKAOLD0000000000000")
    moved = managed_block.move_block_to_top(text, block("APKANEW0000000000000"))
    assert moved == block("APKANEW0000000000000") + "Host *\n  User bob\n"


def test_unterminated_block_is_an_error_naming_the_fix() -> None:
    with pytest.raises(LocalFileError, match="no '# <<< bootstrap' line"):
        managed_block.find_block("# >>> bootstrap\nHost x\n")


def test_stray_end_marker_is_an_error() -> None:
    with pytest.raises(LocalFileError, match="line 2 without its start"):
        managed_block.find_block("Host x\n# <<< bootstrap\n")


def test_second_block_is_an_error() -> None:
    with pytest.raises(LocalFileError, match="second"):
        managed_block.find_block(block() + block())


def test_directives_understand_key_equals_value_tabs_and_quotes() -> None:
    text = 'Host=foo\n\tUser\tbob\n  IdentityFile "/a b/key"\n# comment\n'
    found = [(d.keyword, d.args) for d in managed_block.directives(text)]
    assert found == [("host", ("foo",)), ("user", ("bob",)), ("identityfile", ("/a b/key",))]


def test_hash_inside_a_value_is_part_of_it_and_a_hash_word_ends_the_line() -> None:
    text = "Host x # note\n  IdentityFile ~/.ssh/id#1\n  User = bob\t# the build user\r\n"
    found = [(d.keyword, d.args) for d in managed_block.directives(text)]
    assert found == [("host", ("x",)), ("identityfile", ("~/.ssh/id#1",)), ("user", ("bob",))]


def test_line_numbers_count_only_line_feeds() -> None:
    # A form feed or U+2028 inside a comment is not a line break for ssh.
    text = "# caf\u00e9\u2028 \x0c note\nHost x\n  User bob\n"
    assert [d.line for d in managed_block.directives(text)] == [2, 3]


def test_percent_in_the_key_path_is_escaped_for_ssh() -> None:
    text = managed_block.render_block(PATTERN, "APKAX", "~/.ssh/100%key")
    assert "    IdentityFile ~/.ssh/100%%key" in text.splitlines()


def test_identity_file_with_spaces_is_quoted() -> None:
    text = managed_block.render_block(PATTERN, "APKAX", "/home/a b/key")
    assert '    IdentityFile "/home/a b/key"' in text.splitlines()


@pytest.mark.parametrize(
    ("config", "expected_line"),
    [
        ("Host *\n  User bob\n", 2),
        ("User global\nHost x\n", 1),
        ("Host other\n  User no\nHost git-codecommit.*\n  User yes\n", 4),
        ("Host !git-codecommit.us-east-1.amazonaws.com *\n  User no\n", None),
        ("Include ~/.ssh/conf.d/*\n", 1),
        ("Match exec true\n  User maybe\n", 2),
    ],
)
def test_first_setting_follows_first_match(config: str, expected_line: int | None) -> None:
    found = managed_block.first_setting(config, "git-codecommit.us-east-1.amazonaws.com", "user")
    assert (found.line if found else None) == expected_line
