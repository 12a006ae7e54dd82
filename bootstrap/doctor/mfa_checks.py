"""`bootstrap doctor`'s check of the MFA session git's helper signs with (`git-credential
--mfa`): cached, valid for a while yet, started with an MFA device, and accepted by STS now."""

from __future__ import annotations

from bootstrap.doctor.checks import OK, WARN, Check
from bootstrap.errors import BootstrapError
from bootstrap.https import mfa_session, mfa_sts

NAME = "mfa session"


def session(profile: str | None, region: str) -> Check:
    """A warning, not a failure, when there is none: at a terminal git's helper asks for a
    code and starts one; elsewhere git fails until `bootstrap mfa` has run."""
    name = mfa_session.profile_name(profile)
    renew = f"run: bootstrap mfa --profile {name} (at a terminal, git also asks for a code)"
    found = mfa_session.cached(profile)
    if found is None or not found.valid:
        return Check(NAME, WARN, mfa_session.SessionExpired(profile, found).cause, renew)
    try:
        caller = mfa_sts.session_caller(found, region)
    except BootstrapError as error:
        return Check(
            NAME,
            WARN,
            f"STS does not accept the MFA session of profile {name}: {error.cause}",
            renew,
        )
    return Check(
        NAME,
        OK,
        f"profile {name}: {found.describe()}; started with MFA device {found.serial}, and STS "
        f"accepts it as {caller}",
    )
