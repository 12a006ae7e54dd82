"""`bootstrap doctor`'s checks of identity, key, IAM and ssh config (the server's side is in
server.py, IAM policy in policy_checks.py). Each is read-only: ok, warn or fail, with a fix.

Each check records what it learned in Facts, so later checks (and the diagnosis of a failed
`git ls-remote`) build on it instead of asking again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bootstrap import files, git
from bootstrap.aws import endpoints, registration
from bootstrap.aws.iam import Aws, Identity, RegisteredKey
from bootstrap.diagnosis import evidence, rules
from bootstrap.errors import (
    EXIT_IAM,
    EXIT_IDENTITY,
    EXIT_LOCAL,
    EXIT_OK,
    BootstrapError,
    IamError,
)
from bootstrap.policy.documents import NamedPolicy
from bootstrap.results import CHECKED, step_json
from bootstrap.results import FAIL as FAIL  # the checks' statuses are the steps' (re-exported)
from bootstrap.results import OK as OK
from bootstrap.results import WARN as WARN
from bootstrap.ssh import client as ssh_client
from bootstrap.ssh import hostkeys, keys, locations, managed_block


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # ok | warn | fail
    detail: str
    fix: str = ""
    exit_code: int = EXIT_OK  # a failure's exit code (the `bootstrap` contract: 3 to 7)
    kind: str | None = None  # a failed git command's diagnosis

    def as_json(self) -> dict[str, Any]:
        """The one step shape (results.step_json): `status` ok, warn or fail; `action` checked."""
        details = {"kind": self.kind} if self.kind else {}
        return step_json(
            self.name, self.status, CHECKED, self.detail, fix=self.fix, details=details
        )


def failed(name: str, error: BootstrapError) -> Check:
    return Check(name, FAIL, error.cause, error.fix, error.exit_code)


def not_checked(name: str, why: str, fix: str = "") -> Check:
    return Check(name, WARN, f"not checked: {why}", fix)


@dataclass
class Facts:
    """What the checks found so far. None: not known (the check failed or did not run)."""

    endpoint: endpoints.Endpoint
    key_path: Path
    ssh_config: Path | None  # given to ssh with -F (None: ssh's default)
    profile: str | None
    repo: str | None
    identity: Identity | None = None
    user: str | None = None
    pair: keys.KeyPair | None = None
    options: ssh_client.EffectiveOptions | None = None
    options_error: BootstrapError | None = None
    registered: RegisteredKey | None = None
    found: registration.Registration | None = None
    agent_keys: int | None = None
    target: hostkeys.Target | None = None
    reachable: bool = False
    policies: tuple[NamedPolicy, ...] | None = None
    policies_unreadable: str | None = None

    @property
    def host(self) -> str:
        return self.endpoint.git_host

    @property
    def region(self) -> str:
        return self.endpoint.region

    def context(self) -> rules.Context:
        """Everything known, for explaining a failure."""
        facts: dict[str, Any] = {}
        if self.options is not None:
            facts.update(evidence.ssh_facts(self.options))
        if self.found is not None:
            facts.update(evidence.key_facts(self.found))
        return rules.Context(
            region=self.region,
            repo=self.repo or "",
            key_path=str(self.key_path),
            user_name=self.user,
            user_arn=self.identity.arn if self.identity else None,
            profile=self.profile,
            agent_keys=self.agent_keys,
            policies=self.policies,
            policies_unreadable=self.policies_unreadable,
            **facts,
        )


def identity(aws: Aws, user_flag: str | None, facts: Facts) -> Check:
    name = "credentials"
    facts.user = user_flag
    try:
        found = aws.who_am_i()
    except BootstrapError as error:
        return failed(name, error)
    if not found.can_own_ssh_keys and not user_flag:
        url = endpoints.https_url(facts.region, facts.profile, facts.repo or "REPO")
        return Check(
            name,
            FAIL,
            f"signed in as {found.arn}, a {found.kind}: only IAM users have SSH keys",
            f"use HTTPS instead: pip install git-remote-codecommit && git clone {url}",
            EXIT_IDENTITY,
        )
    facts.identity = found
    facts.user = user_flag or found.user_name
    detail = f"IAM user {found.user_name} ({found.arn})" if found.user_name else str(found.arn)
    if user_flag and user_flag != found.user_name:
        detail += f"; checking IAM user {user_flag} (--user)"
    return Check(name, OK, detail)


def local_key(passphrase: bytes | None, facts: Facts) -> Check:
    name, where = "local key", locations.tilde(facts.key_path)
    try:
        pair = keys.load_pair(facts.key_path, passphrase)
    except BootstrapError as error:
        return failed(name, error)
    if pair is None:
        return Check(
            name,
            FAIL,
            f"there is no private key at {where}",
            "run `bootstrap init` to create and register one, or pass --key PATH",
            EXIT_LOCAL,
        )
    facts.pair = pair
    summary = f"{where} (RSA {pair.public.bits}, {pair.public.sha256}), mode 600"
    if not pair.public_path.exists():
        return Check(
            name,
            WARN,
            f"{summary}; {pair.public_path.name} is missing",
            f"ssh-keygen -y -f {facts.key_path} > {pair.public_path}",
        )
    return Check(name, OK, f"{summary}, {pair.public_path.name} matches")


def read_ssh_options(facts: Facts) -> None:
    try:
        facts.options = ssh_client.effective_options(facts.host, facts.ssh_config)
    except BootstrapError as error:
        facts.options_error = error
    facts.agent_keys = evidence.agent_key_count()


def iam_key(aws: Aws, facts: Facts) -> Check:
    name = "iam key"
    if facts.user is None:
        return not_checked(name, "no IAM user to look in (see credentials)")
    if facts.pair is None:
        return not_checked(name, "no local key to look for (see local key)")
    hint = registration.key_id_hint(facts.options.first("user") if facts.options else None)
    try:
        found = registration.find(aws, facts.user, facts.pair.public, hint)
    except IamError as error:
        return Check(name, WARN, f"cannot read the SSH keys of {facts.user}: {error.cause}")
    except BootstrapError as error:
        return failed(name, error)
    facts.found, facts.registered = found, found.match
    where = locations.tilde(facts.key_path)
    if found.match is None:
        others = ", ".join(k.describe() for k in found.listed or ()) or "none"
        return Check(
            name,
            FAIL,
            f"{where} is not registered to IAM user {facts.user} (its SSH keys: {others})",
            "run `bootstrap init`: it uploads the key and points ssh at it",
            EXIT_IAM,
        )
    if found.match.status != "Active":
        inactive = registration.inactive_error(facts.user, found.match)
        return Check(name, FAIL, inactive.cause, inactive.fix, EXIT_IAM)
    return Check(name, OK, f"{where} is {found.match.describe()} of IAM user {facts.user}")


def _wrong(facts: Facts, detail: str, keyword: str) -> Check:
    """A failed ssh config check that names the line that wins, and how to fix it."""
    path = facts.ssh_config or locations.default_ssh_config()
    text = files.read_text_exact(path) or ""
    winner = managed_block.first_setting(text, facts.host, keyword)
    fix = "run `bootstrap init`: it writes a Host block with your key id and key"
    if winner is not None:
        where = f"line {winner.line} of {locations.tilde(path)}"
        detail += f": {where} (`{winner.text.strip()}`) comes first"
        if not _in_managed_block(text, winner.line):
            fix = f"move {where} below the '{managed_block.BEGIN}' block or remove it, then {fix}"
    return Check("ssh config", FAIL, detail, fix, EXIT_LOCAL)


def _in_managed_block(text: str, line: int) -> bool:
    """Whether `line` lies inside our block (then `bootstrap init` rewrites it)."""
    lines = [t.strip() for t in text.splitlines()]
    begin = next((n for n, t in enumerate(lines, 1) if t.startswith(managed_block.BEGIN)), None)
    end = next((n for n, t in enumerate(lines, 1) if t.startswith(managed_block.END)), None)
    return begin is not None and end is not None and begin < line < end


def ssh_config(facts: Facts) -> Check:
    name = "ssh config"
    if facts.options is None:
        error = facts.options_error or BootstrapError("ssh -G failed")
        return Check(name, FAIL, error.cause, error.fix, EXIT_LOCAL)
    user, identity = facts.options.first("user"), facts.options.first("identityfile")
    key_id = facts.registered.key_id if facts.registered else None
    listed = facts.found.listed if facts.found else None
    if key_id and user != key_id:
        detail = f"ssh logs in to {facts.host} as '{user}', not as {key_id} (your key's id)"
        return _wrong(facts, detail, "user")
    if key_id is None and listed is not None and user not in {k.key_id for k in listed}:
        detail = f"ssh logs in to {facts.host} as '{user}', not an SSH key id of {facts.user}"
        return _wrong(facts, detail, "user")
    if registration.key_id_hint(user) is None:
        detail = f"ssh logs in to {facts.host} as '{user}'; CodeCommit needs the SSH key id"
        return _wrong(facts, detail, "user")
    if identity is None or locations.expand(identity) != facts.key_path:
        detail = (
            f"ssh offers {identity or 'no key'} first for {facts.host}, not "
            f"{locations.tilde(facts.key_path)}"
        )
        return _wrong(facts, detail, "identityfile")
    summary = f"{facts.host} → User {user}, IdentityFile {identity}"
    if facts.options.first("identitiesonly") != "yes" and facts.agent_keys:
        return Check(
            name,
            WARN,
            f"{summary}; IdentitiesOnly is off and your ssh agent holds {facts.agent_keys} "
            "keys, which ssh offers first",
            "add `IdentitiesOnly yes` to the CodeCommit Host block (`bootstrap init` writes it)",
        )
    return Check(name, OK, summary)


def git_ls_remote(aws: Aws, passphrase: bytes | None, facts: Facts) -> Check:
    """A live `git ls-remote` of --repo, explained with everything the checks found."""
    from bootstrap.ssh import askpass

    assert facts.repo
    name, url = "git", facts.endpoint.ssh_url(facts.repo)
    context = facts.context()
    with askpass.environment(passphrase) as extra:
        env = ssh_client.git_env(facts.ssh_config, extra)
        try:
            # No waiting for propagation here: a just-uploaded key is said so in the diagnosis.
            git.ls_remote(url, env, fresh_upload=False)
        except git.GitFailed as failed:
            why = evidence.explain(failed, context, aws, facts.host, facts.ssh_config)
            kind = str(why.details.get("kind", "unknown"))
            return Check(name, FAIL, why.cause, why.fix, why.exit_code, kind)
    return Check(name, OK, f"git ls-remote {url} works")
