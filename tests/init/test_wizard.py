"""The wizard's flow: what it asks, with which defaults, and what it never asks.

The flow is driven through a fake Prompter keyed on prompt text (tests/wizard_fakes.py) and
fake Lookups; keys are real files in a temporary home. No AWS, no terminal.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from wizard_fakes import ENTER, FakePrompter

from bootstrap import cli
from bootstrap.aws.iam import Identity
from bootstrap.aws.repos import ListingUnavailable
from bootstrap.commands.init import init_flags
from bootstrap.errors import MissingAnswer
from bootstrap.init import key_choice, wizard
from bootstrap.init.answers import InitAnswers, InitFlags
from bootstrap.ssh import keys, locations
from bootstrap.ui.prompts import NoPrompter

ALICE = Identity("user", "alice", "123456789012", "arn:aws:iam::123456789012:user/alice")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home for ssh (instead of the account's), and a working directory inside it."""
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True, mode=0o700)
    (home / "work").mkdir()
    monkeypatch.setattr(locations, "ssh_home", lambda: home)
    monkeypatch.chdir(home / "work")
    for name in ("AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "CC_PASS"):
        monkeypatch.delenv(name, raising=False)
    return home


def parse(*flags: str) -> InitFlags:
    return init_flags(cli.build_parser().parse_args(["init", *flags]))


def lookups(
    profiles: list[str] | None = None,
    regions: dict[str | None, str] | None = None,
    identity: Callable[[InitAnswers], Identity] = lambda answers: ALICE,
    repositories: Callable[[str | None, str], list[str]] | None = None,
) -> wizard.Lookups:
    regions = {None: "eu-west-1"} if regions is None else regions
    return wizard.Lookups(
        profiles=lambda: ["default"] if profiles is None else profiles,
        profile_region=lambda profile: regions.get(profile),
        identity=identity,
        repositories=repositories or (lambda profile, region: ["team-repo", "tools"]),
    )


def forbidden(*_: Any) -> Any:
    raise AssertionError("looked up something a flag already answered")


def make_key(path: Path, passphrase: bytes | None = None) -> keys.KeyPair:
    return keys.generate_pair(path, 2048, passphrase, "test")


def run(
    prompter: Any, *flags: str, found: wizard.Lookups | None = None, notes: list[str] | None = None
) -> InitAnswers:
    return wizard.resolve_init(
        parse(*flags),
        prompter,
        lookups=found or lookups(),
        note=(notes if notes is not None else []).append,
    )


def test_enter_through_the_defaults_takes_what_was_detected(home: Path) -> None:
    prompter = FakePrompter(
        {
            "AWS region": ENTER,
            "Set up SSH access for IAM user alice?": ENTER,
            "Size of the new key": ENTER,
            "Passphrase for the new key": "",
            "Repository to clone": ENTER,
            "Clone the repository": ENTER,
            "Directory for the clone": ENTER,
        }
    )
    answers = run(prompter)
    assert prompter.question("AWS region").default == "eu-west-1  Ireland"  # the profile's
    assert prompter.question("Size of the new key").default == "4096"
    assert prompter.question("Directory for the clone").default == "./team-repo"
    assert answers.region == "eu-west-1"
    assert answers.profile is None  # the only profile: not asked
    assert answers.user is None  # confirmed: look() identifies again, with the ARN
    assert answers.key_path == home / ".ssh" / "codecommit_rsa"
    assert (answers.key_bits, answers.passphrase) == (4096, None)
    assert answers.repo == "team-repo"
    assert answers.clone_dir == home / "work" / "team-repo"
    assert not any(message.startswith("AWS profile") for message in prompter.messages())


def test_a_value_given_by_a_flag_is_never_asked_or_looked_up(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CC_PASS", "from-env")
    flags = (
        *("--profile", "dev", "--region", "ap-northeast-1", "--user", "bob"),
        *("--key", "~/.ssh/team_rsa", "--key-bits", "2048", "--passphrase-env", "CC_PASS"),
        *("--repo", "team-repo", "--clone-dir", str(home / "src")),
    )
    every_lookup_forbidden = wizard.Lookups(forbidden, forbidden, forbidden, forbidden)
    answers = run(FakePrompter({}), *flags, found=every_lookup_forbidden)
    assert (answers.profile, answers.region, answers.user) == ("dev", "ap-northeast-1", "bob")
    assert answers.key_path == home / ".ssh" / "team_rsa"
    assert (answers.key_bits, answers.passphrase) == (2048, b"from-env")
    assert (answers.repo, answers.clone_dir) == ("team-repo", home / "src")


def test_no_clone_asks_neither_repository_nor_directory(home: Path) -> None:
    prompter = FakePrompter(
        {"AWS region": ENTER, "Set up SSH": True, "Size": ENTER, "Passphrase": ""}
    )
    answers = run(prompter, "--no-clone")
    assert (answers.clone, answers.repo, answers.clone_dir) == (False, None, None)


def test_profile_is_chosen_among_the_configured_ones_with_aws_profile_as_default(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_PROFILE", "prod")
    found = lookups(
        profiles=["default", "dev", "prod"],
        regions={"dev": "ap-northeast-1", "prod": "us-east-1"},
    )
    prompter = FakePrompter(
        {"AWS profile": "dev", "AWS region": ENTER, "Set up SSH": True, "Size": ENTER}
        | {"Passphrase": "", "Repository": ENTER, "Clone the": wizard.TEST_CLONE}
    )
    answers = run(prompter, found=found)
    asked = prompter.question("AWS profile")
    assert (asked.choices, asked.default) == (["default", "dev", "prod"], "prod")
    # The region's default follows the chosen profile, not $AWS_PROFILE's.
    assert prompter.question("AWS region").default == "ap-northeast-1  Tokyo"
    assert (answers.profile, answers.region) == ("dev", "ap-northeast-1")


def test_a_single_profile_is_taken_without_asking(home: Path) -> None:
    prompter = FakePrompter(
        {"AWS region": ENTER, "Set up SSH": True, "Size": ENTER, "Passphrase": ""}
    )
    answers = run(prompter, "--no-clone", found=lookups(profiles=["work"], regions={}))
    assert answers.profile == "work"
    assert "AWS profile" not in " ".join(prompter.messages())


def test_region_default_is_the_environment_before_the_profile(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_REGION", "us-west-2")
    prompter = FakePrompter({"AWS region": ENTER, "Set up SSH": True, "Size": ENTER})
    prompter.answers["Passphrase"] = ""
    run(prompter, "--no-clone")
    asked = prompter.question("AWS region")
    assert asked.default == "us-west-2  Oregon"
    assert asked.choices is not None
    assert {"eu-west-1  Ireland", "ap-northeast-1  Tokyo"} <= set(asked.choices)


def test_declining_the_detected_user_asks_for_the_user_to_set_up(home: Path) -> None:
    prompter = FakePrompter(
        {
            "AWS region": ENTER,
            "Set up SSH access for IAM user alice?": False,
            "Instead": wizard.OTHER_USER,
            "IAM user to set up instead": ["not a name!", "carol"],
            "Size": ENTER,
            "Passphrase": "",
        }
    )
    answers = run(prompter, "--no-clone")
    assert answers.user == "carol"
    assert prompter.question("IAM user to set up").refused == ["not a name!"]


def test_declining_ssh_offers_https_and_then_asks_nothing_about_keys(home: Path) -> None:
    prompter = FakePrompter(
        {
            "AWS region": ENTER,
            "Set up SSH access for IAM user alice?": False,
            "Instead": ENTER,
        }
    )
    answers = run(prompter, "--no-clone")
    assert answers.protocol == "https"
    assert "recommended: the key works without AWS credentials" in prompter.messages()[1]
    assert prompter.question("Instead").default == wizard.HTTPS_INSTEAD
    assert not any(message.startswith(("SSH key", "Size")) for message in prompter.messages())


def test_a_role_gets_https_without_a_question_about_ssh(home: Path) -> None:
    role = Identity.from_arn("arn:aws:sts::123456789012:assumed-role/Dev/alice", "123456789012")
    prompter = FakePrompter({"AWS region": ENTER})
    notes: list[str] = []
    answers = run(prompter, "--no-clone", found=lookups(identity=lambda answers: role), notes=notes)
    assert answers.protocol == "https"
    assert prompter.messages() == ["AWS region"]  # nothing more was asked
    assert notes == ["role Dev (session alice): SSH keys need an IAM user, so HTTPS"]


def test_new_key_passphrase_is_asked_twice_and_must_match(home: Path) -> None:
    notes: list[str] = []
    prompter = FakePrompter(
        {
            "AWS region": ENTER,
            "Set up SSH": True,
            "Size of the new key": "2048",
            "Passphrase for the new key": ["first try", "correct horse"],
            "The same passphrase again": ["first tyr", "correct horse"],
        }
    )
    answers = run(prompter, "--no-clone", notes=notes)
    assert answers.passphrase == b"correct horse"
    assert answers.key_bits == 2048
    assert any("did not match" in note for note in notes)


def test_existing_keys_are_offered_with_ours_as_default(home: Path) -> None:
    make_key(home / ".ssh" / "codecommit_rsa")
    other = make_key(home / ".ssh" / "id_rsa")
    prompter = FakePrompter({"AWS region": ENTER, "Set up SSH": True, "SSH key": ENTER})
    answers = run(prompter, "--no-clone")
    asked = prompter.question("SSH key for CodeCommit")
    assert asked.choices is not None and len(asked.choices) == 3
    assert str(asked.default).startswith("Use ~/.ssh/codecommit_rsa (RSA 2048, SHA256:")
    assert asked.choices[1] == key_choice.describe_pair(other)
    assert asked.choices[2] == "Create a new key at ~/.ssh/codecommit_rsa_2"
    assert answers.key_path == home / ".ssh" / "codecommit_rsa"
    # Reusing asks neither size nor passphrase.
    assert not any(m.startswith(("Size", "Passphrase")) for m in prompter.messages())


def test_a_new_key_beside_an_existing_one_gets_a_free_path(home: Path) -> None:
    make_key(home / ".ssh" / "codecommit_rsa")
    prompter = FakePrompter(
        {"AWS region": ENTER, "Set up SSH": True, "Size": ENTER, "Passphrase": ""}
        | {"SSH key": "Create a new key at ~/.ssh/codecommit_rsa_2"}
    )
    answers = run(prompter, "--no-clone")
    assert answers.key_path == home / ".ssh" / "codecommit_rsa_2"
    assert prompter.question("Size").message == "Size of the new key ~/.ssh/codecommit_rsa_2"


def test_a_key_iam_would_refuse_is_explained_and_not_offered(home: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    private = ed25519.Ed25519PrivateKey.generate()
    path = home / ".ssh" / "codecommit_rsa"
    path.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.OpenSSH,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)
    notes: list[str] = []
    prompter = FakePrompter(
        {"AWS region": ENTER, "Set up SSH": True, "Size": ENTER, "Passphrase": ""}
    )
    answers = run(prompter, "--no-clone", notes=notes)
    assert answers.key_path == home / ".ssh" / "codecommit_rsa_2"
    assert any("~/.ssh/codecommit_rsa cannot be used" in n and "ssh-rsa" in n for n in notes)


def test_an_encrypted_existing_key_asks_its_passphrase_and_checks_it(home: Path) -> None:
    make_key(home / ".ssh" / "codecommit_rsa", b"right one")
    notes: list[str] = []
    prompter = FakePrompter(
        {"AWS region": ENTER, "Set up SSH": True, "SSH key": ENTER}
        | {"Repository": ENTER, "Clone the": wizard.TEST_CLONE}
        | {"Passphrase of ~/.ssh/codecommit_rsa": ["wrong one", "right one"]}
    )
    answers = run(prompter, notes=notes)
    assert answers.passphrase == b"right one"
    assert any("not the passphrase of ~/.ssh/codecommit_rsa" in note for note in notes)


def test_an_encrypted_key_without_a_clone_needs_no_passphrase(home: Path) -> None:
    make_key(home / ".ssh" / "codecommit_rsa", b"right one")
    prompter = FakePrompter({"AWS region": ENTER, "Set up SSH": True, "SSH key": ENTER})
    assert run(prompter, "--no-clone").passphrase is None


def test_repositories_are_chosen_from_the_listing_of_that_region(home: Path) -> None:
    listed: list[tuple[str | None, str]] = []

    def repositories(profile: str | None, region: str) -> list[str]:
        listed.append((profile, region))
        return ["api", "web"]

    prompter = FakePrompter(
        {
            "AWS region": "eu-central-1  Frankfurt",
            "Set up SSH": True,
            "Size": ENTER,
            "Passphrase": "",
        }
        | {"Repository to clone": "web", "Clone the": wizard.TEST_CLONE}
    )
    answers = run(prompter, found=lookups(repositories=repositories))
    assert listed == [(None, "eu-central-1")]
    assert prompter.question("Repository to clone").choices == ["api", "web"]
    assert (answers.repo, answers.clone_dir) == ("web", None)


def test_a_denied_listing_falls_back_to_typing_the_name_and_says_why(home: Path) -> None:
    def denied(profile: str | None, region: str) -> list[str]:
        raise ListingUnavailable(
            f"your IAM policy does not allow codecommit:ListRepositories in {region}"
        )

    notes: list[str] = []
    prompter = FakePrompter(
        {"AWS region": ENTER, "Set up SSH": True, "Size": ENTER, "Passphrase": ""}
        | {"Repository name": ["bad name", "team-repo"], "Clone the": wizard.TEST_CLONE}
    )
    answers = run(prompter, found=lookups(repositories=denied), notes=notes)
    assert answers.repo == "team-repo"
    assert prompter.question("Repository name").refused == ["bad name"]
    assert notes == [
        "Cannot list the repositories: your IAM policy does not allow "
        "codecommit:ListRepositories in eu-west-1. Type the name instead."
    ]


def test_an_empty_listing_says_so_and_asks_for_the_name(home: Path) -> None:
    notes: list[str] = []
    prompter = FakePrompter(
        {"AWS region": ENTER, "Set up SSH": True, "Size": ENTER, "Passphrase": ""}
        | {"Repository name": "team-repo", "Clone the": wizard.TEST_CLONE}
    )
    run(prompter, found=lookups(repositories=lambda profile, region: []), notes=notes)
    assert notes == ["You can see no repositories in eu-west-1. Type the name instead."]


def test_a_clone_directory_holding_something_else_is_refused(home: Path) -> None:
    busy = home / "work" / "team-repo"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    prompter = FakePrompter(
        {"AWS region": ENTER, "Set up SSH": True, "Size": ENTER, "Passphrase": ""}
        | {"Repository": ENTER, "Clone the": ENTER, "Directory for the clone": [ENTER, "~/src"]}
    )
    answers = run(prompter)
    assert prompter.question("Directory for the clone").refused == ["./team-repo"]
    assert answers.clone_dir == home / "src"


def test_without_a_terminal_detected_values_are_used_and_a_missing_one_names_its_flag(
    home: Path,
) -> None:
    answers = run(NoPrompter(), "--no-clone")
    assert (answers.region, answers.key_bits, answers.clone_dir) == ("eu-west-1", 4096, None)
    with pytest.raises(MissingAnswer) as missing:
        run(NoPrompter())
    assert missing.value.flag == "--repo"


@pytest.fixture
def questionary_blocked(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """`import questionary` fails, and the flow's modules are imported afresh under that rule
    (the rest stay, so the home fixture's patch of `locations` still holds)."""
    monkeypatch.setitem(sys.modules, "questionary", None)
    fresh = (
        "bootstrap.init.wizard",
        "bootstrap.init.key_choice",
        "bootstrap.ui.prompts",
        "bootstrap.aws.repos",
        "questionary.",
    )
    for name in [n for n in sys.modules if n.startswith(fresh)]:
        parent, _, leaf = name.rpartition(".")
        if hasattr(sys.modules.get(parent), leaf):
            # Re-importing rebinds the package's attribute too: put the original back after.
            monkeypatch.setattr(sys.modules[parent], leaf, sys.modules[name])
        monkeypatch.delitem(sys.modules, name)
    yield


def test_the_flow_never_imports_questionary(home: Path, questionary_blocked: None) -> None:
    import bootstrap.init.pipeline
    import bootstrap.init.wizard as fresh_wizard

    assert bootstrap.init is not None
    prompter = FakePrompter(
        {"AWS region": ENTER, "Set up SSH": True, "Size": ENTER, "Passphrase": ""}
        | {"Repository": ENTER, "Clone the": ENTER, "Directory": ENTER}
    )
    found = fresh_wizard.Lookups(
        profiles=lambda: ["default", "dev"],
        profile_region=lambda profile: "eu-west-1",
        identity=lambda answers: ALICE,
        repositories=lambda profile, region: ["team-repo"],
    )
    prompter.answers["AWS profile"] = ENTER
    answers = fresh_wizard.resolve_init(parse(), prompter, lookups=found)
    assert answers.repo == "team-repo"
    with pytest.raises(ImportError):
        import questionary  # noqa: F401  (proves the block was in force)
