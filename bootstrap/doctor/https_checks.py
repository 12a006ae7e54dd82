"""`bootstrap doctor`'s checks of git over HTTPS: who the credentials are, the git config that
makes git ask `bootstrap git-credential`, whether it can sign now, and a live `git ls-remote`
(port 443 the way git goes is https_reach.py's). Each is read-only: ok, warn or fail, with a
fix; what one learns (HttpsFacts) the later ones use.
"""

from __future__ import annotations

import os
import shlex
import shutil
from dataclasses import dataclass

from bootstrap import git
from bootstrap.aws import endpoints
from bootstrap.aws.iam import Aws, Identity
from bootstrap.diagnosis import evidence, rules
from bootstrap.doctor import credential_order
from bootstrap.doctor.checks import FAIL, OK, WARN, Check, failed
from bootstrap.errors import EXIT_LOCAL, BootstrapError
from bootstrap.https import credential_helper, git_config, helper_program

RUN_INIT = "run `bootstrap init --protocol https` (it reuses what is already there)"
# Helpers that keep a password: the one CodeCommit stops taking after about 15 minutes.
STORING = "osxkeychain, Git Credential Manager, `store` and `cache`"


@dataclass
class HttpsFacts:
    """What the checks found so far. None: not known (the check failed or did not run)."""

    endpoint: endpoints.Endpoint
    profile: str | None  # the credentials doctor checks (--profile, else the helper's)
    repo: str | None
    identity: Identity | None = None
    helper_found: bool = False  # git asks our helper for this host
    signs_with: str | None = None  # the profile our helper signs with (None: the default)
    signs_with_mfa: bool = False  # … with that profile's MFA session (`--mfa`)
    signing_error: BootstrapError | None = None

    @property
    def host(self) -> str:
        return self.endpoint.git_host

    @property
    def region(self) -> str:
        return self.endpoint.region

    @property
    def url(self) -> str:
        """What git's credential and proxy settings are matched with."""
        base = f"https://{self.host}"
        return self.endpoint.https_url(self.repo) if self.repo else base

    @property
    def helper_profile(self) -> str | None:
        """The profile git's requests are signed with, as far as we know."""
        return self.signs_with if self.helper_found else self.profile

    def context(self) -> rules.Context:
        return rules.Context(
            region=self.region,
            repo=self.repo or "",
            user_name=self.identity.user_name if self.identity else None,
            user_arn=self.identity.arn if self.identity else None,
            profile=self.helper_profile,
            protocol=endpoints.HTTPS,
        )


def profile_named(profile: str | None) -> str:
    """The profile botocore takes for `profile` (None: $AWS_PROFILE, else default)."""
    return profile or os.environ.get("AWS_PROFILE") or "default"


def _source(profile: str | None) -> str:
    return f"profile '{profile}'" if profile else "the default credentials"


def describe(identity: Identity) -> str:
    """Who the credentials are, for people: an IAM user, a role (or SSO) session, …"""
    arn = identity.arn or "an unknown ARN"
    if identity.kind == "user":
        return f"IAM user {identity.user_name} ({arn})"
    if identity.kind == "assumed-role":
        role, _, session = arn.split(":", 5)[-1].partition("/")[2].partition("/")
        what = "SSO role session" if role.startswith("AWSReservedSSO_") else "role session"
        return f"{what} {session or '?'} of role {role} ({arn})"
    if identity.kind == "federated-user":
        return f"federated user ({arn})"
    if identity.kind == "root":
        return f"the account's root user ({arn})"
    return arn


def credentials(aws: Aws, facts: HttpsFacts) -> Check:
    """sts:GetCallerIdentity: who git's requests will be signed as (any identity will do)."""
    name = "credentials"
    try:
        found = aws.who_am_i()
    except BootstrapError as error:
        return failed(name, error)
    facts.identity = found
    return Check(name, OK, describe(found))


def _our_helper(asked: list[credential_order.Entry]) -> int | None:
    return next((n for n, h in enumerate(asked) if helper_program.parse_helper(h.value)), None)


def _not_asked(seen: git_config.Look, asked: list[credential_order.Entry], host: str) -> Check:
    where = git_config.tilde(seen.path)
    listing = ", ".join(helper.line for helper in asked) or "none"
    why = ""
    wildcards = [url for url in seen.ours if "*" in url]
    if wildcards and not git_config.wildcard_urls_work(seen.version):
        version = ".".join(map(str, seen.version)) if seen.version else "this git"
        why = f"; git {version} does not match the `*` in {wildcards[0]} (git 2.26 and later do)"
    return Check(
        "git config",
        FAIL,
        f"{where} has bootstrap's credential sections, but git does not ask its helper for "
        f"{host} (git asks: {listing}){why}",
        f"{RUN_INIT}; then `git config --get-urlmatch credential.helper https://{host}` "
        "shows what git uses",
        EXIT_LOCAL,
    )


def _program_missing(command: str) -> str | None:
    """Why git could not run our helper's program, or None if it can."""
    try:
        program = shlex.split(command)[0]
    except (ValueError, IndexError):
        return f"`{command}` is not a command git can run"
    if shutil.which(program) is None:
        where = "" if "/" in program else " on PATH"
        return f"`{program}` is not found{where}"
    return None


def _warnings(
    seen: git_config.Look,
    asked: list[credential_order.Entry],
    index: int,
    facts: HttpsFacts,
) -> tuple[list[str], list[str]]:
    details, fixes = [], []
    before, after = asked[:index], asked[index + 1 :]
    ours = asked[index]
    if before:
        names = ", ".join(helper.line for helper in before)
        details.append(
            f"git asks {names} before bootstrap's helper for {facts.host}: a helper that keeps "
            f"passwords ({STORING}) hands back the one it saved, which CodeCommit stops "
            "accepting after about 15 minutes, and git gets a 403"
        )
        section = seen.sections.get(ours.pattern or "", ())
        if ("helper", "") not in section:
            fixes.append(
                "run `bootstrap init --protocol https`: it writes the empty `helper =` that "
                "clears the helpers set before its own"
            )
        else:
            fixes.append(
                f"remove {before[0].setting} from {before[0].where}, or limit it "
                'to the hosts it is for (`[credential "https://github.com"]`)'
            )
    if after:
        names = ", ".join(helper.line for helper in after)
        details.append(
            f"git also asks {names} after bootstrap's helper, and gives it each password to "
            "keep: one CodeCommit stops accepting after about 15 minutes, which it hands back "
            "(and git gets a 403) whenever bootstrap's helper cannot answer"
        )
        fixes.append(
            f"remove {after[0].setting} from {after[0].where}, or limit it to the "
            'hosts it is for (`[credential "https://github.com"]`)'
        )
    if profile_named(facts.signs_with) != profile_named(facts.profile):
        details.append(
            f"the helper signs with profile '{profile_named(facts.signs_with)}', not "
            f"'{profile_named(facts.profile)}' (whose credentials are checked above)"
        )
        fixes.append(
            f"`bootstrap doctor --profile {profile_named(facts.signs_with)}` checks what git "
            f"uses; `bootstrap init --protocol https --profile {profile_named(facts.profile)}` "
            "makes git sign with the other"
        )
    return details, fixes


def git_settings(facts: HttpsFacts) -> Check:
    """Our sections, that git asks our helper first for this host, and the path it signs."""
    name = "git config"
    try:
        seen = git_config.look()
        entries = credential_order.applying(facts.url)
    except BootstrapError as error:
        return failed(name, error)
    where = git_config.tilde(seen.path)
    if not seen.ours:
        others = ""
        if seen.not_ours:
            others = f" (its CodeCommit sections, {', '.join(seen.not_ours)}, are not bootstrap's)"
        return Check(
            name, FAIL, f"no bootstrap credential section in {where}{others}", RUN_INIT, EXIT_LOCAL
        )
    asked = credential_order.helpers(entries)
    index = _our_helper(asked)
    if index is None:
        return _not_asked(seen, asked, facts.host)
    parsed = helper_program.parse_helper(asked[index].value)
    assert parsed is not None
    command, profile = parsed
    facts.helper_found, facts.signs_with = True, profile
    line = helper_program.parse_helper_line(asked[index].value)
    facts.signs_with_mfa = line is not None and line.mfa
    missing = _program_missing(command)
    if missing is not None:
        return Check(
            name,
            FAIL,
            f"git runs `{command} {helper_program.SUBCOMMAND}` for {facts.host}, and {missing}",
            "run `bootstrap init --protocol https` with the bootstrap git should run (it "
            "writes that program's path), or put it back on PATH",
            EXIT_LOCAL,
        )
    if credential_order.use_http_path(entries) is not True:
        return Check(
            name,
            FAIL,
            f"git does not send the repository path for {facts.host} (credential.useHttpPath "
            "is not true there), and the CodeCommit password is signed over it",
            RUN_INIT,
            EXIT_LOCAL,
        )
    summary = (
        f"{where}: {', '.join(seen.ours)} → `{command} {helper_program.SUBCOMMAND}`, signing "
        f"with {_source(profile)}"
    )
    details, fixes = _warnings(seen, asked, index, facts)
    if details:
        return Check(name, WARN, "; ".join([summary, *details]), "; ".join(fixes))
    return Check(name, OK, summary)


def signing(facts: HttpsFacts) -> Check:
    """Whether the helper finds credentials to sign with now (nothing is sent anywhere)."""
    name = "credential helper"
    profile = facts.helper_profile
    try:
        found = credential_helper.from_botocore(profile)
    except BootstrapError as error:
        facts.signing_error = error
        return failed(name, error)
    kind = "session credentials (temporary)" if found.token else "a long-term access key"
    return Check(name, OK, f"`bootstrap git-credential` can sign with {_source(profile)}: {kind}")


def git_ls_remote(aws: Aws, facts: HttpsFacts) -> Check:
    """A live `git ls-remote` of --repo over HTTPS, explained as init explains a clone."""
    assert facts.repo
    name, url = "git", facts.endpoint.https_url(facts.repo)
    try:
        git.ls_remote(url, git.no_prompt_env(), fresh_upload=False)
    except git.GitFailed as gone:
        # Only an IAM user's policies can be read with iam:ListUserPolicies.
        readable = aws if facts.identity is not None and facts.identity.can_own_ssh_keys else None
        why = evidence.explain(gone, facts.context(), readable, facts.host, None)
        kind = str(why.details.get("kind", "unknown"))
        cause, fix = why.cause, why.fix
        if kind == "https-no-credentials" and facts.signing_error is not None:
            # The helper was asked and could not sign: say why (see credential helper).
            error = facts.signing_error
            cause = (
                "git had no credentials for CodeCommit: bootstrap's helper could not sign "
                f"({error.cause})"
            )
            fix = error.fix
        return Check(name, FAIL, cause, fix, why.exit_code, kind)
    return Check(name, OK, f"git ls-remote {url} works")
