"""`bootstrap status` for an HTTPS setup: protocol, profile, git config section, and whether the
helper can sign now. Read-only, and nothing connects to CodeCommit (that is `doctor`'s job).
"""

from __future__ import annotations

from bootstrap.errors import EXIT_IDENTITY, BootstrapError
from bootstrap.https import credential_helper, git_config, helper_program
from bootstrap.lifecycle.installed import Installed
from bootstrap.lifecycle.status import Check

RUN_INIT = "run `bootstrap init --protocol https` (it reuses what is already there)"


def is_https(setup: Installed) -> bool:
    """No SSH block, and our credential sections in the git config: an HTTPS setup."""
    return setup.block_key_id is None and bool(git_config.look().ours)


def check_git_config() -> tuple[Check, str | None]:
    """Our sections, and the profile their helper signs with (None: the default chain)."""
    seen = git_config.look()
    where = git_config.tilde(seen.path)
    if not seen.ours:
        return Check(
            "git config", False, f"no bootstrap credential section in {where}", {}, RUN_INIT
        ), None
    helpers = [
        value
        for url in seen.ours
        for name, value in seen.sections[url]
        if name == "helper" and value
    ]
    parsed = helper_program.parse_helper(helpers[0]) if helpers else None
    profile = parsed[1] if parsed else None
    details = {"path": str(seen.path), "sections": list(seen.ours), "profile": profile}
    summary = f"{where}: {', '.join(seen.ours)} sign with `bootstrap git-credential`"
    return Check("git config", True, summary, details), profile


def check_signing(profile: str | None) -> Check:
    """Whether the helper would find credentials now (no request is made)."""
    try:
        found = credential_helper.from_botocore(profile)
    except BootstrapError as error:
        return Check("credentials", False, error.cause, {}, error.fix, EXIT_IDENTITY)
    kind = "session credentials" if found.token else "a long-term access key"
    source = f"profile {profile}" if profile else "the default credentials"
    return Check(
        "credentials", True, f"the helper can sign with {source}: {kind}", {"profile": profile}
    )


def gather(setup: Installed) -> list[Check]:
    protocol = Check("protocol", True, "https", {"protocol": "https", "region": setup.region})
    config, profile = check_git_config()
    return [protocol, config, check_signing(profile or setup.profile)]
