"""Which AWS profile and region a command uses: one chain for every command.

The profile is --profile, else $AWS_PROFILE, else the SDK's own default. The region is --region,
else $AWS_REGION or $AWS_DEFAULT_REGION, else the profile's region in the AWS config; what is
still missing is asked through a `Chooser` (ui.prompts.Prompter fits it), or is an error
naming --region when there is no terminal. botocore is imported only to read the profile.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Protocol

from bootstrap.aws import endpoints
from bootstrap.errors import MissingAnswer

RegionOf = Callable[[str | None], str | None]  # a profile's region (tests replace it)


class Chooser(Protocol):
    """The one question this module may ask: a pick from a list (ui.prompts.Prompter's
    `select`); aws/ never imports ui/."""

    @property
    def interactive(self) -> bool: ...

    def select(
        self, message: str, choices: Sequence[str], *, default: str | None = None
    ) -> str: ...


def resolve_profile(flag: str | None) -> str | None:
    return flag or os.environ.get("AWS_PROFILE") or None


def profile_region(profile: str | None) -> str | None:
    """The region set for `profile` in the AWS config, if any."""
    import botocore.exceptions
    import botocore.session

    try:
        session = botocore.session.Session(profile=profile)
        region = session.get_config_variable("region")
    except botocore.exceptions.ProfileNotFound:
        return None
    return str(region) if region else None


def detected_region(profile: str | None, region_of: RegionOf | None = None) -> str | None:
    """$AWS_REGION, $AWS_DEFAULT_REGION, else the profile's region."""
    found = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    return found or (region_of or profile_region)(profile)


def configured_region(
    flag: str | None, profile: str | None, region_of: RegionOf | None = None
) -> str | None:
    """--region, else the environment's or the profile's region; never asks. The AWS config
    is read only when neither the flag nor the environment answers."""
    return flag or detected_region(profile, region_of)


def choose_region(detected: str | None, chooser: Chooser) -> str:
    """A choice among CodeCommit's regions whose default is `detected`; without a terminal
    `detected` is the answer, and none is an error naming --region."""
    if not chooser.interactive:
        if detected:
            return endpoints.check_region_shape(detected)
        raise MissingAnswer("--region", "the AWS region of the repository")
    regions = endpoints.codecommit_regions()
    if detected and detected not in regions:
        regions.insert(0, detected)  # botocore may not list a new region yet
    places = endpoints.region_places()
    # "eu-south-1  Milan": a region is found by its code or its city, and fits 40 columns.
    labels = {f"{code}  {places[code]}" if places.get(code) else code: code for code in regions}
    default = next(label for label, code in labels.items() if code == (detected or "us-east-1"))
    picked = chooser.select("AWS region", list(labels), default=default)
    return endpoints.check_region_shape(labels.get(picked, picked))


def resolve_region(
    flag: str | None, profile: str | None, chooser: Chooser, region_of: RegionOf | None = None
) -> str:
    """--region, else the environment's or the profile's region, else asked (for commands
    that only need *a* region, e.g. status)."""
    region = configured_region(flag, profile, region_of)
    if region:
        return endpoints.check_region_shape(region)
    return choose_region(None, chooser)
