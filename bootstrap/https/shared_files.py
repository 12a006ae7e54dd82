"""The two common cases of botocore's credential chain, read without importing botocore: keys
in the environment, and static keys in the shared credentials file. git runs the helper for
every fetch and push, and importing botocore is most of a run's time.

botocore's chain (credentials.py, create_credential_resolver) is: environment (dropped when
the profile is passed in, as --profile is), assume-role, web identity, SSO, shared credentials
file, login, credential_process, config file, the legacy boto files, container, instance
metadata. Before any provider runs, building the chain reads the profile's instance metadata
settings, so both files are parsed (a file that does not parse is an error even when the keys
are in the environment) and a profile named must exist (ProfileNotFound). `from_files`
answers only when nothing but that can happen before the environment or the shared
credentials file gives keys; every other case is None, and botocore answers or gives its
error. tests/https/test_https_fast_path.py holds it to botocore's answer.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Credentials:
    access_key: str
    secret_key: str = field(repr=False)
    token: str | None = field(default=None, repr=False)


def profile_variable(profile: str | None) -> str | None:
    """botocore's `profile` session variable (configprovider.py): --profile, else the first of
    $AWS_DEFAULT_PROFILE and $AWS_PROFILE that is set (even to ""), else None."""
    if profile is not None:
        return profile
    for name in ("AWS_DEFAULT_PROFILE", "AWS_PROFILE"):
        if name in os.environ:
            return os.environ[name]
    return None


Section = dict[str, "str | dict[str, str]"]

CONFIG_FILE = ("AWS_CONFIG_FILE", os.path.join("~", ".aws", "config"))
CREDENTIALS_FILE = ("AWS_SHARED_CREDENTIALS_FILE", os.path.join("~", ".aws", "credentials"))
# Read when the chain is built, with a conversion or a check that can fail (an int, an endpoint
# mode): from the environment, else the profile. Rarely set; botocore judges them.
RESOLVER_SETTINGS = (
    ("metadata_service_timeout", "AWS_METADATA_SERVICE_TIMEOUT"),
    ("metadata_service_num_attempts", "AWS_METADATA_SERVICE_NUM_ATTEMPTS"),
    ("ec2_metadata_service_endpoint", "AWS_EC2_METADATA_SERVICE_ENDPOINT"),
    ("ec2_metadata_service_endpoint_mode", "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE"),
    ("ec2_metadata_v1_disabled", "AWS_EC2_METADATA_V1_DISABLED"),
    ("imds_use_ipv6", "AWS_IMDS_USE_IPV6"),
)
# A profile with one of these (in either file: botocore merges them) is botocore's: assume-role,
# web identity and SSO come before the shared credentials file, and credential_process is left
# to botocore too. Any `sso_` key counts, not only the two that make SSOProvider answer.
BOTOCORE_KEYS = (
    "role_arn",
    "source_profile",
    "credential_source",
    "web_identity_token_file",
    "credential_process",
)
# Web identity from the environment (AssumeRoleWithWebIdentityProvider._CONFIG_TO_ENV_VAR).
BOTOCORE_VARIABLES = ("AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN")


class _Unparsable(Exception):
    """A file botocore would refuse with ConfigParseError; botocore then says so."""


def _nested(value: str) -> dict[str, str]:
    """configloader._parse_nested: an indented block of `key = value` lines."""
    parsed = {}
    for raw in value.splitlines():
        line = raw.strip()
        if not line:
            continue
        key, sep, rest = line.partition("=")
        if not sep:
            raise _Unparsable
        parsed[key.strip()] = rest.strip()
    return parsed


def read_ini(setting: tuple[str, str]) -> dict[str, Section] | None:
    """configloader.raw_config_parse of the file `setting` names (its variable, else its
    default): the sections, None when there is no such file (ConfigNotFound)."""
    import configparser

    variable, default = setting
    path = os.environ.get(variable, default)
    path = os.path.expanduser(os.path.expandvars(path))
    if not os.path.isfile(path):
        return None
    parser = configparser.RawConfigParser()
    try:
        parser.read([path])
    except (configparser.Error, UnicodeDecodeError):
        raise _Unparsable from None
    sections: dict[str, Section] = {}
    for name in parser.sections():
        section: Section = {}
        for option in parser.options(name):
            value = parser.get(name, option)
            section[option] = _nested(value) if value.startswith("\n") else value
        sections[name] = section
    return sections


def profiles_of(
    config: dict[str, Section] | None, credentials: dict[str, Section] | None
) -> dict[str, Section]:
    """Session.full_config's profiles: configloader.build_profile_map of the config file
    (`[profile NAME]`, `[default]`; the later section wins), each updated with the credentials
    file's section of the same name."""
    import shlex

    profiles: dict[str, Section] = {}
    for name, values in (config or {}).items():
        if name.startswith("profile"):
            try:
                parts = shlex.split(name)
            except ValueError:
                continue
            if len(parts) == 2:
                profiles[parts[1]] = dict(values)
        elif name == "default":
            profiles[name] = dict(values)
    for name, values in (credentials or {}).items():
        profiles.setdefault(name, {}).update(values)
    return profiles


def _from_environment() -> Credentials | None:
    """EnvProvider: $AWS_ACCESS_KEY_ID is set. None when botocore would refuse (no secret) or
    refresh (an expiry time)."""
    environ = os.environ
    secret = environ.get("AWS_SECRET_ACCESS_KEY", "")
    if not secret or environ.get("AWS_CREDENTIAL_EXPIRATION"):
        return None
    tokens = (environ.get(name, "") for name in ("AWS_SECURITY_TOKEN", "AWS_SESSION_TOKEN"))
    return Credentials(environ["AWS_ACCESS_KEY_ID"], secret, next(filter(None, tokens), None))


def _from_shared_file(section: Section) -> Credentials | None:
    """SharedCredentialProvider, for a section with aws_access_key_id. None when botocore
    would refuse (no secret, an empty key) or the values are not plain strings."""
    access = section.get("aws_access_key_id")
    secret = section.get("aws_secret_access_key")
    token = next(
        (section[name] for name in ("aws_security_token", "aws_session_token") if name in section),
        None,
    )
    if not isinstance(access, str) or not isinstance(secret, str) or not (access and secret):
        return None
    if token is not None and not isinstance(token, str):
        return None
    return Credentials(access, secret, token or None)


def from_files(profile: str | None) -> Credentials | None:
    """What botocore's chain gives for `profile` when it is keys in the environment or static
    keys in the shared credentials file, read as botocore reads them, without botocore.
    None: anything else, for botocore to answer."""
    environ = os.environ
    variable = profile_variable(profile)
    if variable == "" or any(name in environ for _, name in RESOLVER_SETTINGS):
        return None
    try:
        config = read_ini(CONFIG_FILE)
        credentials = read_ini(CREDENTIALS_FILE)
    except _Unparsable:
        return None
    profiles = profiles_of(config, credentials)
    if variable is not None and variable not in profiles:
        return None  # botocore's ProfileNotFound, and our error for it
    name = variable or "default"
    merged = profiles.get(name, {})
    if any(key in merged for key, _ in RESOLVER_SETTINGS):
        return None
    # The environment comes first, unless --profile was given (botocore then drops EnvProvider).
    if profile is None and environ.get("AWS_ACCESS_KEY_ID"):
        return _from_environment()
    if any(name in environ for name in BOTOCORE_VARIABLES):
        return None
    if any(key in BOTOCORE_KEYS or key.startswith("sso_") for key in merged):
        return None
    section = (credentials or {}).get(name, {})
    if "aws_access_key_id" not in section:
        return None  # login, credential_process, the config file, the container, IMDS: botocore
    return _from_shared_file(section)
