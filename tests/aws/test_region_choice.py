"""The wizard's region list: found by code or by city, and it fits a 40-column terminal."""

from __future__ import annotations

from wizard_fakes import FakePrompter

from bootstrap.aws import endpoints, profiles
from bootstrap.ui import prompts

COLUMNS = 40


def test_each_region_is_shown_with_its_place_and_the_code_is_the_answer() -> None:
    prompter = FakePrompter({"AWS region": "eu-south-1  Milan"})
    assert profiles.choose_region("eu-west-1", prompter) == "eu-south-1"
    [asked] = prompter.asked
    assert asked.default == "eu-west-1  Ireland"
    assert "ca-central-1  Canada (Central)" in asked.choices  # a city-less place keeps its country


def test_the_question_and_every_choice_fit_40_columns() -> None:
    prompter = FakePrompter({"AWS region": "us-east-1  N. Virginia"})
    profiles.choose_region(None, prompter)
    [asked] = prompter.asked
    assert len(asked.choices) >= prompts.FILTER_FROM  # so the list can be typed into
    assert len(f"? {asked.message} (type to filter)") <= COLUMNS
    too_wide = [label for label in asked.choices if len(f" » {label}") > COLUMNS]
    assert too_wide == []


def test_a_region_botocore_does_not_list_yet_is_offered_as_it_is() -> None:
    prompter = FakePrompter({"AWS region": "xx-new-1"})
    assert profiles.choose_region("xx-new-1", prompter) == "xx-new-1"
    assert "xx-new-1" not in endpoints.codecommit_regions()
