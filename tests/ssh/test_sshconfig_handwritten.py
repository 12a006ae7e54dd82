"""A CodeCommit section written by hand from the AWS guide: disabled so our block alone decides,
and put back by remove_block. Plus the options our block carries for a stated reason."""

from __future__ import annotations

from bootstrap.ssh import managed_block

PATTERN = "git-codecommit.*.amazonaws.com"
AWS_GUIDE = (
    "Host git-codecommit.*.amazonaws.com\n"
    "  User APKASTALE00000000000\n"
    "  IdentityFile ~/.ssh/codecommit_rsa\n"
)


def block(key_id: str = "APKANEW0000000000000", **options: object) -> str:
    return managed_block.render_block(
        PATTERN, key_id, "~/.ssh/codecommit_rsa", "\n", managed_block.BlockOptions(**options)
    )


def test_guide_section_gets_user_and_identity_commented_out_and_nothing_else() -> None:
    text = "Host *\n  ServerAliveInterval 60\n\n" + AWS_GUIDE + "  Port 443\n"
    result, disabled = managed_block.disable_handwritten(text, PATTERN)
    assert result == (
        "Host *\n  ServerAliveInterval 60\n\n"
        "Host git-codecommit.*.amazonaws.com\n"
        "# disabled by bootstrap:   User APKASTALE00000000000\n"
        "# disabled by bootstrap:   IdentityFile ~/.ssh/codecommit_rsa\n"
        "  Port 443\n"
    )
    assert [(d.line, d.keyword, d.value) for d in disabled] == [
        (5, "user", "APKASTALE00000000000"),
        (6, "identityfile", "~/.ssh/codecommit_rsa"),
    ]


def test_disabling_twice_changes_nothing_more() -> None:
    once, _ = managed_block.disable_handwritten(AWS_GUIDE, PATTERN)
    twice, disabled = managed_block.disable_handwritten(once, PATTERN)
    assert twice == once and disabled == ()


def test_remove_block_puts_the_hand_written_lines_back_byte_for_byte() -> None:
    original = (
        "# mine\r\nHost git-codecommit.us-east-1.amazonaws.com\r\n\tUser=APKAOLD\r\nHost b\r\n"
    )
    applied = managed_block.apply_block(original, block())
    applied, disabled = managed_block.disable_handwritten(applied, PATTERN)
    assert len(disabled) == 1
    assert managed_block.remove_block(applied) == original


def test_our_own_block_and_other_hosts_are_never_touched() -> None:
    text = block() + "Host github.com\n  User git\nHost *\n  User me\n"
    assert managed_block.disable_handwritten(text, PATTERN) == (text, ())


def test_mixed_or_broad_host_lines_are_not_codecommit_sections() -> None:
    assert managed_block.is_codecommit_section(("git-codecommit.*.amazonaws.com",), PATTERN)
    assert managed_block.is_codecommit_section(("git-codecommit.eu-west-1.amazonaws.com",), PATTERN)
    assert managed_block.is_codecommit_section(("git-codecommit.*",), PATTERN)
    assert not managed_block.is_codecommit_section(("*",), PATTERN)
    assert not managed_block.is_codecommit_section(("*.amazonaws.com",), PATTERN)
    assert not managed_block.is_codecommit_section(
        ("git-codecommit.*.amazonaws.com", "github.com"), PATTERN
    )
    # China's section is not ours to change when we manage the commercial partition.
    assert not managed_block.is_codecommit_section(("git-codecommit.*.amazonaws.com.cn",), PATTERN)


def test_match_block_ends_a_codecommit_section() -> None:
    text = "Host git-codecommit.*.amazonaws.com\nMatch user bob\n  User APKAX\n"
    assert managed_block.disable_handwritten(text, PATTERN)[1] == ()


def test_legacy_rsa_lines_sit_inside_our_section_only() -> None:
    text = block(legacy_rsa=True)
    lines = text.splitlines()
    host_line = lines.index(f"Host {PATTERN}")
    end_of_section = lines.index("Host *")
    for option in ("HostKeyAlgorithms +ssh-rsa", "PubkeyAcceptedAlgorithms +ssh-rsa"):
        assert host_line < lines.index(f"    {option}") < end_of_section
    assert "ssh-rsa" not in block()


def test_keychain_guard_comes_before_any_section_and_keeps_the_users_patterns() -> None:
    text = block(keychain=True, ignore_unknown=("AddKeysToAgent", "Foo*"))
    lines = text.splitlines()
    guard = lines.index("    IgnoreUnknown UseKeychain,AddKeysToAgent,Foo*")
    assert lines[guard - 1] == "Host *"
    assert guard < lines.index(f"Host {PATTERN}") < lines.index("    UseKeychain yes")
    assert "    AddKeysToAgent yes" in lines


def test_options_survive_a_rewrite() -> None:
    options = managed_block.BlockOptions(legacy_rsa=True, keychain=True, ignore_unknown=("Foo",))
    rendered = block(**options.__dict__)
    assert managed_block.options_in_block(rendered) == options
    assert managed_block.options_in_block(block()) == managed_block.BlockOptions()


def test_user_ignore_unknown_is_read_outside_our_block_only() -> None:
    text = block(keychain=True) + "IgnoreUnknown Foo,UseKeychain\nHost x\n  IgnoreUnknown Bar\n"
    assert managed_block.user_ignore_unknown(text) == ("Foo", "Bar")
