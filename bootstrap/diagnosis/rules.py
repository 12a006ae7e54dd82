"""Turn what git and ssh printed, plus what we know, into a cause and a concrete fix.

`explain` is pure: everything it knows comes in the Context (context.py). When a failure calls
for more (the user's policies, the key in IAM, what `ssh -G` says), evidence.py gathers it and
explains with the fuller Context.
"""

from __future__ import annotations

import re

from bootstrap.aws import endpoints
from bootstrap.diagnosis import connection, denies, local_side
from bootstrap.diagnosis.connection import unreachable as unreachable
from bootstrap.diagnosis.context import Context as Context
from bootstrap.diagnosis.context import Finding as Finding

GIT_HOST_PREFIX = "git-codecommit."


_EXPLICIT_DENY = re.compile(
    r"not authorized to perform: (codecommit:\w+) on resource: (\S+) with an explicit deny"
)
_IMPLICIT_DENY = re.compile(
    r"not authorized to perform: (codecommit:\w+) on resource: (\S+) because no "
    r"identity-based policy allows"
)
_KMS = "not authorized for the KMS default master key for CodeCommit"
_NO_REPO = re.compile(r"repository '([^']*)' does not exist")
_UNPROTECTED = re.compile(r"Permissions (\d+) for '([^']+)' are too open")
_CHANGED_FINGERPRINT = re.compile(r"remote host is\s+(SHA256:[A-Za-z0-9+/]+)")
_KNOWN_HOSTS_REMOVE = re.compile(r'ssh-keygen -f "([^"]+)" -R "([^"]+)"')
_HOST_KEY_OFFER = re.compile(r"no matching host key type found\. Their offer: (\S+)")
_UNRESOLVED = re.compile(r"Could not resolve hostname ([^:\s]+)")
_CONNECT = re.compile(r"connect to host (\S+) port (\d+): ([^\r\n]+)")
_BAD_PERMISSIONS = re.compile(r"Bad owner or permissions on (\S+)")


def explain(stderr: str, context: Context) -> Finding:
    """The most specific explanation we have for a failed clone, ls-remote or ssh."""
    if match := _EXPLICIT_DENY.search(stderr):
        return denies.explicit_deny(match.group(1), match.group(2), context)
    if _KMS in stderr:
        return denies.kms_deny(context)
    if match := _IMPLICIT_DENY.search(stderr):
        return denies.implicit_deny(match.group(1), match.group(2), context)
    if (local := local_side.explain(stderr)) is not None:
        return local
    if match := _UNPROTECTED.search(stderr):
        path = match.group(2)
        return Finding(
            f"ssh ignores the private key {path}: its mode {match.group(1)} lets others read it",
            f"chmod 600 {path}",
            "key-permissions",
        )
    if "Too many authentication failures" in stderr:
        return _agent_keys(context)
    if "Permission denied (publickey" in stderr:
        return _publickey_denied(context)
    if "REMOTE HOST IDENTIFICATION HAS CHANGED" in stderr:
        return _host_key_changed(stderr, context)
    if "Host key verification failed" in stderr or "host key is known for" in stderr:
        return Finding(
            "ssh has no trusted host key for the CodeCommit server (no known_hosts entry), "
            "and refuses to connect without one",
            f"run `bootstrap init --region {context.region or 'REGION'}`: it checks the "
            "server's key against AWS's published fingerprint before trusting it",
            "host-key",
        )
    if match := _HOST_KEY_OFFER.search(stderr):
        return _host_key_type(match.group(1))
    if match := _UNRESOLVED.search(stderr):
        return unresolved(match.group(1), context)
    if match := _CONNECT.search(stderr):
        return unreachable(match.group(1), match.group(2), match.group(3).strip(), context)
    if (failed := connection.explain(stderr, context)) is not None:
        return failed
    if match := _NO_REPO.search(stderr):
        name, region = match.group(1) or context.repo, context.region or "this region"
        return Finding(
            f"repository '{name}' does not exist in {region} (or you may not see it)",
            "check the name (case matters) and --region; list yours with `aws codecommit "
            f"list-repositories --region {context.region or 'REGION'}`",
            "no-repository",
        )
    if match := _BAD_PERMISSIONS.search(stderr):
        return Finding(
            f"ssh refuses {match.group(1)}: others can write to it",
            f"chmod 600 {match.group(1)}",
            "ssh-config",
        )
    if (https := _https_failure(stderr, context)) is not None:
        return https
    return local_side.unexplained(stderr)


def _https_failure(stderr: str, context: Context) -> Finding | None:
    """What git over HTTPS says when it never reached IAM's decision, or CodeCommit refused
    the signature itself (a bare 403: CodeCommit says no more)."""
    profile = f" --profile {context.profile}" if context.profile else ""
    if "The requested URL returned error: 403" in stderr:
        return Finding(
            "CodeCommit refused the signed request (HTTP 403): the AWS credentials it was "
            "signed with are expired or not valid, or this machine's clock is off (the "
            "signature carries the time)",
            f"check them with `aws sts get-caller-identity{profile}` (for SSO: `aws sso "
            f"login{profile}`), and the clock with `date -u`; then run again",
            "https-refused",
        )
    if "terminal prompts disabled" in stderr or "could not read Username" in stderr:
        return Finding(
            "git had no credentials for CodeCommit: bootstrap's credential helper did not "
            "answer (its git config section is missing, or another setting comes first)",
            "run `bootstrap init --protocol https` (it writes the section), then "
            "`git config --global --get-urlmatch credential.helper https://"
            f"git-codecommit.{context.region or 'REGION'}.amazonaws.com` to see what git uses",
            "https-no-credentials",
        )
    if "SSL certificate problem" in stderr or "server certificate verification" in stderr:
        return Finding(
            f"git does not trust the TLS certificate it was shown: {_last_message(stderr)}",
            "behind a TLS-inspecting proxy, point git at its CA (`git config --global "
            "http.sslCAInfo /path/to/ca.pem` or GIT_SSL_CAINFO); never turn verification off",
            "tls",
        )
    if any(text in stderr for text in _HTTPS_UNREACHABLE):
        return Finding(
            f"git could not reach CodeCommit over HTTPS (port 443): {_last_message(stderr)}",
            "check the network and your proxy settings (HTTPS_PROXY, `git config http.proxy`)",
            "https-unreachable",
        )
    return None


_HTTPS_UNREACHABLE = (
    "Failed to connect to",
    "Could not resolve proxy",
    "CONNECT tunnel failed",
    "Proxy CONNECT aborted",
    "Could not resolve host",
)


def _last_message(stderr: str) -> str:
    return local_side.first_message(stderr)


# -- ssh: the key ------------------------------------------------------------------------------


def _publickey_denied(context: Context) -> Finding:
    user, path = context.user_name or "USER", context.key_path or "your key"
    if context.key_registered is False:
        return Finding(
            f"CodeCommit refused the key: {path} is not registered to IAM user {user}",
            f"run `bootstrap init` (it uploads it), or: aws iam upload-ssh-public-key "
            f"--user-name {user} --ssh-public-key-body file://{path}.pub",
            "publickey",
        )
    if context.key_status == "Inactive":
        return Finding(
            f"CodeCommit refused the key: {context.key_id} is Inactive in IAM",
            f"reactivate it: aws iam update-ssh-public-key --user-name {user} "
            f"--ssh-public-key-id {context.key_id} --status Active",
            "publickey",
        )
    if (
        context.ssh_user is not None
        and context.user_key_ids is not None
        and context.ssh_user not in context.user_key_ids
    ):
        return Finding(
            f"ssh logs in as '{context.ssh_user}', which is not an SSH key id of IAM user "
            f"{user} (another user's key, or one deleted since)",
            "run `bootstrap init`: it writes your key's id as the User of the CodeCommit hosts",
            "publickey",
        )
    if context.ssh_user and context.key_id and context.ssh_user != context.key_id:
        return Finding(
            f"ssh logs in as '{context.ssh_user}', but {path} is registered as {context.key_id}",
            f"set `User {context.key_id}` for the CodeCommit hosts (`bootstrap init` does)",
            "publickey",
        )
    if context.ssh_identity and context.key_path and context.ssh_identity != context.key_path:
        return Finding(
            f"ssh offers {context.ssh_identity} first, not {context.key_path}",
            f"set `IdentityFile {context.key_path}` for the CodeCommit hosts, above other "
            "IdentityFile lines (`bootstrap init` does)",
            "publickey",
        )
    if context.identities_only is False and context.agent_keys:
        return _agent_keys(context)
    if context.fresh_upload:
        return Finding(
            "CodeCommit does not accept the key uploaded a moment ago yet",
            "IAM changes usually reach CodeCommit within seconds, sometimes a minute; wait a "
            "little and run again",
            "publickey",
        )
    how = f" as '{context.ssh_user}'" if context.ssh_user else ""
    return Finding(
        f"CodeCommit refused the SSH key {path}{how}",
        "run `bootstrap doctor` to check the key in IAM, your ssh config and your ssh agent",
        "publickey",
    )


def _agent_keys(context: Context) -> Finding:
    many = f"{context.agent_keys} keys" if context.agent_keys else "other keys"
    return Finding(
        f"your ssh agent offers {many} before {context.key_path or 'your key'}, and the "
        "server stops after too many failed tries",
        "add `IdentitiesOnly yes` to the CodeCommit Host block (`bootstrap init` writes it)",
        "agent-keys",
    )


# -- ssh: the host -----------------------------------------------------------------------------


def _host_key_changed(stderr: str, context: Context) -> Finding:
    seen = _CHANGED_FINGERPRINT.search(stderr)
    fingerprint = seen.group(1) if seen else "a different key"
    published = endpoints.PUBLISHED_HOST_KEYS.get(context.region)
    remove = _KNOWN_HOSTS_REMOVE.search(stderr)
    removal = f"ssh-keygen -f {remove.group(1)} -R {remove.group(2)}" if remove else "ssh-keygen -R"
    cause = (
        f"the CodeCommit server now shows host key {fingerprint}, not the one known_hosts "
        "holds for it"
    )
    if published and fingerprint == published:
        return Finding(
            f"{cause}; it is the one AWS publishes for {context.region}, so the old entry is stale",
            f"remove the old entry ({removal}), then run `bootstrap init`",
            "host-key-changed",
        )
    if published:
        return Finding(
            f"{cause}, nor the one AWS publishes for {context.region} ({published}): someone "
            "may be intercepting your connection",
            "do not connect and do not remove the entry; tell your security team",
            "host-key-changed",
        )
    return Finding(
        cause,
        "check the new fingerprint with AWS before trusting it; only then remove the old "
        f"entry ({removal}) and run `bootstrap init --accept-host-key {fingerprint}`",
        "host-key-changed",
    )


def _host_key_type(offer: str) -> Finding:
    offered = offer.split(",")
    if offered == ["ssh-rsa"]:
        return Finding(
            "the server signs only with legacy ssh-rsa (SHA-1), which your ssh refuses",
            "allow it for the CodeCommit hosts only: add `HostKeyAlgorithms +ssh-rsa` and "
            "`PubkeyAcceptedAlgorithms +ssh-rsa` inside their Host block",
            "host-key-type",
        )
    return Finding(
        f"your ssh config allows none of the host-key types the server offers ({offer})",
        f"remove the HostKeyAlgorithms line that applies to the CodeCommit hosts, or allow "
        f"{offered[0]} there",
        "host-key-type",
    )


def unresolved(hostname: str, context: Context) -> Finding:
    if hostname.startswith(GIT_HOST_PREFIX):
        return Finding(
            f"{hostname} cannot be resolved",
            f"check --region '{context.region}' (is CodeCommit offered there?), your DNS and "
            "your network connection",
            "dns",
        )
    return Finding(
        f"ssh connects to '{hostname}' (a HostName in your ssh config), which cannot be resolved",
        "correct or remove that HostName line for the CodeCommit hosts "
        "(`ssh -G git-codecommit.REGION.amazonaws.com | grep -i ^hostname` shows it)",
        "dns",
    )
