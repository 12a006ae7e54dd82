"""`bootstrap status` for an HTTPS setup: protocol, profile, git config section, whether the
helper can sign now, and with `--mfa` in the helper line when its MFA session expires.
Read-only, and nothing connects to CodeCommit (that is `doctor`'s job).
"""

from __future__ import annotations

from bootstrap.errors import EXIT_IDENTITY, BootstrapError
from bootstrap.https import credential_helper, git_config, helper_program, mfa_session
from bootstrap.lifecycle.installed import Installed
from bootstrap.lifecycle.status import Check

RUN_INIT = "run `bootstrap init --protocol https` (it reuses what is already there)"


def is_https(setup: Installed) -> bool:
    """No SSH block, and our credential sections in the git config: an HTTPS setup."""
    return setup.block_key_id is None and bool(git_config.look().ours)


def check_git_config() -> tuple[Check, helper_program.HelperLine | None]:
    """Our sections, and their helper line (its profile, None: the default chain; --mfa)."""
    seen = git_config.look()
    where = git_config.tilde(seen.path)
    if not seen.ours:
        return Check(
            "git config", False, f"no bootstrap credential section in {where}", {}, RUN_INIT
        ), None
    lines = git_config.helper_lines(seen)
    line = lines[0] if lines else None
    profile = line.profile if line else None
    mfa = bool(line and line.mfa)
    details = {"path": str(seen.path), "sections": list(seen.ours), "profile": profile, "mfa": mfa}
    helper = "bootstrap git-credential" + (" --mfa" if mfa else "")
    summary = f"{where}: {', '.join(seen.ours)} sign with `{helper}`"
    return Check("git config", True, summary, details), line


def check_mfa_session(profile: str | None) -> Check:
    """When the profile's cached MFA session expires; none, or expired, is a ✗ naming
    `bootstrap mfa` (git asks for a code at a terminal, and fails anywhere else)."""
    name = mfa_session.profile_name(profile)
    fix = f"run: bootstrap mfa --profile {name}"
    found = mfa_session.cached(profile)
    if found is None:
        details = {"profile": name, "cache": str(mfa_session.cache_path(profile))}
        return Check("mfa session", False, f"no MFA session for profile {name}", details, fix)
    summary = f"profile {name}: {found.describe()}"
    if not found.valid:
        if found.expires > mfa_session.now_utc():
            summary += f"; not used in its last {mfa_session.REUSE_MARGIN.seconds // 60} min"
        return Check("mfa session", False, summary, found.as_json(), fix)
    return Check("mfa session", True, summary, found.as_json())


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
    config, line = check_git_config()
    profile = (line.profile if line else None) or setup.profile
    checks = [protocol, config, check_signing(profile)]
    if line is not None and line.mfa:
        checks.append(check_mfa_session(profile))
    return checks
